"""Size limits for uploads, stated on the upload page and enforced before anything is read."""

from __future__ import annotations

from dataclasses import dataclass

from domain.i18n import tr

MIB = 1024 * 1024


@dataclass(frozen=True)
class UploadLimits:
    """What an upload may be. ``max_file_bytes`` comes from ``PERMITMAP_MAX_UPLOAD_MB``."""

    max_file_bytes: int = 500 * MIB
    max_zip_entries: int = 2_000
    max_unzipped_bytes: int = 4 * 1024 * MIB  # what a zip's entries may inflate to, in all
    max_zip_ratio: float = 200.0  # rasters only: declared pixels over this ratio to the file
    max_raster_pixels: int = 2_000_000_000
    max_features: int = 5_000_000
    max_block_bytes: int = 256 * MIB

    def describe(self) -> list[str]:
        """The limits in words, for the upload page."""
        return [
            tr("files up to {size} MB each").format(size=self.max_file_bytes // MIB),
            tr("zip files with up to {entries} entries, {size} MB unpacked (however well they "
               "compress)").format(entries=f"{self.max_zip_entries:,}",
                                   size=f"{self.max_unzipped_bytes // MIB:,}"),
            tr("rasters up to {pixels} pixels per band, stored tiled or striped in blocks of "
               "up to {size} MB").format(pixels=f"{self.max_raster_pixels:,}",
                                         size=f"{self.max_block_bytes // MIB:,}"),
            tr("vector layers up to {n} features").format(n=f"{self.max_features:,}"),
        ]

    @classmethod
    def from_megabytes(cls, max_upload_mb: int) -> UploadLimits:
        """Limits with the per-file size set in megabytes; the rest as default."""
        return cls(max_file_bytes=max_upload_mb * MIB)
