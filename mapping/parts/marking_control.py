"""The editor's handling-marking control for one site or deposit: the whole record, or one
attribute of it (a site's operator, say), set through ``store.markings.set_marking``, which
checks the role and audits the change. Shown to those whose role may mark; the store refuses
anyone else."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from domain.access import MARKING_CODES, PUBLIC, Principal
from domain.i18n import N_, tr
from exports.marking import marking_label
from mapping import state_keys as keys
from mapping.page_errors import show_user_errors
from mapping.parts.safe_text import plain
from store.markings import markable_attributes, record_marks, set_marking

WHOLE_RECORD = ""
#: How the kinds of record are named in the control's sentences.
KIND_NAMES = {"site": N_("site"), "deposit": N_("deposit"), "layer": N_("survey layer")}


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
    name = tr(KIND_NAMES[kind]) if kind in KIND_NAMES else kind
    st.caption(tr("This {kind}: {marking}.").format(
        kind=name, marking=f"**{plain(marking_label(own))}**")
        + (" " + tr("Marked attributes: {list}.").format(list=plain(marked)) if marked else ""))
    key = f"{kind}_{record_id}"
    options = [WHOLE_RECORD, *(a for a in markable_attributes(kind) if a not in withheld)]
    # labels made here, in the page's language (a format_func may be called elsewhere)
    whole = tr("the whole {kind}").format(kind=name)
    labels = {a: whole if a == WHOLE_RECORD else
              f"{a.replace('_', ' ')} ({marking_label(marks.get(a, own))})" for a in options}
    target = st.selectbox(tr("Mark"), options, key=f"{keys.MARK_TARGET}_{key}",
                          format_func=labels.__getitem__)
    current = own if target == WHOLE_RECORD else marks.get(target, PUBLIC)
    code = st.selectbox(tr("Marking"), MARKING_CODES, index=MARKING_CODES.index(current),
                        key=f"{keys.MARK_CODE}_{key}_{target}", format_func=marking_label,
                        help=tr("Whoever's clearance does not reach it no longer receives the "
                                "{kind} (or the attribute): not on the map, in exports or "
                                "packs.").format(kind=name))
    if not principal.may_see(code):
        st.caption(tr("Your clearance is {clearance}: once marked {marking}, you will not see "
                      "it either.").format(clearance=marking_label(principal.clearance),
                                           marking=marking_label(code)))
    if st.button(tr("Set the marking"), key=f"{keys.MARK_TARGET}_set_{key}"):
        change = set_marking(engine, kind, record_id, code, principal=principal,
                             attribute=target)
        st.session_state[keys.MARK_DONE] = tr("Marked {change}.").format(
            change=change.describe())
        st.rerun()
