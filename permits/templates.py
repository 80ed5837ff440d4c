"""Milestone templates: a procedure's steps in order, with the statutory gaps between them.

Templates sit beside the clocks that check them, as ``[[template]]`` tables in the rule-set
files (``data/rulesets/*.toml``), so the article that sets a period is cited once. Laying a
template gives a new action's milestones: the start step on the given date, each step with an
``after`` step on that step's date plus the gap, the others without a planned date (the statute
sets no period for them; staff enter a target).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from domain.i18n import tr
from permits.errors import RuleSetError
from permits.schema import MILESTONE_COLUMNS, conform
from permits.vocab import MilestoneEvent


@dataclass(frozen=True)
class Step:
    """One milestone of a template and, when the statute sets one, its gap after another."""

    id: str
    name: str
    event: str
    after: str = ""
    years: int = 0
    months: int = 0
    days: int = 0

    def planned(self, after_date: date) -> date:
        """The step's planned date when the step it follows falls on ``after_date``.

        >>> Step("x", "x", "other", after="y", months=1, days=-1).planned(date(2025, 3, 1))
        datetime.date(2025, 3, 31)
        """
        offset = pd.DateOffset(years=self.years, months=self.months, days=self.days)
        return (pd.Timestamp(after_date) + offset).date()


@dataclass(frozen=True)
class Template:
    """A procedure for one action type: its steps in order and the step the start date sets."""

    id: str
    action_type: str
    start: str
    steps: tuple[Step, ...]
    ruleset: str = ""


def load_templates(folder: Path) -> dict[str, Template]:
    """Every ``[[template]]`` of every rule-set file in ``folder``, by id."""
    templates: dict[str, Template] = {}
    for path in sorted(folder.glob("*.toml")):
        for template in load_file_templates(path):
            if template.id in templates:
                raise RuleSetError(tr("Template {id} is defined twice ({name}); give one of "
                                      "them another id.").format(id=template.id, name=path.name))
            templates[template.id] = template
    return templates


def load_file_templates(path: Path) -> list[Template]:
    """The templates of one rule-set file; RuleSetError names the file and what is wrong."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return [_template(t, str(raw.get("id", path.stem))) for t in raw.get("template", [])]
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise RuleSetError(tr("Templates in {name} cannot be read ({error}); fix the file.")
                           .format(name=path.name, error=exc)) from exc


def lay_milestones(template: Template, action_id: str, project_id: str,
                   start: date) -> pd.DataFrame:
    """The template's milestones for a new action, planned from ``start`` (the start step).

    Planned dates go into both the baseline and the current target; each milestone depends on
    the one before it, and the last is the action's final milestone.
    """
    planned: dict[str, date | None] = {}
    rows: list[dict[str, Any]] = []
    for number, step in enumerate(template.steps, start=1):
        if step.id == template.start:
            when: date | None = start
        else:
            base = planned.get(step.after) if step.after else None
            when = step.planned(base) if base else None
        planned[step.id] = when
        rows.append({
            "milestone_id": f"{action_id}-{step.id}", "action_id": action_id,
            "project_id": project_id, "sequence": number, "name": step.name,
            "milestone_type": step.event, "baseline_target": when, "current_target": when,
            "depends_on": rows[-1]["milestone_id"] if rows else "",
            "final_milestone": number == len(template.steps),
            "source": f"template {template.id} ({template.ruleset})",
        })
    return conform(pd.DataFrame(rows), MILESTONE_COLUMNS)


def _template(raw: dict[str, Any], ruleset: str) -> Template:
    steps = tuple(_step(s) for s in raw["step"])
    ids = [s.id for s in steps]
    template = Template(id=str(raw["id"]), action_type=str(raw["action_type"]),
                        start=str(raw.get("start", ids[0] if ids else "")), steps=steps,
                        ruleset=ruleset)
    if template.start not in ids:
        raise ValueError(tr("template {id}: start step {step} is not a step").format(
            id=template.id, step=repr(template.start)))
    for number, step in enumerate(steps):
        if step.after and step.after not in ids[:number]:  # dates flow forward only
            raise ValueError(tr("template {id}: step {step} follows {after}, which is not an "
                                "earlier step").format(id=template.id, step=step.id,
                                                       after=repr(step.after)))
    return template


def _step(raw: dict[str, Any]) -> Step:
    event = MilestoneEvent(str(raw["event"])).value  # a typo fails here, not in a clock
    return Step(id=str(raw["id"]), name=str(raw["name"]), event=event,
                after=str(raw.get("after", "")), years=int(raw.get("years", 0)),
                months=int(raw.get("months", 0)), days=int(raw.get("days", 0)))
