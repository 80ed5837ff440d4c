"""The milestone edit form of the site timeline: checked by permits.editing, saved with a version.

The version read when a milestone's form is first drawn is kept in session state; the save
names it, so a change someone else saved in between is refused (and shown) instead of being
overwritten. A refused save keeps every entry in the form.

The history names the signed-in person; only with open access (no account in the store yet)
does the form ask for a name.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import streamlit as st
from sqlalchemy import Engine

from domain.access import AccessDenied, Principal
from domain.i18n import N_, tr
from mapping import state_keys as keys
from mapping.parts.as_of_picker import EARLIEST, LATEST
from mapping.parts.safe_text import plain
from mapping.vocab_words import word
from permits.editing import EditPlan, plan_milestone_edit
from permits.errors import EditRefused
from permits.frames import PermitData
from permits.history import value_text
from permits.schema import DATE_TARGET_FIELDS
from permits.vocab import DATE_CHANGE_REASONS, ExtensionOutcome
from store.errors import EditConflict
from store.permits_repo import get_record, save_edit

OTHER_REASON = N_("Other (write below)")  # the choice's value stays this English text
NO_EXTENSION = "none"
EXTENSIONS = {NO_EXTENSION: N_("No extension request"),
              ExtensionOutcome.APPROVED.value: N_("Extension request approved"),
              ExtensionOutcome.REJECTED.value: N_("Extension request rejected")}
DATE_FIELDS = {"current_target": N_("Current target"), "alternative_completion":
               N_("Alternative completion"), "baseline_target": N_("Baseline target"),
               "actual_completion": N_("Actual completion")}


def edit_form(data: PermitData, engine: Engine, lockout_days: int, principal: Principal) -> None:
    """Pick a milestone of ``data`` and change its dates or completion (as ``principal``)."""
    state = st.session_state
    notice = state.pop(keys.EDIT_NOTICE, None)
    if notice:
        st.success(notice, icon=":material/check_circle:")
    milestones = data.milestones.merge(
        data.actions[["action_id", "action_type"]], on="action_id", how="left"
    ).sort_values(["project_id", "action_id", "sequence"], kind="stable")
    if milestones.empty:
        st.caption(tr("This site has no milestone to edit."))
        return
    labels = {m.milestone_id: f"{m.action_type} · {m.sequence}. {m.name}"
              for m in milestones.itertuples()}
    if state.get(keys.EDIT_MILESTONE) not in labels:
        state.pop(keys.EDIT_MILESTONE, None)
    milestone_id = str(st.selectbox(tr("Milestone"), list(labels), key=keys.EDIT_MILESTONE,
                                    format_func=labels.__getitem__))
    record = get_record(engine, "milestone", milestone_id)
    versions: dict[str, int] = state.setdefault(keys.EDIT_VERSIONS, {})
    versions.setdefault(milestone_id, int(record["version"]))
    st.caption(tr("Changes to a target within {days} days of it are locked out: record them "
                  "as an extension request. Every saved change enters the history with your "
                  "name and reason.").format(days=lockout_days))
    round_ = state.setdefault(keys.EDIT_ROUNDS, {}).get(milestone_id, 0)
    with st.form("milestone_edit", border=True):
        _fields(milestone_id, round_, record, asks_name(principal))
        submitted = st.form_submit_button(tr("Save the change"), type="primary",
                                          icon=":material/save:")
    if submitted:
        _save(engine, milestone_id, round_, record, versions, lockout_days, principal)


def asks_name(principal: Principal) -> bool:
    """Whether a form asks who is saving: only with open access (no account yet); a
    signed-in person is recorded under their account's name."""
    return principal.kind == "open"


def _fields(milestone_id: str, round_: int, record: dict[str, Any], ask_name: bool) -> None:
    def key(field: str) -> str:
        return keys.edit_key(milestone_id, field, round_)

    left, right = st.columns(2)
    for i, (field, label) in enumerate(DATE_FIELDS.items()):
        (left if i % 2 == 0 else right).date_input(
            tr(label), value=record.get(field), key=key(field), min_value=EARLIEST,
            max_value=LATEST, format="YYYY-MM-DD")
    left.checkbox(tr("Complete"), value=bool(record.get("complete")), key=key("complete"))
    right.checkbox(tr("Not applicable"), value=bool(record.get("not_applicable")),
                   key=key("not_applicable"))
    reasons = [*DATE_CHANGE_REASONS, OTHER_REASON]
    # labels made here, in the page's language (a format_func may be called elsewhere); the
    # dashboard's reasons are the record's vocabulary: stored as they are, shown by name
    reason_labels = ({r: word("date_change_reason", r) for r in DATE_CHANGE_REASONS}
                     | {OTHER_REASON: tr(OTHER_REASON)})
    left.selectbox(tr("Reason for the change"), reasons, index=None, key=key("reason_choice"),
                   placeholder=tr("pick a reason"), format_func=reason_labels.__getitem__,
                   help=tr("Required when a date changes; the dashboard's reasons."))
    right.text_input(tr("Other reason or justification"), key=key("reason_text"),
                     placeholder=tr("required with “Other”; added to a listed reason"))
    extensions = {value: tr(label) for value, label in EXTENSIONS.items()}
    left.radio(tr("Extension request (inside the lock-out)"), list(EXTENSIONS),
               key=key("extension"), format_func=extensions.__getitem__, horizontal=False)
    if ask_name:
        right.text_input(tr("Your name"), value=st.session_state.get(keys.EDITOR_NAME, ""),
                         key=key("who"), placeholder=tr("recorded in the history"))


def _save(engine: Engine, milestone_id: str, round_: int, record: dict[str, Any],
          versions: dict[str, int], lockout_days: int, principal: Principal) -> None:
    state = st.session_state

    def value(field: str) -> Any:
        return state.get(keys.edit_key(milestone_id, field, round_))

    who = saving_name(principal, value("who"))
    if who is None:
        return
    choice, text = value("reason_choice"), str(value("reason_text") or "").strip()
    reason = "; ".join(p for p in (choice if choice != OTHER_REASON else None, text) if p)
    proposed: dict[str, Any] = {f: value(f) for f in DATE_FIELDS}
    proposed |= {"complete": bool(value("complete")),
                 "not_applicable": bool(value("not_applicable"))}
    if any(value_text(proposed[f]) != value_text(record.get(f))
           for f in (*DATE_TARGET_FIELDS, "baseline_target")) and reason:
        proposed["reason_for_change"] = reason
    extension = value("extension")
    outcome = None if extension in (None, NO_EXTENSION) else ExtensionOutcome(extension)
    saved = save_checked(engine, "milestone", milestone_id, versions, lambda: plan_milestone_edit(
        record, proposed, reason=reason, today=date.today(), lockout_days=lockout_days,
        extension=outcome), principal=principal, who=who, reason=reason)
    if saved is None:
        return
    plan, new_version = saved
    verb = (tr("Saved") if plan.applied
            else tr("Recorded the rejected extension request (not applied)"))
    state[keys.EDIT_NOTICE] = saved_notice(verb, plan, new_version)
    versions.pop(milestone_id, None)  # the next form reads the new version
    state[keys.EDIT_ROUNDS][milestone_id] = round_ + 1  # and shows the stored values
    for field in keys.EDIT_FIELDS:
        state.pop(keys.edit_key(milestone_id, field, round_), None)
    st.rerun()


def saving_name(principal: Principal, entered: Any) -> str | None:
    """Who the history records: the signed-in person, or (open access) the name typed."""
    return editor_name(entered) if asks_name(principal) else principal.name


def editor_name(entered: Any) -> str | None:
    """The editor's name, remembered for the next form; None (and a message) when empty."""
    who = str(entered or "").strip()
    if not who:
        st.error(tr("Enter your name: the history records who made each change."),
                 icon=":material/person:")
        return None
    st.session_state[keys.EDITOR_NAME] = who
    return who


def save_checked(engine: Engine, entity: str, record_id: str, versions: dict[str, int],
                 plan_for: Callable[[], EditPlan], *, principal: Principal, who: str,
                 reason: str) -> tuple[EditPlan, int] | None:
    """Check and save a change under the version the form read, as ``principal``; (plan, new
    version), or None after showing why it was refused. The form keeps its entries either
    way."""
    try:
        plan = plan_for()
        return plan, save_edit(engine, entity, record_id, versions[record_id], plan,
                               principal=principal, who=who, reason=reason)
    except AccessDenied as exc:  # the role changed since the page was drawn
        st.error(plain(str(exc)), icon=":material/lock:")
    except EditRefused as exc:
        st.error(plain(str(exc)), icon=":material/block:")
    except EditConflict as exc:
        # the next save is checked against what is stored now
        versions[record_id] = int(get_record(engine, entity, record_id)["version"])
        st.error(plain(str(exc)), icon=":material/sync_problem:")
    return None


def change_summary(plan: EditPlan) -> str:
    """The fields a saved change touched, for the notice after the save (markdown-safe)."""
    empty = tr("(empty)")
    return plain("; ".join(f"{c.field.replace('_', ' ')} {c.before or empty} → "
                           f"{c.after or empty}" for c in plan.changes))


def saved_notice(verb: str, plan: EditPlan, version: int) -> str:
    """The notice after a save: what was done, the fields it touched, the new version."""
    return tr("{verb}: {changes} (version {version}).").format(
        verb=verb, changes=change_summary(plan), version=version)
