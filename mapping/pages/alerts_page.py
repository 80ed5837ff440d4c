"""What needs attention on a date: lock-outs starting, missed dates, pauses past their
expected end, records not updated, rule-set breaches; each with a link to its site."""

import streamlit as st

from domain.i18n import tr
from mapping.access_state import current_principal
from mapping.cached import cached_sites, hidden_sites
from mapping.parts import alert_list as ui
from mapping.parts.as_of_picker import as_of_label, as_of_sidebar
from mapping.permit_cache import alerts_for, record_for, rule_setting, unlinked_reasons
from sites.visibility import visible_record, without_hidden_projects

st.title(tr("Alerts"), anchor=False)
principal = current_principal()
as_of = as_of_sidebar()
hidden = hidden_sites(principal)  # their projects' alerts are left out with them
found = without_hidden_projects(alerts_for(as_of), record_for(as_of).projects, hidden)
settings = {name: rule_setting(name, default) for name, default in
            (("lockout_days", 30), ("lockout_warning_days", 14), ("stale_days", 90))}
if found.empty:
    st.success(tr("No alert {as_of}.").format(as_of=as_of_label(as_of)),
               icon=":material/check_circle:")
    st.markdown(ui.explanation(settings))
    st.stop()

ui.counts(found)
ui.alert_lists(found, visible_record(record_for(as_of), hidden), cached_sites(principal),
               as_of, unlinked_reasons())
with st.expander(tr("What raises an alert")):
    st.markdown(ui.explanation(settings))
