"""Is permitting getting faster? Measures by agency, action type, commodity, stage, country or
project; the trend per quarter; every project with a link to its site."""

import streamlit as st

from mapping import state_keys as keys
from mapping.access_state import current_principal
from mapping.cached import cached_sites, hidden_sites
from mapping.parts import portfolio_tables as ui
from mapping.parts.as_of_picker import as_of_label, as_of_sidebar
from mapping.permit_cache import derived_for, projects_for, record_for, unlinked_reasons
from permits.portfolio import GROUPINGS, milestone_facts, portfolio_measures, status_counts, trend
from sites.visibility import visible_record, without_hidden_projects

st.title("Portfolio", anchor=False)
principal = current_principal()
as_of = as_of_sidebar()
hidden = hidden_sites(principal)  # their projects are left out with them
data = visible_record(record_for(as_of), hidden)
if data.projects.empty:
    st.info(f"No permitting record yet ({as_of_label(as_of)}). Records are added with "
            "`permitmap permits import` or in `data/permits/`.", icon=":material/info:")
    st.stop()

sites = cached_sites(principal)
derived = without_hidden_projects(derived_for(as_of), record_for(as_of).projects, hidden)
facts = milestone_facts(derived, data, sites)
st.caption(f"{len(data.projects)} projects, {len(data.actions)} actions, {len(facts)} "
           f"milestones, {as_of_label(as_of)}. On time: a completed milestone done on or before "
           "its baseline target. Slip: effective target minus baseline, in days.")

by = str(st.radio("Group by", GROUPINGS, key=keys.PORTFOLIO_GROUP, horizontal=True))
measures = portfolio_measures(facts, data, by, as_of)
ui.measures_table(measures, by)
chart = ui.slip_chart(measures, by)
if chart is not None:
    st.markdown(f"**Median slip by {by}**")
    st.vega_lite_chart(chart, width="stretch")

st.subheader("Trend", anchor=False)
charts = ui.trend_charts(trend(facts))
if charts is None:
    st.caption("No milestone is complete yet, so there is no trend.")
else:
    left, right = st.columns(2)
    left.vega_lite_chart(charts[0], width="stretch")
    right.vega_lite_chart(charts[1], width="stretch")

st.subheader("Projects and actions by status", anchor=False)
st.dataframe(status_counts(data), hide_index=True, width=520, column_config={
    "status": "Status", "projects": "Projects", "actions": "Actions"})

st.subheader("Projects", anchor=False)
ui.project_table(without_hidden_projects(projects_for(as_of), record_for(as_of).projects,
                                         hidden), sites, as_of, unlinked_reasons())
