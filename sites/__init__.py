"""Sites and deposits as tables: filters, the selection and its URL form, the index, importers."""

# GDAL reads GDAL_SKIP (and the no-network options) once, when pyogrio or rasterio first
# loads it: set them before any module of this package can import either.
from layers import gdal_safety  # noqa: F401
