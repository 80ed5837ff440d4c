"""Derived schedule state of every milestone on a given date, vectorised.

The dashboard's rules: the effective target is the alternative completion date when set,
else the current target; slip is effective target minus baseline, in days; an open milestone
whose target has passed raises a missed-date notice counted in business days.

Viewing "as of" a past date: actual completions after that date had not happened yet, so they
are treated as open. ``today`` (the real date) decides which actual dates lie in the future.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from domain.i18n import N_, ntr, tr
from permits.dates import period_start_days, precision, shown
from permits.frames import (
    DUE_SOON_DAYS,
    PermitData,
    as_day,
    business_days_after,
    day_number,
    from_day,
    positions,
)
from permits.vocab import (
    ActionStatus,
    DatePrecision,
    MilestoneState,
    ProjectStatus,
    milestone_event,
)

CLOSED_ACTION_STATUSES = (
    ActionStatus.CANCELLED,
    ActionStatus.CLASS_OF_ACTION_CHANGED,
    ActionStatus.NO_LONGER_TRACKED,
)
_MAX_CHAIN = 10_000  # longest dependency chain followed before calling it a cycle

# The flags stay English in the derived frame (cached for every reader, whatever their
# language): :func:`flags_shown` translates them where they are shown.
FLAG_COMPLETE_NO_ACTUAL = N_("complete without an actual date")
FLAG_ACTUAL_IN_FUTURE = N_("actual date in the future")
FLAG_BASELINE_AFTER_TARGET = N_("baseline after the current target with no reason")
FLAG_DEPENDENCY_ORDER = N_("earlier than the milestone it depends on")
FLAG_DEPENDENCY_MISSING = N_("depends on a milestone that is not in the record")
FLAG_SEPARATOR = "; "


def derive_milestones(data: PermitData, as_of: date, today: date | None = None) -> pd.DataFrame:
    """Every milestone with its derived state on ``as_of``.

    Adds: ``event``, ``effective_target`` (and its precision), ``slip_days``, ``state``,
    ``days_to_target``, ``business_days_late``, ``paused``, ``is_open``, ``flags``
    ("; "-joined), ``predecessor`` (a row position) and ``predecessor_id`` (its milestone id,
    "" for none), ``projected_finish`` and ``on_critical_path``.
    """
    today = today or as_of
    ms = data.milestones.reset_index(drop=True).copy()
    now = as_day(as_of)
    actual_raw = day_number(ms["actual_completion"])
    happened = ~np.isnan(actual_raw) & (actual_raw <= now)
    actual = np.where(happened, actual_raw, np.nan)
    flagged_complete = ms["complete"].to_numpy(bool) & np.isnan(actual_raw)
    complete = happened | flagged_complete
    effective = day_number(ms["alternative_completion"])
    effective = np.where(np.isnan(effective), day_number(ms["current_target"]), effective)
    baseline = day_number(ms["baseline_target"])

    paused = _paused(data, ms, as_of)
    action_closed = data.actions["status"].isin(CLOSED_ACTION_STATUSES).to_numpy()
    closed = _lookup(data.actions["action_id"], action_closed, ms["action_id"], False)
    not_applicable = ms["not_applicable"].to_numpy(bool) | (closed & ~complete)
    # Categoricals, not text: half a million short strings cost more than the derivation.
    order = [MilestoneState.NOT_APPLICABLE, MilestoneState.COMPLETE, MilestoneState.PAUSED,
             MilestoneState.UNSCHEDULED, MilestoneState.OVERDUE, MilestoneState.DUE_SOON,
             MilestoneState.SCHEDULED]
    state_codes = np.select(
        [not_applicable, complete, paused, np.isnan(effective), effective < now,
         effective <= now + DUE_SOON_DAYS], range(6), 6)
    ms["state"] = pd.Categorical.from_codes(state_codes, pd.Index([s.value for s in order]))
    ms["is_open"] = ~(not_applicable | complete)
    ms["event"] = _events(ms)
    ms["effective_target"] = from_day(effective)
    ms["effective_target_precision"] = np.where(
        ms["alternative_completion"].notna(), ms["alternative_completion_precision"],
        ms["current_target_precision"])
    ms["slip_days"] = effective - baseline
    ms["days_to_target"] = effective - now
    overdue = (ms["state"] == MilestoneState.OVERDUE.value).to_numpy()
    ms["business_days_late"] = business_days_after(np.where(overdue, effective, np.nan), as_of)
    ms["paused"] = paused
    ms["actual_as_of"] = from_day(actual)
    predecessor = _predecessors(ms)
    ms["predecessor"] = predecessor
    # The predecessor by id as well as by row position: the id stays right in a filtered frame.
    ids = ms["milestone_id"].to_numpy(dtype=object)
    ms["predecessor_id"] = np.where(predecessor >= 0, ids[np.maximum(predecessor, 0)], "") \
        if len(ids) else pd.Series(dtype=object)
    ms["flags"] = _flags(ms, actual_raw, effective, baseline, predecessor, as_day(today))
    finish, critical = _projection(ms, predecessor, actual, effective, complete, not_applicable,
                                   now)
    ms["projected_finish"] = from_day(finish)
    ms["on_critical_path"] = critical
    return ms


def missed_date_notice(row: pd.Series) -> str:
    """The dashboard's missed-date sentence for one overdue milestone row."""
    when, exactness = row["effective_target"], row.get("effective_target_precision", "")
    # the dashboard's own wording for a day; a month or year is shown as that period
    target = (pd.Timestamp(when).strftime("%m/%d/%Y") if precision(exactness) is DatePrecision.DAY
              else shown(when, exactness))
    days = int(row["business_days_late"])
    return ntr("Target date of {target} for {name} has passed by {n} business day.",
               "Target date of {target} for {name} has passed by {n} business days.",
               days).format(target=target, name=row["name"], n=days)


def flags_shown(flags: object) -> str:
    """A milestone's "; "-joined ``flags`` (stored in English) in the current language.

    >>> flags_shown("actual date in the future; earlier than the milestone it depends on")
    'actual date in the future; earlier than the milestone it depends on'
    >>> flags_shown(None)
    ''
    """
    text = "" if flags is None or not isinstance(flags, str) else flags
    return FLAG_SEPARATOR.join(tr(flag) for flag in text.split(FLAG_SEPARATOR) if flag)


def _paused(data: PermitData, ms: pd.DataFrame, as_of: date) -> np.ndarray:
    """Paused on ``as_of``: the action's or the project's pause covers that date."""
    paused = np.zeros(len(ms), dtype=bool)
    for frame, key, status in (
        (data.actions, "action_id", ActionStatus.PAUSED.value),
        (data.projects, "project_id", ProjectStatus.PAUSED.value),
    ):
        paused |= _lookup(frame[key], paused_on(frame, as_of, status), ms[key], False)
    return paused


def paused_on(frame: pd.DataFrame, as_of: date,
              paused_status: str = ActionStatus.PAUSED.value) -> np.ndarray:
    """Per row of projects or actions: does its pause cover ``as_of``?

    A row whose status is Paused has an open pause (its end is only expected): paused from its
    start, or always when no start is recorded. Any other row is paused from its recorded start
    up to the day before its end (with no end recorded, from its start on).

    >>> rows = pd.DataFrame({"status": ["Paused", "In Progress", "In Progress", "Paused"],
    ...     "pause_start": pd.to_datetime(["2026-01-01", "2026-01-01", None, "2026-09-01"]),
    ...     "pause_end": pd.to_datetime(["2026-02-01", "2026-02-01", None, None])})
    >>> paused_on(rows, date(2026, 3, 1)).tolist(), paused_on(rows, date(2026, 1, 31)).tolist()
    ([True, False, False, False], [True, True, False, False])
    """
    start, end = _pause_days(frame)
    now = as_day(as_of)
    started = np.isnan(start) | (start <= now)
    is_paused = (frame["status"] == paused_status).to_numpy()
    window = ~np.isnan(start) & (start <= now) & (np.isnan(end) | (now < end))
    return (is_paused & started) | (~is_paused & window)


def pause_ended(frame: pd.DataFrame, as_of: date,
                paused_status: str = ActionStatus.PAUSED.value) -> np.ndarray:
    """Per row: a recorded pause that started by ``as_of`` and no longer covers it.

    >>> rows = pd.DataFrame({"status": ["In Progress", "In Progress"],
    ...     "pause_start": pd.to_datetime(["2026-01-01", "2026-05-01"]),
    ...     "pause_end": pd.to_datetime(["2026-02-01", None])})
    >>> pause_ended(rows, date(2026, 3, 1)).tolist()
    [True, False]
    """
    start, _ = _pause_days(frame)
    started = ~np.isnan(start) & (start <= as_day(as_of))
    return started & ~paused_on(frame, as_of, paused_status)


def _pause_days(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The pause start and end of each row as day numbers (dates of any dtype accepted)."""
    return (day_number(pd.to_datetime(frame["pause_start"])),
            day_number(pd.to_datetime(frame["pause_end"])))


def _lookup(keys: pd.Series, values: np.ndarray, wanted: pd.Series, missing: bool
            ) -> np.ndarray:
    """The flag in ``values`` of the row whose key equals each of ``wanted``, vectorised."""
    position = positions(keys, wanted)
    if not len(values):
        return np.full(len(wanted), missing, dtype=bool)
    return np.where(position >= 0, np.asarray(values, dtype=bool)[np.maximum(position, 0)],
                    missing)


def _events(ms: pd.DataFrame) -> pd.Categorical:
    """The event of each milestone, worked out once per distinct (type, name)."""
    pairs = ms["milestone_type"].astype(str) + "\x1f" + ms["name"].astype(str)
    codes, uniques = pd.factorize(pairs)
    events = [milestone_event(*u.split("\x1f", 1)).value for u in uniques]
    categories = list(dict.fromkeys(events))
    event_code = np.array([categories.index(e) for e in events], dtype="int64")
    return pd.Categorical.from_codes(event_code[codes] if len(codes) else [],
                                     pd.Index(categories, dtype=object))


def _predecessors(ms: pd.DataFrame) -> np.ndarray:
    """Row position of each milestone's predecessor (-1 for none).

    An explicit dependency wins; otherwise the previous milestone of the same action.
    """
    explicit = positions(ms["milestone_id"], ms["depends_on"])
    action_codes = pd.factorize(ms["action_id"])[0]
    order = np.lexsort((ms["sequence"].to_numpy(), action_codes))
    same_action = action_codes[order]
    previous = np.full(len(ms), -1, dtype="int64")
    follows = np.r_[False, same_action[1:] == same_action[:-1]][:len(ms)]
    previous[order[follows]] = order[np.r_[follows[1:], False][:len(ms)]]
    has_explicit = ms["depends_on"].to_numpy() != ""
    return np.where(has_explicit, explicit, previous)


def _flags(
    ms: pd.DataFrame,
    actual_raw: np.ndarray,
    effective: np.ndarray,
    baseline: np.ndarray,
    predecessor: np.ndarray,
    today: float,
) -> pd.Series:
    """Inconsistencies the dashboard asks agencies to fix, as "; "-joined text."""
    own = np.where(np.isnan(actual_raw), effective, actual_raw)
    # A date known to a period is stored at the period's end: an order is broken only when
    # one period ends before the other begins ("2026" is not after 2026-09-07).
    own_precision = ms["actual_completion_precision"].where(
        ~np.isnan(actual_raw), ms["effective_target_precision"])
    own_start = period_start_days(own, own_precision)
    pred_start = np.where(predecessor >= 0, own_start[np.maximum(predecessor, 0)], np.nan)
    baseline_start = period_start_days(baseline, ms["baseline_target_precision"])
    explicit = ms["depends_on"].to_numpy() != ""
    checks = {
        FLAG_COMPLETE_NO_ACTUAL: ms["complete"].to_numpy(bool) & np.isnan(actual_raw),
        FLAG_ACTUAL_IN_FUTURE: actual_raw > today,
        FLAG_BASELINE_AFTER_TARGET: (baseline_start > effective)
        & (ms["reason_for_change"].to_numpy() == ""),
        FLAG_DEPENDENCY_ORDER: explicit & (own < pred_start),
        FLAG_DEPENDENCY_MISSING: explicit & (predecessor < 0),
    }
    bits = np.zeros(len(ms), dtype="int64")
    for n, mask in enumerate(checks.values()):
        bits |= np.asarray(mask, dtype="int64") << n
    labels = list(checks)
    codes, uniques = pd.factorize(bits)
    texts = [FLAG_SEPARATOR.join(labels[n] for n in range(len(labels)) if int(u) >> n & 1)
             for u in uniques]
    # Distinct bit patterns give distinct texts, so they can be the categories.
    return pd.Series(pd.Categorical.from_codes(codes, pd.Index(texts, dtype=object)),
                     index=ms.index)


def _projection(
    ms: pd.DataFrame,
    predecessor: np.ndarray,
    actual: np.ndarray,
    effective: np.ndarray,
    complete: np.ndarray,
    not_applicable: np.ndarray,
    now: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Projected finish of each milestone and the critical path of each project.

    An open milestone cannot finish before today or before its predecessor's projected finish
    plus the planned gap between the two targets; the latest projected finish of a project is
    its projected completion, and the chain of predecessors that set it is the critical path.
    """
    has_pred = predecessor >= 0
    pred = np.maximum(predecessor, 0)
    gap = np.where(has_pred, np.fmax(effective - effective[pred], 0), 0)
    gap = np.nan_to_num(gap)
    own = np.where(complete, actual, np.fmax(effective, np.where(np.isnan(effective), np.nan, now)))
    own = np.where(not_applicable, np.nan, own)
    finish = _push_along_chains(own, np.where(~complete & has_pred, predecessor, -1), gap)
    critical = _critical_path(ms["project_id"].to_numpy(), finish, own, predecessor, gap, complete)
    return finish, critical


def _push_along_chains(own: np.ndarray, parent: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """finish[m] = max(own[m], finish[parent[m]] + gap[m]) along every chain, by doubling.

    Each round doubles how far back a node looks (max-plus pointer jumping), so a chain of
    n dependencies needs log2(n) vectorised rounds, not n.
    """
    best = own.copy()  # the best over a window of ancestors that doubles each round
    reach = np.where(parent >= 0, parent, -1)
    offset = np.where(parent >= 0, gap, 0.0)  # summed gaps from ``reach`` down to the node
    for _ in range(64):
        linked = reach >= 0
        if not linked.any():
            break
        at = np.maximum(reach, 0)
        best, offset, reach = (np.where(linked, np.fmax(best, best[at] + offset), best),
                               np.where(linked, offset + offset[at], offset),
                               np.where(linked, reach[at], -1))
    return best


def _critical_path(
    project: np.ndarray,
    finish: np.ndarray,
    own: np.ndarray,
    predecessor: np.ndarray,
    gap: np.ndarray,
    complete: np.ndarray,
) -> np.ndarray:
    """Mark each project's latest-finishing milestone and the predecessors that bound it."""
    on_path = np.zeros(len(finish), dtype=bool)
    known = ~np.isnan(finish)
    if not known.any():
        return on_path
    codes = pd.factorize(project)[0]
    if not len(codes):
        return on_path
    latest = np.full(codes.max() + 1, -np.inf)
    np.maximum.at(latest, codes[known], finish[known])
    on_path[known & (finish == latest[codes])] = True  # ties: every latest finish is an end
    pred = np.maximum(predecessor, 0)
    binding = (predecessor >= 0) & (complete | ~(own > finish[pred] + gap))
    frontier = on_path.copy()
    for _ in range(_MAX_CHAIN):
        step = np.zeros_like(on_path)
        step[pred[frontier & binding]] = True
        step &= ~on_path
        if not step.any():
            break
        on_path |= step
        frontier = step
    return on_path
