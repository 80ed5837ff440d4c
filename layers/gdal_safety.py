"""GDAL settings that keep reading an upload inside the upload: no OGR VRT, no network.

Imported first by :mod:`layers` because GDAL reads ``GDAL_SKIP`` once, when pyogrio (or
rasterio) registers its drivers on import; set later, it has no effect. The raster VRT
driver stays registered: rasterio's WarpedVRT (used by rio-tiler) needs it, so raster VRT
uploads are refused by content in :mod:`layers.upload_safety` instead.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

SKIPPED_DRIVERS = ("OGR_VRT",)
"""Drivers GDAL must not register: an OGR VRT can read any local file or URL it names."""

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


def configure_environment(environ: MutableMapping[str, str] = os.environ) -> None:
    """Add the skipped drivers to ``GDAL_SKIP`` (kept merged) and set the no-network options.

    >>> env = {"GDAL_SKIP": "netCDF"}
    >>> configure_environment(env)
    >>> env["GDAL_SKIP"], env["GDAL_HTTP_MAX_RETRY"]
    ('netCDF OGR_VRT', '0')
    """
    skipped = environ.get("GDAL_SKIP", "").replace(",", " ").split()
    skipped += [name for name in SKIPPED_DRIVERS if name not in skipped]
    environ["GDAL_SKIP"] = " ".join(skipped)
    for name, value in NO_NETWORK_OPTIONS.items():
        environ.setdefault(name, value)


def assert_vector_drivers_safe() -> None:
    """Raise RuntimeError when pyogrio registered the OGR VRT driver despite ``GDAL_SKIP``.

    That happens only when pyogrio was imported before :mod:`layers`: a programming error.
    """
    import pyogrio

    registered = set(pyogrio.list_drivers())
    present = sorted(registered.intersection(SKIPPED_DRIVERS))
    if present:
        raise RuntimeError(
            f"GDAL drivers {', '.join(present)} are registered: pyogrio was imported before "
            "layers.gdal_safety set GDAL_SKIP. Import layers before pyogrio or geopandas I/O."
        )


configure_environment()
