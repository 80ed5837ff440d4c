"""The editor's handling-marking control for one site or deposit: the whole record, or one
attribute of it (a site's operator, say), set through ``store.markings.set_marking``, which
checks the role and audits the change. Shown to those whose role may mark; the store refuses
anyone else."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from domain.access import MARKING_CODES, PUBLIC, Principal
from exports.marking import marking_label
from mapping import state_keys as keys
from mapping.page_errors import show_user_errors
from mapping.parts.safe_text import plain
from store.markings import markable_attributes, record_marks, set_marking

WHOLE_RECORD = ""


def marking_control(kind: str, record_id: str, engine: Engine, principal: Principal) -> None:
    """The record's marking and its marked attributes, and a choice to change one."""
    done = st.session_state.pop(keys.MARK_DONE, None)
    if done:
        st.success(done, icon=":material/check_circle:")
    with show_user_errors():  # the record may have gone meanwhile (another process)
        own, marks = record_marks(engine, kind, record_id)
        # attributes marked above the clearance are neither named nor offered
        seen = {a: m for a, m in marks.items() if principal.may_see(m)}
        _control(kind, record_id, engine, principal, own, seen, set(marks) - set(seen))


def _control(kind: str, record_id: str, engine: Engine, principal: Principal, own: str,
             marks: dict[str, str], withheld: set[str]) -> None:
    marked = "; ".join(f"{a.replace('_', ' ')}: {marking_label(m)}"
                       for a, m in sorted(marks.items()))
    st.caption(f"This {kind}: **{plain(marking_label(own))}**."
               + (f" Marked attributes: {plain(marked)}." if marked else ""))
    key = f"{kind}_{record_id}"
    target = st.selectbox(
        "Mark", [WHOLE_RECORD, *(a for a in markable_attributes(kind) if a not in withheld)],
        key=f"{keys.MARK_TARGET}_{key}",
        format_func=lambda a: f"the whole {kind}" if a == WHOLE_RECORD else
        f"{a.replace('_', ' ')} ({marking_label(marks.get(a, own))})")
    current = own if target == WHOLE_RECORD else marks.get(target, PUBLIC)
    code = st.selectbox("Marking", MARKING_CODES, index=MARKING_CODES.index(current),
                        key=f"{keys.MARK_CODE}_{key}_{target}", format_func=marking_label,
                        help=f"Whoever's clearance does not reach it no longer receives the "
                             f"{kind} (or the attribute): not on the map, in exports or packs.")
    if not principal.may_see(code):
        st.caption(f"Your clearance is {marking_label(principal.clearance)}: once marked "
                   f"{marking_label(code)}, you will not see it either.")
    if st.button("Set the marking", key=f"{keys.MARK_TARGET}_set_{key}"):
        change = set_marking(engine, kind, record_id, code, principal=principal,
                             attribute=target)
        st.session_state[keys.MARK_DONE] = f"Marked {change.describe()}."
        st.rerun()
