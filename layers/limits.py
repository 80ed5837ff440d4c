"""Size limits for uploads, stated on the upload page and enforced before anything is read."""

from __future__ import annotations

from dataclasses import dataclass

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
            f"files up to {self.max_file_bytes // MIB} MB each",
            f"zip files with up to {self.max_zip_entries:,} entries, "
            f"{self.max_unzipped_bytes // MIB:,} MB unpacked (however well they compress)",
            f"rasters up to {self.max_raster_pixels:,} pixels per band, stored tiled or "
            f"striped in blocks of up to {self.max_block_bytes // MIB:,} MB",
            f"vector layers up to {self.max_features:,} features",
        ]

    @classmethod
    def from_megabytes(cls, max_upload_mb: int) -> UploadLimits:
        """Limits with the per-file size set in megabytes; the rest as default."""
        return cls(max_file_bytes=max_upload_mb * MIB)
