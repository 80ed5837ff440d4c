"""What needs attention on a date: lock-outs starting, missed dates, pauses past their
expected end, records not updated, rule-set breaches; each with a link to its site."""

import streamlit as st

from mapping.cached import cached_sites
from mapping.parts import alert_list as ui
from mapping.parts.as_of_picker import as_of_label, as_of_sidebar
from mapping.permit_cache import alerts_for, record_for, rule_setting

st.title("Alerts", anchor=False)
as_of = as_of_sidebar()
found = alerts_for(as_of)
settings = {name: rule_setting(name, default) for name, default in
            (("lockout_days", 30), ("lockout_warning_days", 14), ("stale_days", 90))}
if found.empty:
    st.success(f"No alert {as_of_label(as_of)}.", icon=":material/check_circle:")
    st.markdown(ui.explanation(settings))
    st.stop()

ui.counts(found)
ui.alert_lists(found, record_for(as_of), cached_sites(), as_of)
with st.expander("What raises an alert"):
    st.markdown(ui.explanation(settings))
