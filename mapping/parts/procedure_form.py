"""Lay out a procedure from a milestone template (Japan's EIA Act and Mining Act steps, with
their statutory periods): pick the project, the template and the start date, see the planned
milestones, add them to the record. A site without a permitting record gets a project too."""

from __future__ import annotations

from datetime import date

import streamlit as st
from sqlalchemy import Engine

from domain.access import AccessDenied, Principal
from domain.errors import InputError
from domain.i18n import ntr, tr
from mapping import state_keys as keys
from mapping.parts.as_of_picker import EARLIEST, LATEST
from mapping.parts.grid import grid
from mapping.parts.safe_text import plain
from mapping.vocab_words import word
from permits.dates import shown
from permits.frames import PermitData
from permits.procedures import lay_procedure, new_project
from permits.templates import Template
from store.permit_procedures import add_procedure

_NEW = ""  # the project choice that starts a new project for the site


def procedure_form(current: PermitData, site_id: str, site_name: str, templates:
                   dict[str, Template], engine: Engine, principal: Principal) -> None:
    """The form, for someone who may edit timelines, on today's record of one site."""
    notice = st.session_state.pop(keys.PROCEDURE_ADDED, None)
    if notice:
        st.success(notice, icon=":material/check_circle:")
    if not templates:
        st.caption(tr("No milestone template is defined in the rule-set files."))
        return
    projects = dict(zip(current.projects["project_id"], current.projects["title"], strict=True))
    choices = [*projects, _NEW]
    project_labels = {pid: str(title or pid) for pid, title in projects.items()} | {
        _NEW: tr("a new permitting project for this site")}
    left, right = st.columns(2)
    project_id = left.selectbox(tr("Project"), choices, key=keys.PROCEDURE_PROJECT,
                                format_func=project_labels.__getitem__)
    template_labels = {tid: word("action_type", t.action_type, t.action_type)
                       for tid, t in templates.items()}
    template_id = right.selectbox(tr("Procedure"), list(templates), key=keys.PROCEDURE_TEMPLATE,
                                  format_func=template_labels.__getitem__)
    template = templates[template_id]
    title = ""
    if project_id == _NEW:
        title = left.text_input(tr("Title of the new project"), key=keys.PROCEDURE_TITLE,
                                placeholder=site_name)
    start = right.date_input(
        tr("Start date"), value=date.today(), min_value=EARLIEST, max_value=LATEST,
        format="YYYY-MM-DD", key=keys.PROCEDURE_START,
        help=tr("The date of the procedure's first step; each later step with a statutory "
                "period is planned from the step it follows."))
    agency = left.text_input(tr("Responsible authority"), key=keys.PROCEDURE_AGENCY,
                             placeholder=tr("e.g. Ministry of the Environment, Akita "
                                            "Prefecture"))
    # the record's own words (English, like every stored source), whoever lays it out
    source = f"laid out from template {template.id} ({template.ruleset})"
    project = (new_project(site_id, title or site_name, source=source) if project_id == _NEW
               else {"project_id": project_id})
    laid = lay_procedure(template, project, start, agency=agency, source=source,
                         new=project_id == _NEW)
    planned = laid.milestones.assign(
        planned=laid.milestones["current_target"].map(shown))[["sequence", "name", "planned"]]
    grid(planned, hide_index=True, width="stretch", column_config={
        "sequence": st.column_config.NumberColumn("#", format="%d", width="small"),
        "name": tr("Milestone"), "planned": tr("Planned date")})
    st.caption(tr("Steps without a planned date have no statutory period: enter their "
                  "targets after adding them."))
    if st.button(tr("Add to the record"), icon=":material/playlist_add:",
                 key=keys.PROCEDURE_ADD):
        try:
            added = add_procedure(engine, principal, laid, template_id=template.id)
        except AccessDenied as exc:  # the role changed since the page was drawn
            st.error(plain(str(exc)), icon=":material/lock:")
        except InputError as exc:
            st.error(plain(str(exc)), icon=":material/block:")
        else:
            st.session_state[keys.PROCEDURE_ADDED] = ntr(
                "Added {procedure}: {n} milestone.", "Added {procedure}: {n} milestones.",
                added).format(procedure=template_labels[template_id], n=added)
            st.rerun()
