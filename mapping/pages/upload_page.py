"""Upload a survey layer: the pre-flight report first, then the details, then publish."""

from datetime import date

import streamlit as st

from domain.access import Action
from domain.i18n import tr
from domain.settings import load_settings
from layers.upload_formats import FileFormat
from layers.vector_read import VectorOptions
from mapping import state_keys as keys
from mapping.access_state import current_principal
from mapping.page_errors import show_user_errors
from mapping.parts.safe_text import plain
from mapping.parts.upload_report import (
    checked_report,
    crs_choice,
    fix_choices,
    layer_choice,
    publish,
    show_report,
    upload_key,
    upload_limits,
    upload_name,
)
from mapping.store_access import engine
from services.publishing import LayerDetails, sweep_leftovers

st.title(tr("Upload a survey layer"), anchor=False)
principal = current_principal()
if not principal.may(Action.UPLOAD_LAYER):
    st.info((tr("Sign in to upload survey layers.") if principal.kind == "anonymous" else
             tr("Your role ({role}) can see the survey layers; uploading needs the editor "
                "role. Ask an admin to change your account's role.").format(
                 role=principal.role)),
            icon=":material/lock:")
    st.page_link("pages/layers_page.py", label=tr("Open the layer catalog"),
                 icon=":material/layers:")
    st.stop()
typed_name = principal.kind == "open"  # signed in: the catalog names the account
sweep_leftovers(load_settings().layer_dir, engine())  # what a killed process left
notice = st.session_state.pop(keys.UPLOAD_NOTICE, None)
if notice:
    st.success(notice, icon=":material/check_circle:")
    # A link, not a button: the notice is popped, so a button's click would rerun a page that
    # no longer has the button, and its switch_page would never run.
    st.page_link("pages/map_page.py", label=tr("Show it on the map"), icon=":material/map:")
with st.expander(tr("What you can upload, and the limits")):
    st.markdown(tr("Formats: {formats}. A Shapefile: select its .shp, .shx, .dbf and .prj (and "
                   ".cpg) together, or zip them (a subfolder in the zip is fine). A zip of one "
                   "GeoTIFF, .hgt or CSV is read too.").format(
        formats=", ".join(f.label for f in FileFormat)))
    # TRANSLATORS: the limits themselves are listed in English (written by the layers package).
    st.markdown(tr("Limits: {limits}.").format(limits="; ".join(upload_limits().describe())))
    st.caption(tr("Nothing is stored until you press Publish. Files are read without "
                  "following links to other files or to the network."))

uploads = st.file_uploader(tr("Survey file"), key=keys.UPLOAD_FILE, accept_multiple_files=True,
                           help=tr("One file: vector layers (GeoJSON, zipped Shapefile, "
                                   "GeoPackage, KML/KMZ, GPX, CSV/Excel with coordinates, "
                                   "FlatGeobuf, GeoParquet, GML, DXF, a zipped File "
                                   "Geodatabase (.gdb)) or rasters (GeoTIFF/COG, SRTM .hgt). "
                                   "Or a Shapefile's parts (.shp, .shx, .dbf, .prj, .cpg) "
                                   "selected together."))
if not uploads:
    st.info(tr("Choose a file to see what it holds before anything is stored."),
            icon=":material/upload_file:")
    st.stop()

with show_user_errors():
    report_area = st.container()  # the report reads first; the choices that change it follow
    options = VectorOptions()
    report = checked_report(uploads, options)
    file_key = upload_key(uploads)  # choices made for one file do not carry over to the next
    chosen_layers = layer_choice(report, file_key)
    crs = crs_choice(report, file_key)
    repair, drop, xy = fix_choices(report, file_key)
    options = VectorOptions(layers=chosen_layers, assume_crs=crs, repair_invalid=repair,
                            drop_out_of_range=drop, coordinate_columns=xy)
    if options != VectorOptions():
        report = checked_report(uploads, options)
    with report_area:
        show_report(report)
    if not report.ok:
        st.stop()
    with st.form("upload_details"):
        st.subheader(tr("About this layer"), anchor=False)
        name = st.text_input(tr("Name"), value=upload_name(uploads).rsplit(".", 1)[0][:200],
                             max_chars=200)
        description = st.text_area(tr("Description"), height=80)
        left, right = st.columns(2)
        source = left.text_input(tr("Source"), help=tr("Who surveyed it, or where it came from"))
        licence = right.text_input(tr("Licence"),
                                   help=tr("e.g. public domain, CC BY 4.0, internal"))
        surveyed = left.date_input(tr("Surveyed on"), value=None, max_value=date.today(),
                                   format="YYYY-MM-DD")
        if typed_name:
            who = right.text_input(tr("Uploaded by"),
                                   value=st.session_state.get(keys.EDITOR_NAME, ""),
                                   max_chars=120)
        else:
            who = principal.name
            right.caption(tr("Uploaded by **{name}** (your account)").format(
                name=plain(principal.name)))
        submitted = st.form_submit_button(tr("Publish"), type="primary")
    if submitted:
        details = LayerDetails(name=name, uploaded_by=who, description=description,
                               source=source, licence=licence, surveyed_on=surveyed)
        records = publish(uploads, details, options, principal=principal)
        if typed_name:
            st.session_state[keys.EDITOR_NAME] = who.strip()
        names = ", ".join(f"'{r.name}'" for r in records)
        st.session_state[keys.UPLOAD_NOTICE] = tr(
            "Published {names}. It is on the map and in the layer catalog.").format(names=names)
        st.session_state[keys.LAYER_FOCUS] = (records[0].name, records[0].bounds)
        st.rerun()
