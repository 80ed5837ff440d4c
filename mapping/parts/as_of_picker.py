"""The shared "View as of" date in the sidebar of the map and the permitting pages.

The date lives in session state (so it follows the user from page to page) and in the URL as
``?as_of=YYYY-MM-DD`` (so a link shows the same view); today is the default and leaves the URL
clean. A shared link is read on the session's first run.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from domain.i18n import N_, tr
from mapping import state_keys as keys
from mapping.parts.safe_text import plain

EARLIEST = date(1990, 1, 1)
LATEST = date(2100, 12, 31)
EXPLANATION = N_("As of a date: the record as it stood at the end of that day, from the change "
               "history; completions after it count as not yet done.")


def as_of_sidebar() -> date:
    """Draw the date input in the sidebar; return the chosen date (today by default)."""
    state = st.session_state
    today = date.today()
    if keys.AS_OF not in state:
        state[keys.AS_OF] = _from_url(today)
    state[keys.AS_OF_INPUT] = state[keys.AS_OF]
    st.sidebar.date_input(tr("View as of"), key=keys.AS_OF_INPUT, min_value=EARLIEST,
                          max_value=LATEST, format="YYYY-MM-DD", on_change=_changed,
                          help=tr("Today shows the current record."))
    chosen: date = state[keys.AS_OF]
    st.sidebar.caption(tr(EXPLANATION) if chosen != today
                       else tr(EXPLANATION) + " " + tr("Today shows the current record."))
    if chosen != today:
        st.query_params[keys.AS_OF_PARAM] = chosen.isoformat()
    elif keys.AS_OF_PARAM in st.query_params:
        del st.query_params[keys.AS_OF_PARAM]
    return chosen


def as_of_label(as_of: date) -> str:
    """'today' or 'as of 2025-06-01', for headings and captions."""
    return tr("today") if as_of == date.today() else \
        tr("as of {date}").format(date=as_of.isoformat())


def as_of_query(as_of: date) -> str:
    """``&as_of=...`` for links to other pages, or '' for today."""
    return "" if as_of == date.today() else f"&{keys.AS_OF_PARAM}={as_of.isoformat()}"


def _changed() -> None:
    value = st.session_state.get(keys.AS_OF_INPUT)
    st.session_state[keys.AS_OF] = value if isinstance(value, date) else date.today()


def _from_url(today: date) -> date:
    text = st.query_params.get(keys.AS_OF_PARAM, "")
    if not text:
        return today
    try:
        value = date.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or not EARLIEST <= value <= LATEST:
        st.warning(tr("The date “{text}” in the link is not a date written YYYY-MM-DD "
                      "between {earliest} and {latest}; showing today instead.").format(
                          text=plain(text), earliest=EARLIEST.isoformat(),
                          latest=LATEST.isoformat()), icon=":material/event_busy:")
        return today
    return value
