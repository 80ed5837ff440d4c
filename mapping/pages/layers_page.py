"""The layer catalog: every uploaded survey layer with its metadata and actions."""

import streamlit as st

from domain.access import Action
from mapping.access_state import current_principal
from mapping.cached import cached_layers
from mapping.page_errors import show_user_errors
from mapping.parts.layer_panels import layer_panel

st.title("Survey layers", anchor=False)
principal = current_principal()
uploads = principal.may(Action.UPLOAD_LAYER)
layers = cached_layers(principal)
if not layers:
    st.info("No survey layer yet." + (" Upload one on the Upload page." if uploads else ""),
            icon=":material/layers:")
    if uploads and st.button("Upload a layer"):
        st.switch_page("pages/upload_page.py")
    st.stop()
st.caption(f"{len(layers)} layers, newest first. Hidden layers stay here but leave the map.")
if uploads:
    st.page_link("pages/upload_page.py", label="Upload another layer",
                 icon=":material/upload:")
for record in layers:
    hidden = " · hidden" if record.hidden else ""
    size = f"{record.feature_count:,} features" if record.kind == "vector" else "raster"
    with st.expander(f"**{record.name}** — {size}{hidden}", expanded=len(layers) == 1), \
            show_user_errors():
        layer_panel(record, principal)
