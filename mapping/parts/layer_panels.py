"""The layer catalog's parts: one panel per layer with its metadata, its values at the sites
(``layer_sampling_panel``), and forms to rename, hide, restyle, mark, zoom to or delete it.

The forms show only for a role that may use them; the store checks the role again on every
change (an AccessDenied becomes the page's plain message)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from domain.access import MARKING_CODES, Action, Principal
from domain.i18n import N_, tr
from domain.settings import load_settings
from exports.export_file import ExportFormat
from exports.marking import marking_label
from layers.tiles import COLORMAPS
from mapping import state_keys as keys
from mapping.parts.grid import grid
from mapping.parts.layer_sampling_panel import sampling_section
from mapping.store_access import engine
from services.layer_styles import checked_raster_style, checked_vector_style
from services.publishing import remove_layer
from store.layer_repo import LayerRecord, update_layer
from store.markings import set_marking

#: The colour-map choice of a raster shown as it is (its bands as red, green, blue).
RGB = N_("colour imagery (bands as red, green, blue)")


def metadata_table(record: LayerRecord) -> pd.DataFrame:
    """A layer's catalog entry as label/value rows."""
    size = (tr("{n} features ({geometry})").format(n=f"{record.feature_count:,}",
                                                    geometry=record.geometry_type)
            if record.kind == "vector" else tr("raster (Cloud-Optimized GeoTIFF)"))
    rows = {
        tr("id"): record.id, tr("kind"): size, tr("description"): record.description,
        tr("source"): record.source, tr("licence"): record.licence,
        tr("surveyed on"): record.surveyed_on.isoformat() if record.surveyed_on else "",
        tr("uploaded by"): record.uploaded_by,
        tr("uploaded at"): f"{record.uploaded_at:%Y-%m-%d %H:%M} UTC",
        tr("original file"): f"{record.original_filename} ({record.file_format})",
        tr("layer in the file"): record.source_layer.split("#")[0],
        tr("original coordinate system"): record.original_crs,
        tr("extent (lon/lat)"): (", ".join(f"{v:.4f}" for v in record.bounds)
                                 if record.bounds else ""),
        tr("checksum (SHA-256)"): record.checksum,
        tr("handling marking"): marking_label(record.marking),
    }
    filled = {label: str(value) for label, value in rows.items() if value}
    return pd.DataFrame({"": list(filled), tr("value"): list(filled.values())})


def layer_panel(record: LayerRecord, principal: Principal) -> None:
    """Everything about one layer, with the actions ``principal``'s role allows."""
    table = metadata_table(record)
    grid(table, hide_index=True, width="stretch", height=35 * (len(table) + 1) + 3)
    left, middle, right = st.columns(3)
    if left.button(tr("Zoom to layer"), key=keys.layer_key(record.id, "zoom", record.version),
                   disabled=record.bounds is None):
        st.session_state[keys.LAYER_FOCUS] = (record.name, record.bounds)
        st.switch_page("pages/map_page.py")
    restyle = principal.may(Action.RESTYLE_LAYER)
    label = tr("Show on the map") if record.hidden else tr("Hide from the map")
    if restyle and middle.button(label, key=keys.layer_key(record.id, "hide", record.version)):
        update_layer(engine(), record.id, principal=principal, hidden=not record.hidden)
        st.rerun()
    _downloads(record)
    sampling_section(record, principal)
    if principal.may(Action.MARK):
        _marking_form(record, principal)
    if restyle:
        _rename_form(record, principal)
        if record.kind == "raster":
            _raster_style_form(record, principal)
        else:
            _vector_style_form(record, principal)
    if principal.may(Action.DELETE_LAYER):
        with right.popover(tr("Delete…")):
            st.write(tr("Delete **{name}** for everyone? This cannot be undone.").format(
                name=record.name))
            if st.button(tr("Delete the layer"), type="primary",
                         key=keys.layer_key(record.id, "delete", record.version)):
                remove_layer(engine(), record.id, load_settings().layer_dir,
                             principal=principal)
                st.rerun()


def _downloads(record: LayerRecord) -> None:
    """Links that export the layer back (made by the server when clicked)."""
    base = f"/api/layers/{record.id}/export?format="
    if record.kind == "raster":
        links = f"[Cloud-Optimized GeoTIFF]({base}tif)"
    else:
        links = " · ".join(f"[{fmt.label}]({base}{fmt.value})" for fmt in ExportFormat)
    st.markdown(tr("Download: {links}").format(links=links))


def _marking_form(record: LayerRecord, principal: Principal) -> None:
    """Who may receive the layer: the store checks the role and audits the change."""
    with st.form(keys.layer_key(record.id, "marking", record.version)):
        chosen = st.selectbox(tr("Handling marking"), MARKING_CODES,
                              index=MARKING_CODES.index(record.marking)
                              if record.marking in MARKING_CODES else 0,
                              format_func=marking_label,
                              help=tr("Only accounts whose clearance reaches this marking "
                                      "see the layer, its tiles, features and downloads."))
        if st.form_submit_button(tr("Save marking")):
            set_marking(engine(), "layer", record.id, chosen, principal=principal)
            st.rerun()


def _rename_form(record: LayerRecord, principal: Principal) -> None:
    with st.form(keys.layer_key(record.id, "rename", record.version)):
        name = st.text_input(tr("Name"), value=record.name)
        description = st.text_area(tr("Description"), value=record.description, height=68)
        if st.form_submit_button(tr("Save name and description")):
            update_layer(engine(), record.id, principal=principal, name=name,
                         description=description)
            st.rerun()


def _vector_style_form(record: LayerRecord, principal: Principal) -> None:
    style = record.style
    with st.form(keys.layer_key(record.id, "style", record.version)):
        left, middle, right = st.columns(3)
        colour = left.color_picker(tr("Colour"), value=style.get("colour", "#d95f02"))
        weight = middle.number_input(tr("Line width"), 1.0, 20.0, float(style.get("weight", 2)))
        fill = right.slider(tr("Fill opacity"), 0.0, 1.0, float(style.get("fill_opacity", 0.25)))
        if st.form_submit_button(tr("Save style")):
            update_layer(engine(), record.id, principal=principal,
                         style=checked_vector_style(colour, weight, fill))
            st.rerun()


def _raster_style_form(record: LayerRecord, principal: Principal) -> None:
    style = record.style
    options = [*COLORMAPS, RGB]
    current = style.get("colormap") or RGB
    stretch = style.get("stretch") or [0.0, 255.0]
    names = {option: option for option in COLORMAPS} | {RGB: tr(RGB)}  # colour maps: names
    with st.form(keys.layer_key(record.id, "style", record.version)):
        colours = st.selectbox(tr("Colour map"), options,
                               index=options.index(current) if current in options else 0,
                               format_func=names.__getitem__)
        left, middle, right = st.columns(3)
        low = left.number_input(tr("Stretch from"), value=float(stretch[0]), format="%g")
        high = middle.number_input(tr("Stretch to"), value=float(stretch[1]), format="%g")
        opacity = right.slider(tr("Opacity"), 0.0, 1.0, float(style.get("opacity", 0.75)))
        if st.form_submit_button(tr("Save style")):
            colormap = None if colours == RGB else colours
            update_layer(engine(), record.id, principal=principal,
                         style=checked_raster_style(colormap, low, high, opacity))
            st.rerun()
