"""Is permitting getting faster? Measures by agency, action type, commodity, stage, country or
project; the trend per quarter; every project with a link to its site."""

import streamlit as st

from domain.i18n import tr
from mapping import state_keys as keys
from mapping.access_state import current_principal
from mapping.cached import cached_sites, hidden_sites
from mapping.parts import portfolio_tables as ui
from mapping.parts.as_of_picker import as_of_label, as_of_sidebar
from mapping.parts.grid import grid
from mapping.permit_cache import derived_for, projects_for, record_for, unlinked_reasons
from permits.portfolio import GROUPINGS, milestone_facts, portfolio_measures, status_counts, trend
from sites.visibility import visible_record, without_hidden_projects

st.title(tr("Portfolio"), anchor=False)
principal = current_principal()
as_of = as_of_sidebar()
hidden = hidden_sites(principal)  # their projects are left out with them
data = visible_record(record_for(as_of), hidden)
if data.projects.empty:
    st.info(tr("No permitting record yet ({as_of}). Records are added with `permitmap "
               "permits import` or in `data/permits/`.").format(as_of=as_of_label(as_of)),
            icon=":material/info:")
    st.stop()

sites = cached_sites(principal)
derived = without_hidden_projects(derived_for(as_of), record_for(as_of).projects, hidden)
facts = milestone_facts(derived, data, sites)
st.caption(tr("{projects} projects, {actions} actions, {milestones} milestones, {as_of}. On "
              "time: a completed milestone done on or before its baseline target. Slip: "
              "effective target minus baseline, in days.").format(
                  projects=len(data.projects), actions=len(data.actions),
                  milestones=len(facts), as_of=as_of_label(as_of)))

# labels made here, in the page's language (a format_func may be called elsewhere)
groups = {grouping: ui.group_name(grouping) for grouping in GROUPINGS}
by = str(st.radio(tr("Group by"), GROUPINGS, key=keys.PORTFOLIO_GROUP, horizontal=True,
                  format_func=groups.__getitem__))
measures = portfolio_measures(facts, data, by, as_of)
ui.measures_table(measures, by)
chart = ui.slip_chart(measures, by)
if chart is not None:
    heading = tr("Median slip by {group}").format(group=ui.group_name(by))
    st.markdown(f"**{heading}**")
    st.vega_lite_chart(chart, width="stretch")

st.subheader(tr("Trend"), anchor=False)
charts = ui.trend_charts(trend(facts))
if charts is None:
    st.caption(tr("No milestone is complete yet, so there is no trend."))
else:
    left, right = st.columns(2)
    left.vega_lite_chart(charts[0], width="stretch")
    right.vega_lite_chart(charts[1], width="stretch")

st.subheader(tr("Projects and actions by status"), anchor=False)
grid(status_counts(data), hide_index=True, width=520, column_config={
    "status": tr("Status"), "projects": tr("Projects"), "actions": tr("Actions")})

st.subheader(tr("Projects"), anchor=False)
ui.project_table(without_hidden_projects(projects_for(as_of), record_for(as_of).projects,
                                         hidden), sites, as_of, unlinked_reasons())
