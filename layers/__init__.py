"""Upload ingest: identify, safety, staging, vector and raster checks, COG conversion and tiles."""

# First thing: GDAL reads GDAL_SKIP (and the no-network options) when pyogrio or rasterio
# registers its drivers on import, so these must be set before either is imported anywhere.
from layers import gdal_safety  # noqa: F401
