"""The folium map: offline assets, our own map elements, survey overlays and the map builder."""
