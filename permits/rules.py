"""Rule sets as data (TOML files in ``data/rulesets/``) and checking a record against them.

A clock says: for actions of these types, from the earliest (or latest) of these start events
(or a fixed date), the first of these end events is due within a duration. A ``minimum``
clock says the opposite: the end event may not come before the duration has run (a statutory
public-inspection or comment period that must stay open at least that long).
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from domain.i18n import tr
from permits.dates import shown
from permits.errors import RuleSetError
from permits.frames import PermitData, positions
from permits.vocab import FindingStatus

FINDING_COLUMNS = ("ruleset", "clock_id", "label", "project_id", "action_id", "milestone_id",
                   "milestone", "start", "due", "compared", "compared_kind", "over_by_days",
                   "status", "message", "compared_text", "minimum", "label_ja")


@dataclass(frozen=True)
class Clock:
    """One deadline: start, end events and the allowed duration."""

    id: str
    label: str
    end_events: tuple[str, ...]
    years: int = 0
    months: int = 0
    days: int = 0
    action_types: tuple[str, ...] = ()
    start_events: tuple[str, ...] = ()
    start_rule: str = "earliest"
    start_date: date | None = None
    end_name_contains: str = ""
    minimum: bool = False  # the end may not come earlier than the due date
    label_ja: str = ""  # the label in Japanese, where the rule set gives one (``label_ja``)

    def due(self, start: date) -> date:
        """The deadline for a clock started on ``start``.

        >>> Clock("x", "x", ("decision",), years=2).due(date(2025, 3, 1))
        datetime.date(2027, 3, 1)
        """
        return _due(self.years, self.months, self.days, start)


@dataclass(frozen=True)
class RuleSet:
    """A named set of clocks and the dashboard's change rules."""

    id: str
    title: str
    source: str = ""
    clocks: tuple[Clock, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)


def load_rulesets(folder: Path) -> dict[str, RuleSet]:
    """Every ``*.toml`` rule set in ``folder``, by id."""
    return {rs.id: rs for rs in (load_ruleset(p) for p in sorted(folder.glob("*.toml")))}


def load_ruleset(path: Path) -> RuleSet:
    """One rule-set file; RuleSetError names the file and the entry that is wrong."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        clocks = tuple(_clock(c) for c in raw.pop("clock", []))
        raw.pop("template", None)  # milestone templates: read by permits.templates
        return RuleSet(id=str(raw.pop("id")), title=str(raw.pop("title", path.stem)),
                       source=str(raw.pop("source", "")), clocks=clocks, settings=raw)
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise RuleSetError(tr("Rule set {name} cannot be read ({error}); fix the file.").format(
            name=path.name, error=exc)) from exc


def setting(rulesets: dict[str, RuleSet], name: str, default: int) -> int:
    """A numeric setting (e.g. ``lockout_days``) from whichever rule set defines it."""
    for rs in rulesets.values():
        if name in rs.settings:
            return int(rs.settings[name])
    return default


def check_rules(data: PermitData, derived: pd.DataFrame, ruleset: RuleSet,
                as_of: date) -> pd.DataFrame:
    """Every clock of ``ruleset`` applied to every matching action (or project, for fixed dates)."""
    rows: list[dict[str, Any]] = []
    columns = ["project_id", "action_id", "milestone_id", "name", "sequence", "event",
               "actual_as_of", "effective_target"]
    at = positions(data.actions["action_id"], derived["action_id"])
    types = data.actions["action_type"].to_numpy(object)
    derived = derived[columns].assign(
        action_type=np.where(at >= 0, types[np.maximum(at, 0)] if len(types) else "", ""),
        event=derived["event"].astype(str))
    for clock in ruleset.clocks:
        scope = derived[_type_matches(derived["action_type"], clock.action_types)]
        key = "project_id" if clock.start_date or not clock.action_types else "action_id"
        ends = _end_milestones(clock, scope, key)
        starts = _starts(clock, scope, key)
        ends = ends[[*dict.fromkeys([key, *columns])]]
        for end in ends.to_dict("records"):  # one per action: formatting, not arithmetic
            start = clock.start_date or starts.get(end[key])
            rows.append({"ruleset": ruleset.id, **_finding(clock, end, start, as_of)})
    return pd.DataFrame(rows, columns=list(FINDING_COLUMNS))


@functools.lru_cache(maxsize=8192)
def _due(years: int, months: int, days: int, start: date) -> date:
    """Calendar arithmetic, remembered: many actions share a start date."""
    return (pd.Timestamp(start) + pd.DateOffset(years=years, months=months, days=days)).date()


def _clock(raw: dict[str, Any]) -> Clock:
    start = raw.get("start_date")
    return Clock(
        id=str(raw["id"]), label=str(raw["label"]), end_events=tuple(raw["end_events"]),
        years=int(raw.get("years", 0)), months=int(raw.get("months", 0)),
        days=int(raw.get("days", 0)), action_types=tuple(raw.get("action_types", ())),
        start_events=tuple(raw.get("start_events", ())),
        start_rule=str(raw.get("start_rule", "earliest")),
        start_date=start if isinstance(start, date) else None,
        end_name_contains=str(raw.get("end_name_contains", "")).lower(),
        minimum=bool(raw.get("minimum", False)), label_ja=str(raw.get("label_ja", "")),
    )


def _type_matches(action_types: pd.Series, keywords: tuple[str, ...]) -> np.ndarray:
    if not keywords:
        return np.ones(len(action_types), dtype=bool)
    lower = pd.Series(action_types, dtype="category").str.lower()
    hit = np.zeros(len(action_types), dtype=bool)
    for word in keywords:
        hit |= lower.str.contains(word.lower(), regex=False).to_numpy()
    return hit


def _finding(clock: Clock, end: dict[Any, Any], start: date | None, as_of: date
             ) -> dict[str, Any]:
    """One clock applied to one action (or project): due date, comparison, sentence."""
    # compared_text: the date as precisely as the record gives it; minimum: an at-least clock
    # (both let a page say the sentence again in another language)
    base = {"clock_id": clock.id, "label": clock.label, "project_id": end["project_id"],
            "action_id": end["action_id"], "milestone_id": end["milestone_id"],
            "milestone": end["name"], "compared_text": "", "minimum": clock.minimum,
            "label_ja": clock.label_ja}
    if start is None:
        return {**base, "start": None, "due": None, "compared": None, "compared_kind": "",
                "over_by_days": np.nan, "status": FindingStatus.NO_START_EVENT.value,
                "message": f"{clock.label}: no start event ({', '.join(clock.start_events)}) "
                           "is recorded, so the clock cannot be checked."}
    due = clock.due(start)
    done = pd.notna(end["actual_as_of"])
    compared = end["actual_as_of"] if done else end["effective_target"]
    exactness = end.get("actual_completion_precision" if done else "effective_target_precision")
    kind = "actual" if done else "current target"
    if pd.isna(compared):
        over, status = np.nan, FindingStatus.NO_TARGET.value
        message = (f"{end['name']} due {due.isoformat()} under the {clock.label} clock "
                   f"(from {start.isoformat()}); it has no target date yet.")
    else:
        compared = pd.Timestamp(compared).date()
        # positive = the clock is broken: too late, or (minimum clocks) too early
        over = float((due - compared).days if clock.minimum else (compared - due).days)
        status = (_minimum_status(done, over) if clock.minimum
                  else _status(done, over, due, as_of)).value
        base["compared_text"] = shown(compared, exactness)
        message = _message(clock, end["name"], due, start, base["compared_text"], kind, over)
    return {**base, "start": start, "due": due, "compared": compared, "compared_kind": kind,
            "over_by_days": over, "status": status, "message": message}


def _status(done: bool, over: float, due: date, as_of: date) -> FindingStatus:
    if done:
        return FindingStatus.MET if over <= 0 else FindingStatus.MISSED
    if over > 0:
        return FindingStatus.BREACH_PAST_DUE if as_of > due else FindingStatus.BREACH_PROJECTED
    return FindingStatus.ON_COURSE


def _minimum_status(done: bool, short: float) -> FindingStatus:
    """A minimum clock: ending before the due date breaks it, whether or not time has passed."""
    if short > 0:
        return FindingStatus.MISSED if done else FindingStatus.BREACH_PROJECTED
    return FindingStatus.MET if done else FindingStatus.ON_COURSE


def _message(clock: Clock, name: str, due: date, start: date, compared: str, kind: str,
             over: float) -> str:
    days = int(abs(over))
    if clock.minimum:
        head = (f"{name} not before {due.isoformat()} under the {clock.label} clock "
                f"(from {start.isoformat()})")
        if over > 0:
            return f"{head}; {kind} {compared} is {days} days too early."
        return f"{head}; {kind} {compared} respects it."
    head = f"{name} due {due.isoformat()} under the {clock.label} clock (from {start.isoformat()})"
    if over > 0:
        return f"{head}; {kind} {compared} exceeds it by {days} days."
    return f"{head}; {kind} {compared} is within it ({days} days to spare)."


def _starts(clock: Clock, scope: pd.DataFrame, key: str) -> dict[str, date]:
    """Each group's start: the earliest (or latest) date among its start events."""
    starts = scope[scope["event"].isin(clock.start_events)]
    when = starts["actual_as_of"].fillna(starts["effective_target"])
    frame = pd.DataFrame({"key": starts[key].to_numpy(), "when": when.to_numpy()}).dropna()
    grouped = frame.groupby("key")["when"]
    picked = grouped.min() if clock.start_rule == "earliest" else grouped.max()
    return {str(k): pd.Timestamp(v).date() for k, v in picked.items()}


def _end_milestones(clock: Clock, scope: pd.DataFrame, key: str) -> pd.DataFrame:
    """Each group's end milestone: the first end event found (in the clock's order of
    preference), the last of them by sequence."""
    ends = scope[scope["event"].isin(clock.end_events)]
    if clock.end_name_contains:
        ends = ends[ends["name"].str.lower().str.contains(clock.end_name_contains, regex=False)]
    rank = {event: i for i, event in enumerate(clock.end_events)}
    ends = ends.assign(_rank=ends["event"].map(rank))
    ends = ends.sort_values([key, "_rank", "sequence"], ascending=[True, True, False],
                            kind="stable")
    return ends.drop_duplicates(key)
