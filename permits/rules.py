"""Rule sets as data (TOML files in ``data/rulesets/``) and checking a record against them.

A clock says: for actions of these types, from the earliest (or latest) of these start events
(or a fixed date), the first of these end events is due within a duration.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from domain.errors import InputError
from permits.frames import PermitData

FINDING_COLUMNS = ("ruleset", "clock_id", "label", "project_id", "action_id", "milestone_id",
                   "milestone", "start", "due", "compared", "compared_kind", "over_by_days",
                   "status", "message")


class RuleSetError(InputError):
    """A rule-set file cannot be read."""


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

    def due(self, start: date) -> date:
        """The deadline for a clock started on ``start``.

        >>> Clock("x", "x", ("decision",), years=2).due(date(2025, 3, 1))
        datetime.date(2027, 3, 1)
        """
        offset = pd.DateOffset(years=self.years, months=self.months, days=self.days)
        return (pd.Timestamp(start) + offset).date()

    @property
    def duration_text(self) -> str:
        parts = [(self.years, "year"), (self.months, "month"), (self.days, "day")]
        return " ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n)


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
        return RuleSet(id=str(raw.pop("id")), title=str(raw.pop("title", path.stem)),
                       source=str(raw.pop("source", "")), clocks=clocks, settings=raw)
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise RuleSetError(f"Rule set {path.name} cannot be read ({exc}); fix the file.") from exc


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
    types = dict(zip(data.actions["action_id"], data.actions["action_type"], strict=True))
    derived = derived.assign(action_type=derived["action_id"].map(types).fillna(""))
    for clock in ruleset.clocks:
        scope = derived[_type_matches(derived["action_type"], clock.action_types)]
        group_key = "project_id" if clock.start_date or not clock.action_types else "action_id"
        for _, group in scope.groupby(group_key, sort=True):
            finding = _check_group(clock, group, as_of)
            if finding:
                rows.append({"ruleset": ruleset.id, **finding})
    return pd.DataFrame(rows, columns=list(FINDING_COLUMNS))


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
    )


def _type_matches(action_types: pd.Series, keywords: tuple[str, ...]) -> np.ndarray:
    if not keywords:
        return np.ones(len(action_types), dtype=bool)
    lower = action_types.str.lower()
    hit = np.zeros(len(action_types), dtype=bool)
    for word in keywords:
        hit |= lower.str.contains(word.lower(), regex=False).to_numpy()
    return hit


def _check_group(clock: Clock, group: pd.DataFrame, as_of: date) -> dict[str, Any] | None:
    end = _end_milestone(clock, group)
    if end is None:
        return None
    start = clock.start_date or _start(clock, group)
    base = {"clock_id": clock.id, "label": clock.label, "project_id": end["project_id"],
            "action_id": end["action_id"], "milestone_id": end["milestone_id"],
            "milestone": end["name"]}
    if start is None:
        return {**base, "start": None, "due": None, "compared": None, "compared_kind": "",
                "over_by_days": np.nan, "status": "no start event",
                "message": f"{clock.label}: no start event ({', '.join(clock.start_events)}) "
                           "is recorded, so the clock cannot be checked."}
    due = clock.due(start)
    done = pd.notna(end["actual_as_of"])
    compared = end["actual_as_of"] if done else end["effective_target"]
    kind = "actual" if done else "current target"
    if pd.isna(compared):
        over, status = np.nan, "no target"
        message = (f"{end['name']} due {due.isoformat()} under the {clock.label} clock "
                   f"(from {start.isoformat()}); it has no target date yet.")
    else:
        compared = pd.Timestamp(compared).date()
        over = float((compared - due).days)
        status = _status(done, over, due, as_of)
        message = _message(clock, end["name"], due, start, compared, kind, over)
    return {**base, "start": start, "due": due, "compared": compared, "compared_kind": kind,
            "over_by_days": over, "status": status, "message": message}


def _status(done: bool, over: float, due: date, as_of: date) -> str:
    if done:
        return "met" if over <= 0 else "missed"
    if over > 0:
        return "breach (past due)" if as_of > due else "breach projected"
    return "on course"


def _message(clock: Clock, name: str, due: date, start: date, compared: date, kind: str,
             over: float) -> str:
    head = f"{name} due {due.isoformat()} under the {clock.label} clock (from {start.isoformat()})"
    days = int(abs(over))
    if over > 0:
        return f"{head}; {kind} {compared.isoformat()} exceeds it by {days} days."
    return f"{head}; {kind} {compared.isoformat()} is within it ({days} days to spare)."


def _start(clock: Clock, group: pd.DataFrame) -> date | None:
    starts = group[group["event"].isin(clock.start_events)]
    when = starts["actual_as_of"].fillna(starts["effective_target"]).dropna()
    if when.empty:
        return None
    pick = when.min() if clock.start_rule == "earliest" else when.max()
    return pd.Timestamp(pick).date()


def _end_milestone(clock: Clock, group: pd.DataFrame) -> pd.Series | None:
    for event in clock.end_events:
        ends = group[group["event"] == event]
        if clock.end_name_contains:
            ends = ends[ends["name"].str.lower().str.contains(clock.end_name_contains,
                                                              regex=False)]
        if not ends.empty:
            return ends.sort_values("sequence").iloc[-1]
    return None
