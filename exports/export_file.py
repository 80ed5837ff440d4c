"""What an export is, without writing one: the formats (their extensions, media types and
names) and the exported file. Light to import: pages that only offer the formats do not load
GDAL (``exports.formats`` writes the files)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from domain.i18n import N_, tr

_EXTENSIONS = {"geojson": ".geojson", "gpkg": ".gpkg", "csv": ".csv", "kml": ".kml",
               "shp": ".shp.zip", "parquet": ".parquet"}
_MEDIA_TYPES = {"geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3",
                "csv": "text/csv; charset=utf-8", "kml": "application/vnd.google-earth.kml+xml",
                "shp": "application/zip", "parquet": "application/vnd.apache.parquet"}
_LABELS = {"geojson": "GeoJSON", "gpkg": "GeoPackage", "csv": N_("CSV (spreadsheets)"),
           "kml": N_("KML (Google Earth)"), "shp": N_("Shapefile (zip)"),
           "parquet": "GeoParquet"}

class ExportFormat(StrEnum):
    """An export format; the values are what URLs and the CLI use."""

    GEOJSON = "geojson"
    GPKG = "gpkg"
    CSV = "csv"
    KML = "kml"
    SHP = "shp"
    PARQUET = "parquet"

    @property
    def extension(self) -> str:
        """The file name extension, with its dot (``.shp.zip`` for a zipped Shapefile)."""
        return _EXTENSIONS[self.value]

    @property
    def media_type(self) -> str:
        """The Content-Type of the file."""
        return _MEDIA_TYPES[self.value]

    @property
    def label(self) -> str:
        """The format's name for people choosing one, in the current language."""
        return tr(_LABELS[self.value])

    @property
    def format_name(self) -> str:
        """The format's own name, the same in every language: ``KML``, ``Shapefile``."""
        return _LABELS[self.value].split(" (")[0]

    @property
    def url_suffix(self) -> str:
        """What follows ``/api/sites.`` in the export URL (``shp.zip`` for a Shapefile).

        >>> [f.url_suffix for f in ExportFormat]
        ['geojson', 'gpkg', 'csv', 'kml', 'shp.zip', 'parquet']
        """
        return self.extension.removeprefix(".")


@dataclass(frozen=True)
class ExportFile:
    """An exported file: its bytes, name, media type and notes on what was changed."""

    data: bytes
    file_name: str
    media_type: str
    notes: list[str] = field(default_factory=list)
