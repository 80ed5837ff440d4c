"""GDAL settings that keep reading an upload inside the upload: an allow-list of vector
drivers, no network.

Imported first by :mod:`layers` because GDAL reads ``GDAL_SKIP`` once, when pyogrio (or
rasterio) registers its drivers on import; set later, it has no effect. pyogrio opens a file
with every registered driver that recognises it, so a driver we do not read is a way in: an
OGR VRT or a GDALG pipeline (``{"type": "gdal_streamed_alg", ...}``) renamed ``.geojson``
reads any local file it names. Every vector driver we do not use is therefore skipped, and
:func:`assert_vector_drivers_safe` refuses to read when GDAL registers one we have not
reviewed (a newer GDAL adds drivers). The raster VRT driver stays registered: rasterio's
WarpedVRT (used by rio-tiler) needs it, so raster VRT uploads are refused by content in
:mod:`layers.upload_safety` instead.

``GDAL_SKIP`` is read by both GDAL copies (pyogrio's and rasterio's); none of the names
skipped here is one rasterio needs (GTiff, COG, MEM, VRT, PNG, JPEG, WEBP, SRTMHGT).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, MutableMapping

ALLOWED_VECTOR_DRIVERS = (
    "GeoJSON", "TopoJSON", "ESRI Shapefile", "GPKG", "KML", "LIBKML", "GPX", "FlatGeobuf",
    "MEM", "CSV", "XLSX", "GML", "DXF", "OpenFileGDB",
)  # fmt: skip
"""Vector drivers pyogrio keeps: the formats we read, and those we (and tests) write. GML,
DXF and OpenFileGDB are read only from what :mod:`layers.identify` vouched for: GML checked
as XML (no DTD, entities, XInclude or ``xlink:href`` to files) and read with
:data:`READ_ONLY_OPTIONS`; DXF as text; a FileGDB only as a ``/vsizip/`` path to the ``.gdb``
folder inside a checked zip."""

RASTER_DRIVERS_NEEDED = ("GTiff", "COG", "MEM", "VRT", "PNG", "JPEG", "WEBP", "SRTMHGT")
"""Raster drivers rasterio must keep (reading, COG conversion, tiles); never skipped."""

SKIPPED_DRIVERS = (
    "ADBC", "AIVector", "AVCBin", "AVCE00", "AmigoCloud", "CSW", "Carto", "DGN",
    "EDIGEO", "EEDA", "ESRIJSON", "Elasticsearch", "GDALG", "GPSBabel", "GTFS",
    "GeoJSONSeq", "GeoRSS", "HTTP", "Idrisi", "JML", "JSONFG", "LVBAG", "MBTiles", "MVT",
    "MapInfo File", "MapML", "MiraMonVector", "NGW", "OAPIF", "ODS", "OGCAPI", "OGR_GMT",
    "OGR_PDS", "OGR_VRT", "OSM", "PCIDSK", "PDF", "PDS4", "PGDUMP", "PLSCENES",
    "PMTiles", "S57", "SQLite", "SXF", "Selafin", "VDV", "VFK", "VICAR", "WAsP", "WFS",
)  # fmt: skip
"""Drivers GDAL must not register: every vector driver pyogrio's GDAL (3.12) registers that
is not in :data:`ALLOWED_VECTOR_DRIVERS`. GDALG and OGR VRT read any local file or URL they
name; HTTP, WFS, OAPIF, Carto and friends fetch from the network; the rest are formats we do
not accept, whose parsers need not be exposed to uploads."""

NO_NETWORK_OPTIONS = {
    # /vsicurl/ only opens names ending with one of these extensions: this one never occurs.
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".permitmap-network-disabled",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "GDAL_HTTP_MAX_RETRY": "0",
    # Do not list an upload's folder on open (it may be large; siblings are probed by name).
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
}
"""Environment settings both GDAL copies (pyogrio's and rasterio's) read when they start."""

READ_ONLY_OPTIONS = {
    # GML: never download the application schema a file names in xsi:schemaLocation (GDAL
    # fetches a WFS DescribeFeatureType URL otherwise, whatever the no-network options say),
    # never read the schemas an .xsd imports, never resolve xlink:href (which fetches URLs).
    "GML_DOWNLOAD_SCHEMA": "NO",
    "GML_USE_SCHEMA_IMPORT": "NO",
    "GML_SKIP_RESOLVE_ELEMS": "ALL",
    # Arcs and circles (GML, DXF, FileGDB, GeoPackage) become one straight segment per 4°
    # (layers.vector_layers.ARC_STEP_DEGREES; the DXF driver linearises as it reads).
    "OGR_ARC_STEPSIZE": "4",
}
"""Settings forced for every read (an operator's value is replaced): GDAL reads them as it
opens each file, so they hold for every GML, DXF or FileGDB read, listing and counting
included. The GML driver reads nothing beside the file but ``upload.gfs``/``upload.xsd``
(an upload is stored alone in a private folder, so there are none)."""


def skip_list(existing: str, skipped: Iterable[str] = SKIPPED_DRIVERS) -> str:
    """``existing`` (a ``GDAL_SKIP`` value) with ``skipped`` added, comma-separated.

    GDAL splits ``GDAL_SKIP`` on commas when it holds one, else on spaces: commas keep
    names with spaces ("MapInfo File") whole. An existing space-separated value is split
    on spaces first.

    >>> skip_list("netCDF HDF5", ["OGR_VRT", "MapInfo File"])
    'netCDF,HDF5,OGR_VRT,MapInfo File'
    """
    separator = "," if "," in existing else None
    names = [name.strip() for name in existing.split(separator) if name.strip()]
    names += [name for name in skipped if name not in names]
    return ",".join(names)


def configure_environment(environ: MutableMapping[str, str] = os.environ) -> None:
    """Add the skipped drivers to ``GDAL_SKIP`` (kept merged), set the no-network options
    (an operator's value kept) and force :data:`READ_ONLY_OPTIONS`.

    >>> env = {"GDAL_SKIP": "netCDF"}
    >>> configure_environment(env)
    >>> env["GDAL_SKIP"].split(",")[:3], env["GDAL_HTTP_MAX_RETRY"]
    (['netCDF', 'ADBC', 'AIVector'], '0')
    """
    environ["GDAL_SKIP"] = skip_list(environ.get("GDAL_SKIP", ""))
    for name, value in NO_NETWORK_OPTIONS.items():
        environ.setdefault(name, value)
    environ.update(READ_ONLY_OPTIONS)


def unsafe_drivers(registered: Iterable[str]) -> tuple[list[str], list[str]]:
    """Of the ``registered`` vector drivers: those that should have been skipped, and those
    neither allowed nor skipped (added by a newer GDAL, not yet reviewed)."""
    names = set(registered)
    skipped = sorted(names.intersection(SKIPPED_DRIVERS))
    unknown = sorted(names - set(SKIPPED_DRIVERS) - set(ALLOWED_VECTOR_DRIVERS))
    return skipped, unknown


def assert_vector_drivers_safe() -> None:
    """Raise RuntimeError unless every vector driver pyogrio registered is on the allow-list.

    A skipped driver being registered means pyogrio was imported before :mod:`layers` (a
    programming error); an unknown one means a newer GDAL added it: fail closed until it is
    reviewed.
    """
    import pyogrio

    skipped, unknown = unsafe_drivers(pyogrio.list_drivers())
    if skipped:
        raise RuntimeError(
            f"GDAL drivers {', '.join(skipped)} are registered: pyogrio was imported before "
            "layers.gdal_safety set GDAL_SKIP. Import layers before pyogrio or geopandas I/O."
        )
    if unknown:
        raise RuntimeError(
            f"GDAL registers vector drivers that have not been reviewed: {', '.join(unknown)} "
            "(probably added by a newer GDAL). Uploads are not read until they are: review "
            "them and add them to SKIPPED_DRIVERS in layers/gdal_safety.py (or, if we read "
            "that format, to ALLOWED_VECTOR_DRIVERS)."
        )


configure_environment()
