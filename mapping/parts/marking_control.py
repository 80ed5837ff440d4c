"""The editor's handling-marking control for one site: the whole site, or one attribute of
it (its operator, say), set through ``store.markings.set_marking``, which checks the role and
audits the change. Shown to those whose role may mark; the store refuses anyone else."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from domain.access import MARKING_CODES, PUBLIC, Principal
from exports.marking import marking_label
from mapping import state_keys as keys
from mapping.cached import site_marks
from mapping.page_errors import show_user_errors
from mapping.parts.safe_text import plain
from store.markings import UNMARKABLE, set_marking
from store.models import Site

WHOLE_SITE = ""
#: The attributes an editor can mark on their own (the rest identify and place the site).
MARKABLE = tuple(c.name for c in Site.__table__.columns if c.name not in UNMARKABLE)


def marking_control(site_id: str, engine: Engine, principal: Principal) -> None:
    """The site's marking and its marked attributes, and a choice to change one."""
    done = st.session_state.pop(keys.MARK_DONE, None)
    if done:
        st.success(done, icon=":material/check_circle:")
    own, marks = site_marks(site_id)
    marked = "; ".join(f"{a.replace('_', ' ')}: {marking_label(m)}"
                       for a, m in sorted(marks.items()))
    st.caption(f"This site: **{plain(marking_label(own))}**."
               + (f" Marked attributes: {plain(marked)}." if marked else ""))
    target = st.selectbox(
        "Mark", [WHOLE_SITE, *MARKABLE], key=f"{keys.MARK_TARGET}_{site_id}",
        format_func=lambda a: "the whole site" if a == WHOLE_SITE else
        f"{a.replace('_', ' ')} ({marking_label(marks.get(a, own))})")
    current = own if target == WHOLE_SITE else marks.get(target, PUBLIC)
    code = st.selectbox("Marking", MARKING_CODES, index=MARKING_CODES.index(current),
                        key=f"{keys.MARK_CODE}_{site_id}_{target}", format_func=marking_label,
                        help="Whoever's clearance does not reach it no longer receives the "
                             "site (or the attribute): not on the map, in exports or packs.")
    if not principal.may_see(code):
        st.caption(f"Your clearance is {marking_label(principal.clearance)}: once marked "
                   f"{marking_label(code)}, you will not see it either.")
    if st.button("Set the marking", key=f"{keys.MARK_TARGET}_set_{site_id}"):
        with show_user_errors():
            change = set_marking(engine, "site", site_id, code, principal=principal,
                                 attribute=target)
            st.session_state[keys.MARK_DONE] = f"Marked {change.describe()}."
            st.rerun()
