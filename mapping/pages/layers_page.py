"""The layer catalog: every uploaded survey layer with its metadata and actions."""

import streamlit as st

from domain.access import Action
from domain.i18n import tr
from mapping.access_state import current_principal
from mapping.cached import cached_layers
from mapping.page_errors import show_user_errors
from mapping.parts.layer_panels import layer_panel

st.title(tr("Survey layers"), anchor=False)
principal = current_principal()
uploads = principal.may(Action.UPLOAD_LAYER)
layers = cached_layers(principal)
if not layers:
    st.info(tr("No survey layer yet.") + (" " + tr("Upload one on the Upload page.")
                                          if uploads else ""),
            icon=":material/layers:")
    if uploads and st.button(tr("Upload a layer")):
        st.switch_page("pages/upload_page.py")
    st.stop()
st.caption(tr("{n} layers, newest first. Hidden layers stay here but leave the map.").format(
    n=len(layers)))
if uploads:
    st.page_link("pages/upload_page.py", label=tr("Upload another layer"),
                 icon=":material/upload:")
hidden_word = " · " + tr("hidden")
for record in layers:
    hidden = hidden_word if record.hidden else ""
    size = (tr("{n} features").format(n=f"{record.feature_count:,}") if record.kind == "vector"
            else tr("raster"))
    with st.expander(f"**{record.name}** — {size}{hidden}", expanded=len(layers) == 1), \
            show_user_errors():
        layer_panel(record, principal)
