"""The user interface: the Streamlit pages and their parts, the HTTP routes, the folium map."""

# GDAL reads GDAL_SKIP (and the no-network options) once, when pyogrio or rasterio first
# loads it: set them before any module of this package can import either.
from layers import gdal_safety  # noqa: F401
