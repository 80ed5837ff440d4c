"""Readers that turn third-party files (deposit tables, vector layers) into plain records."""

# First thing: GDAL reads GDAL_SKIP (and the no-network options) when pyogrio or rasterio
# registers its drivers on import, so these must be set before either is imported anywhere.
from layers import gdal_safety  # noqa: F401
