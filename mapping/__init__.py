"""permitmap user interface: the Streamlit pages and the folium map."""
