"""The action status form of the site timeline: status, outcome and pause, saved with a version.

Same habits as the milestone form (mapping/parts/milestone_form.py): the version read when the
form was first drawn goes with the save, a refused save keeps what was typed, a saved one starts
a new round of widgets showing the stored values.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st
from sqlalchemy import Engine

from domain.access import Principal
from domain.i18n import tr
from mapping import state_keys as keys
from mapping.parts.as_of_picker import EARLIEST, LATEST
from mapping.parts.milestone_form import asks_name, save_checked, saved_notice, saving_name
from mapping.vocab_words import word
from permits.editing import plan_action_edit
from permits.frames import PermitData
from permits.vocab import PAUSE_REASONS, ActionStatus
from store.permits_repo import get_record

NOT_STATED = ""


def action_form(data: PermitData, engine: Engine, principal: Principal) -> None:
    """Pick an action of ``data`` and change its status, outcome or pause (as ``principal``)."""
    state = st.session_state
    notice = state.pop(keys.ACTION_NOTICE, None)
    if notice:
        st.success(notice, icon=":material/check_circle:")
    actions = data.actions.sort_values(["project_id", "action_type"], kind="stable")
    if actions.empty:
        st.caption(tr("This site has no action to change."))
        return
    unnamed, no_agency = tr("action"), tr("agency not stated")
    labels = {a["action_id"]: f"{a['action_type'] or unnamed} · {a['agency'] or no_agency}"
              for a in actions.to_dict("records")}
    if state.get(keys.ACTION_EDIT) not in labels:
        state.pop(keys.ACTION_EDIT, None)
    action_id = str(st.selectbox(tr("Action"), list(labels), key=keys.ACTION_EDIT,
                                 format_func=labels.__getitem__))
    record = get_record(engine, "action", action_id)
    versions: dict[str, int] = state.setdefault(keys.ACTION_VERSIONS, {})
    versions.setdefault(action_id, int(record["version"]))
    round_ = state.setdefault(keys.ACTION_ROUNDS, {}).get(action_id, 0)
    with st.form("action_edit", border=True):
        _fields(action_id, round_, record, asks_name(principal))
        submitted = st.form_submit_button(tr("Save the action"), icon=":material/save:")
    if submitted:
        _save(engine, action_id, round_, record, versions, principal)


def _fields(action_id: str, round_: int, record: dict[str, Any], ask_name: bool) -> None:
    def key(field: str) -> str:
        return keys.action_key(action_id, field, round_)

    statuses = [NOT_STATED, *(s.value for s in ActionStatus)]
    current = record.get("status") or NOT_STATED
    # labels made here, in the page's language (a format_func may be called elsewhere)
    status_labels = {s: word("action_status", s) or tr("not stated") for s in [*statuses, current]}
    left, right = st.columns(2)
    left.selectbox(tr("Status"), statuses, index=statuses.index(current) if current in statuses
                   else 0, key=key("status"), format_func=status_labels.__getitem__)
    right.text_input(tr("Outcome"), value=record.get("outcome") or "", key=key("outcome"),
                     placeholder=tr("e.g. permit issued, denied, FONSI"))
    reasons = [NOT_STATED, *PAUSE_REASONS]
    stored_reason = record.get("pause_reason") or NOT_STATED
    reason_labels = {r: word("pause_reason", r) or tr("none") for r in [*reasons, stored_reason]}
    left.selectbox(tr("Pause reason"), reasons if stored_reason in reasons else [*reasons,
                                                                                 stored_reason],
                   index=(reasons.index(stored_reason) if stored_reason in reasons
                          else len(reasons)), key=key("pause_reason"),
                   format_func=reason_labels.__getitem__, help=tr("Required when pausing."))
    right.date_input(tr("Pause start"), value=record.get("pause_start"), key=key("pause_start"),
                     min_value=EARLIEST, max_value=LATEST, format="YYYY-MM-DD",
                     help=tr("Today when left empty on pausing."))
    left.date_input(tr("Pause end (expected while paused)"), value=record.get("pause_end"),
                    key=key("pause_end"), min_value=EARLIEST, max_value=LATEST,
                    format="YYYY-MM-DD", help=tr("Set to today on resuming when left as it was."))
    right.text_area(tr("Next steps of the pause"), value=record.get("pause_next_steps") or "",
                    key=key("pause_next_steps"), height=80)
    left.text_input(tr("Why (recorded in the history)"), key=key("reason"))
    if ask_name:
        right.text_input(tr("Your name"), value=st.session_state.get(keys.EDITOR_NAME, ""),
                         key=key("who"), placeholder=tr("recorded in the history"))


def _save(engine: Engine, action_id: str, round_: int, record: dict[str, Any],
          versions: dict[str, int], principal: Principal) -> None:
    state = st.session_state

    def value(field: str) -> Any:
        return state.get(keys.action_key(action_id, field, round_))

    who = saving_name(principal, value("who"))
    if who is None:
        return
    proposed = {f: value(f) for f in ("status", "outcome", "pause_reason", "pause_start",
                                      "pause_end", "pause_next_steps")}
    reason = str(value("reason") or "").strip()
    saved = save_checked(engine, "action", action_id, versions,
                         lambda: plan_action_edit(record, proposed, today=date.today()),
                         principal=principal, who=who, reason=reason)
    if saved is None:
        return
    plan, new_version = saved
    state[keys.ACTION_NOTICE] = saved_notice(tr("Saved"), plan, new_version)
    versions.pop(action_id, None)
    state[keys.ACTION_ROUNDS][action_id] = round_ + 1
    st.rerun()
