"""What an upload is: its format, chosen from our allow-list by content and extension.

Nothing here hands a file to GDAL before the format is known; :func:`identify` looks at the
name, the first bytes and, for zips, every entry, and refuses what it cannot vouch for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from domain.i18n import N_, tr

Progress = Callable[[float, str], None]
"""A progress callback: fraction done (0 to 1) and what is being done, in words."""


def no_progress(_fraction: float, _text: str) -> None:
    """A progress callback that shows nothing."""


class LayerKind(StrEnum):
    """Vector features or a raster grid."""

    VECTOR = "vector"
    RASTER = "raster"


class FileFormat(StrEnum):
    """Upload formats we read; the value is what the report calls it, in English (it is stored
    with a layer): :attr:`label` is the name in the page's language (names made of words are
    marked for translation; a proper name such as GeoJSON is the same in every language)."""

    GEOJSON = "GeoJSON"
    TOPOJSON = "TopoJSON"
    SHAPEFILE_ZIP = N_("zipped Shapefile")
    GEOPACKAGE = "GeoPackage"
    KML = "KML"
    KMZ = "KMZ"
    GPX = "GPX"
    CSV = N_("CSV table")
    EXCEL = N_("Excel workbook")
    FLATGEOBUF = "FlatGeobuf"
    GML = "GML"
    DXF = N_("DXF (CAD drawing)")
    FILEGDB = N_("Esri File Geodatabase (zipped .gdb)")
    GEOPARQUET = "GeoParquet"
    GEOTIFF = "GeoTIFF"
    SRTM_HGT = N_("SRTM height grid (.hgt)")

    @property
    def kind(self) -> LayerKind:
        """Whether this format holds a raster or vector features."""
        raster = {FileFormat.GEOTIFF, FileFormat.SRTM_HGT}
        return LayerKind.RASTER if self in raster else LayerKind.VECTOR

    @property
    def label(self) -> str:
        """The format's name in the current language (the value is the English one)."""
        return tr(self.value)


@dataclass(frozen=True)
class IdentifiedUpload:
    """An upload on disk whose format is known and whose contents passed the safety checks.

    ``gdal_path`` is what to hand GDAL: the file itself, or a ``/vsizip/`` path to the one
    entry inside a zip to read (``.shp`` in a subfolder, ``doc.kml`` in a KMZ, an ``.hgt``,
    the ``.gdb`` folder of a File Geodatabase).
    ``entry`` is that entry's name inside the zip (or the folder of several Shapefiles), for
    reading it with Python's zipfile; empty when the upload is not a zip. ``warnings`` are
    found while identifying and go to the report's warnings (e.g. a Shapefile with no .dbf).
    """

    path: Path
    name: str
    format: FileFormat
    gdal_path: str
    size_bytes: int
    checksum: str
    notes: list[str] = field(default_factory=list)
    entry: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def kind(self) -> LayerKind:
        """Vector or raster."""
        return self.format.kind
