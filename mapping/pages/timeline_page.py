"""One site's permitting: per project its figures, rule findings, Gantt chart, milestones; then
the site's change history and the edit form."""

from datetime import date

import streamlit as st

from domain.access import Action
from domain.i18n import current_language, tr
from mapping import state_keys as keys
from mapping.access_state import current_principal
from mapping.cached import cached_sites
from mapping.parts import timeline_sections as ui
from mapping.parts.action_form import action_form
from mapping.parts.as_of_picker import as_of_label, as_of_sidebar
from mapping.parts.export_buttons import export_controls
from mapping.parts.marking_control import marking_control
from mapping.parts.milestone_form import edit_form
from mapping.parts.procedure_form import procedure_form
from mapping.parts.safe_text import plain
from mapping.permit_cache import (
    changes,
    derived_for,
    health_for,
    projects_for,
    record_for,
    rule_setting,
    site_findings,
    templates,
)
from mapping.store_access import engine
from permits.as_of import replays_history
from sites.filters import SiteFilter
from sites.names import shown_name
from sites.selection import SiteSelection

st.title(tr("Site timeline"), anchor=False)
principal = current_principal()
as_of = as_of_sidebar()
sites = cached_sites(principal)
site_id = ui.site_picker(sites, dict(health_for(as_of)))
if site_id is None:
    st.info(tr("Pick a site to see its permitting timeline."), icon=":material/timeline:")
    st.stop()
st.page_link("pages/map_page.py", label=tr("On the map"), icon=":material/map:",
             query_params={keys.SITE_PARAM: site_id})
with st.sidebar.expander(tr("Export this site"), icon=":material/download:"):
    export_controls(SiteSelection(SiteFilter(site_ids=(site_id,)), as_of), "site",
                    principal=principal)
if principal.may(Action.MARK):
    with st.sidebar.expander(tr("Handling marking"), icon=":material/lock:"):
        marking_control("site", site_id, engine(), principal)

editing = principal.may(Action.EDIT_TIMELINE) and not replays_history(as_of, date.today())


def lay_out_procedure(site: str) -> None:
    """The template form, for an editor viewing today's record of ``site``."""
    site_name = shown_name(sites.loc[sites["id"] == site].iloc[0], current_language())
    with st.expander(tr("Lay out a procedure from a template"),
                     icon=":material/playlist_add:", expanded=data.projects.empty):
        procedure_form(record_for(date.today()).for_site(site), site, site_name,
                       templates(), engine(), principal)


data = record_for(as_of).for_site(site_id)
if data.projects.empty:
    st.info(tr("No permitting record for this site ({as_of}). Records are added with "
               "`permitmap permits import` or in `data/permits/`.").format(
                   as_of=as_of_label(as_of)), icon=":material/info:")
    if editing:
        lay_out_procedure(site_id)
    st.stop()

project_ids = tuple(data.projects["project_id"])
# A project's sponsor is the site's operator in the dashboard's words: withheld with it.
operator_withheld = "operator" in sites.loc[sites["id"] == site_id, "withheld"].iloc[0]
derived = derived_for(as_of)
derived = derived[derived["project_id"].isin(project_ids)]
summary = projects_for(as_of).set_index("project_id")
found = site_findings(as_of, project_ids)
for project_id in project_ids:
    project = summary.loc[project_id]
    if operator_withheld:
        project = project.copy()
        project["sponsor"] = None
    own = derived[derived["project_id"] == project_id]
    actions = data.actions[data.actions["project_id"] == project_id]
    st.subheader(project["title"] or project_id, anchor=False, divider="gray")
    ui.project_header(project)
    ui.pauses(project, actions, as_of)
    ui.findings(found[found["project_id"] == project_id])
    ui.notices(own)
    ui.gantt(own, actions, project, as_of)
    with st.expander(tr("Milestones ({n})").format(n=len(own)), expanded=True):
        ui.milestone_table(own, actions)
    ui.sources(data.for_projects([project_id]))

st.subheader(tr("History"), anchor=False, divider="gray")
ui.history(changes(), data, as_of, site_id,
           str(sites.loc[sites["id"] == site_id, "marking"].iloc[0]), principal=principal,
           engine=engine(), withheld=("operator",) if operator_withheld else ())

st.subheader(tr("Change a milestone"), anchor=False, divider="gray")
if not principal.may(Action.EDIT_TIMELINE):
    st.info((tr("Sign in to change this timeline.") if principal.kind == "anonymous" else
             tr("Your role ({role}) can view this timeline; changing it needs the editor "
                "role. Ask an admin to change your account's role.").format(
                    role=principal.role)),
            icon=":material/edit_off:")
elif replays_history(as_of, date.today()):
    st.info(tr("You are viewing the record {as_of}; set “View as of” back to today to "
               "change it.").format(as_of=plain(as_of_label(as_of))),
            icon=":material/edit_off:")
else:
    current = record_for(date.today()).for_site(site_id)
    edit_form(current, engine(), rule_setting("lockout_days", 30), principal)
    st.subheader(tr("Change an action's status or pause"), anchor=False, divider="gray")
    action_form(current, engine(), principal)
    st.subheader(tr("Add a procedure"), anchor=False, divider="gray")
    lay_out_procedure(site_id)
