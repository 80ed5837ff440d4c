"""Checking an editor's change to a milestone before it is saved (pure; the store applies it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.i18n import N_, tr
from permits.dates import PRECISION_OF
from permits.errors import EditRefused
from permits.history import FieldChange, diff_fields, value_text
from permits.schema import DATE_TARGET_FIELDS, EDITABLE_ACTION_FIELDS, EDITABLE_MILESTONE_FIELDS
from permits.vocab import ActionStatus, ChangeKind, ExtensionOutcome

NOTHING_TO_SAVE = N_("Nothing to save: the values are the same as the stored ones.")


@dataclass(frozen=True)
class EditPlan:
    """What saving the change will do: the field changes and how they enter the history."""

    changes: list[FieldChange]
    kind: ChangeKind
    applied: bool  # False for a rejected extension request: recorded, not applied


def plan_milestone_edit(
    current: Mapping[str, Any],
    proposed: Mapping[str, Any],
    *,
    reason: str,
    today: date,
    lockout_days: int,
    extension: ExtensionOutcome | None = None,
) -> EditPlan:
    """Check a milestone change and say how it is saved; EditRefused says what to do instead.

    >>> cur = {"current_target": date(2027, 1, 10), "complete": False}
    >>> plan_milestone_edit(cur, {"current_target": date(2027, 3, 1)},
    ...                     reason="Additional analysis required", today=date(2026, 11, 1),
    ...                     lockout_days=30).kind.value
    'edit'
    >>> plan_milestone_edit(cur, {"current_target": date(2027, 3, 1)}, reason="",
    ...                     today=date(2026, 11, 1), lockout_days=30)
    Traceback (most recent call last):
    permits.errors.EditRefused: A target-date change needs a reason: ...
    """
    merged = {**current, **proposed, **_precisions_of_new_dates(current, proposed)}
    changes = diff_fields(current, merged, [*EDITABLE_MILESTONE_FIELDS, *PRECISION_OF.values()])
    if not changes:
        raise EditRefused(tr(NOTHING_TO_SAVE))
    _check_values(merged, today)
    dates_changed = [c for c in changes if c.field in (*DATE_TARGET_FIELDS, "baseline_target")]
    if dates_changed and not reason.strip():
        raise EditRefused(tr("A target-date change needs a reason: pick one from the list or "
                             "write your own."))
    target_changed = any(c.field in DATE_TARGET_FIELDS for c in changes)
    locked_target = _locked_target(current, today, lockout_days)
    if target_changed and locked_target is not None and extension is None:
        days = (locked_target - today).days
        when = (tr("is {n} days away").format(n=days) if days >= 0
                else tr("passed {n} days ago").format(n=-days))
        raise EditRefused(
            tr("The target date {target} {when}: changes within {lockout} days of a target are "
               "locked out. Record the change as an extension request (approved or rejected) "
               "with its justification as the reason.").format(
                target=locked_target.isoformat(), when=when, lockout=lockout_days))
    if extension is not None and not target_changed:
        raise EditRefused(tr("An extension request must change the target date; change the "
                             "current target or the alternative completion date."))
    if extension is ExtensionOutcome.APPROVED:
        return EditPlan(changes, ChangeKind.EXTENSION_APPROVED, applied=True)
    if extension is ExtensionOutcome.REJECTED:
        return EditPlan(changes, ChangeKind.EXTENSION_REJECTED, applied=False)
    return EditPlan(changes, ChangeKind.EDIT, applied=True)


def _precisions_of_new_dates(current: Mapping[str, Any],
                             proposed: Mapping[str, Any]) -> dict[str, str]:
    """A date an editor picks is a day: its stored precision ("month", …) no longer holds."""
    return {PRECISION_OF[field]: "" for field in PRECISION_OF
            if field in proposed and PRECISION_OF[field] not in proposed
            and value_text(proposed[field]) != value_text(current.get(field))}


def _check_values(merged: Mapping[str, Any], today: date) -> None:
    actual = _day(merged.get("actual_completion"))
    if actual is not None and actual > today:
        raise EditRefused(tr("The actual completion date {date} is in the future; enter it "
                             "once the milestone is done, or change the target instead.").format(
                                 date=actual.isoformat()))
    if bool(merged.get("complete")) and actual is None:
        raise EditRefused(tr("A complete milestone needs its actual completion date; enter the "
                             "date it was done."))
    if bool(merged.get("complete")) and bool(merged.get("not_applicable")):
        raise EditRefused(tr("A milestone cannot be both complete and not applicable; untick "
                             "one."))


def _locked_target(current: Mapping[str, Any], today: date, lockout_days: int) -> date | None:
    """The effective target when today falls inside its lock-out window, else None."""
    target = _day(current.get("alternative_completion")) or _day(current.get("current_target"))
    if target is None or bool(current.get("complete")):
        return None
    return target if (target - today).days <= lockout_days else None


def _day(value: Any) -> date | None:
    text = value_text(value)
    return date.fromisoformat(text) if text else None


def plan_action_edit(
    current: Mapping[str, Any],
    proposed: Mapping[str, Any],
    *,
    today: date,
) -> EditPlan:
    """Check a change of an action's status, outcome or pause, as the dashboard's pausing rules
    ask: a pause needs its start, a coded reason and next steps; resuming closes the pause.

    >>> cur = {"status": "In Progress", "pause_start": None, "pause_end": None}
    >>> plan = plan_action_edit(cur, {"status": "Paused", "pause_start": date(2026, 11, 1),
    ...     "pause_reason": "Project Sponsor Factors", "pause_next_steps": "Await plan"},
    ...     today=date(2026, 11, 25))
    >>> [c.field for c in plan.changes]
    ['status', 'pause_start', 'pause_reason', 'pause_next_steps']
    """
    merged = {**current, **proposed}
    status = str(merged.get("status") or "")
    if status and status not in {s.value for s in ActionStatus}:
        raise EditRefused(tr("{status} is not a status the dashboard uses; pick one from the "
                             "list.").format(status=repr(status)))
    was_paused = current.get("status") == ActionStatus.PAUSED.value
    if status == ActionStatus.PAUSED.value and not was_paused:
        if _day(merged.get("pause_start")) is None:
            merged["pause_start"] = today
        if not str(merged.get("pause_reason") or "").strip():
            raise EditRefused(tr("A pause needs its reason: pick one from the list."))
        if not str(merged.get("pause_next_steps") or "").strip():
            raise EditRefused(tr("A pause needs a summary of next steps and when it should "
                                 "end."))
        merged["pause_end"] = proposed.get("pause_end")  # an expected end, if given
    if was_paused and status != ActionStatus.PAUSED.value and _day(merged.get("pause_end")) \
            in (None, _day(current.get("pause_end"))):
        merged["pause_end"] = today  # resumed today: the pause's actual end
    start, end = _day(merged.get("pause_start")), _day(merged.get("pause_end"))
    if start is not None and start > today:
        raise EditRefused(tr("The pause start {date} is in the future; record the pause when "
                             "it begins.").format(date=start.isoformat()))
    if start is not None and end is not None and end < start:
        raise EditRefused(tr("The pause ends ({end}) before it starts ({start}); correct one "
                             "of the dates.").format(end=end.isoformat(), start=start.isoformat()))
    changes = diff_fields(current, merged, list(EDITABLE_ACTION_FIELDS))
    if not changes:
        raise EditRefused(tr(NOTHING_TO_SAVE))
    return EditPlan(changes, ChangeKind.EDIT, applied=True)
