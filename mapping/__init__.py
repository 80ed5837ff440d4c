"""The user interface: the Streamlit pages and their parts, the HTTP routes, the folium map."""
