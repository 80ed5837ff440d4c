"""Cached permitting figures: the record, its history and rule sets, and what they give on a date.

Everything is keyed by ``data_version()`` (any saved edit or import bumps it), so a change by
any process reaches every page on its next run. The whole-record frames can be large (the
Permitting Dashboard import: hundreds of thousands of milestones), so they are cached once per
process (``st.cache_resource``) and handed out as shallow copies: pandas copies on write, so
a page that changes its copy never changes what another page sees, and nobody pays for
unpickling a deep copy on every rerun.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

from domain.i18n import N_, current_language, language
from domain.settings import load_settings
from mapping.loading import loading
from mapping.store_access import data_version, engine
from permits.alerts import alerts
from permits.as_of import milestones_on, projects_on, replays_history
from permits.frames import PermitData
from permits.history import record_as_of
from permits.rules import FINDING_COLUMNS, RuleSet, check_rules, load_rulesets, setting
from permits.summary import site_health
from permits.templates import Template, load_templates
from store.permits_repo import load_changes, load_permit_data
from store.permits_repo import unlinked_reasons as store_unlinked_reasons


def unlinked_reasons() -> dict[str, str]:
    """Project id -> why it has no site, in the importer's words."""
    return dict(_unlinked_reasons(*data_version()))


@st.cache_data(show_spinner=False, max_entries=2)
def _unlinked_reasons(database: str, revision: int) -> dict[str, str]:
    return store_unlinked_reasons(engine())


#: What the page says while a slow figure is worked out (:mod:`mapping.loading`).
LOADING, REPLAYING, SCHEDULING = (N_("Loading the permitting record…"),
                                  N_("Replaying the history…"), N_("Working out the schedule…"))


def permit_data() -> PermitData:
    """The current permitting record."""
    with loading(LOADING):
        return _copy(_permit_data(*data_version()))


@st.cache_resource(show_spinner=False, max_entries=2)
def _permit_data(database: str, revision: int) -> PermitData:
    return load_permit_data(engine())


def changes() -> pd.DataFrame:
    """The whole change history, oldest first."""
    return _changes(*data_version()).copy(deep=False)


@st.cache_resource(show_spinner=False, max_entries=2)
def _changes(database: str, revision: int) -> pd.DataFrame:
    return load_changes(engine())


def rulesets() -> dict[str, RuleSet]:
    """The rule sets in the data folder's ``rulesets/`` (reread when a file changes)."""
    return _rulesets(*_rule_files())


def _rule_files() -> tuple[str, tuple[tuple[str, int], ...]]:
    """The rule-set folder and each file's name and change time: the caches' key."""
    folder = load_settings().data_dir / "rulesets"
    return str(folder), tuple((p.name, p.stat().st_mtime_ns)
                              for p in sorted(folder.glob("*.toml")))


@st.cache_data(show_spinner=False, max_entries=8)
def _rulesets(folder: str, stamp: tuple[tuple[str, int], ...]) -> dict[str, RuleSet]:
    return load_rulesets(Path(folder))


def templates() -> dict[str, Template]:
    """The milestone templates of the same rule-set files (reread when a file changes)."""
    return _templates(*_rule_files())


@st.cache_data(show_spinner=False, max_entries=8)
def _templates(folder: str, stamp: tuple[tuple[str, int], ...]) -> dict[str, Template]:
    return load_templates(Path(folder))


def rule_setting(name: str, default: int) -> int:
    """A numeric setting of the rule sets (``lockout_days``, ``stale_days``, ...)."""
    return setting(rulesets(), name, default)


def record_for(as_of: date) -> PermitData:
    """The record as it stood at the end of ``as_of``: the current one from today on, else the
    current one with every later change undone (from the history)."""
    with loading(REPLAYING):
        return _copy(_record(*data_version(), as_of, date.today()))


def _record(database: str, revision: int, as_of: date, today: date) -> PermitData:
    if not replays_history(as_of, today):
        return _permit_data(database, revision)
    return _replayed(database, revision, as_of)


@st.cache_resource(show_spinner=False, max_entries=4)
def _replayed(database: str, revision: int, as_of: date) -> PermitData:
    """Only past days take a slot here: today's record is the current one, cached above."""
    return record_as_of(_permit_data(database, revision), _changes(database, revision), as_of)


def derived_for(as_of: date) -> pd.DataFrame:
    """Every milestone of ``record_for(as_of)`` with its derived state on that date."""
    with loading(SCHEDULING):
        return _derived(*data_version(), as_of, date.today()).copy(deep=False)


@st.cache_resource(show_spinner=False, max_entries=4)
def _derived(database: str, revision: int, as_of: date, today: date) -> pd.DataFrame:
    return milestones_on(_record(database, revision, as_of, today), as_of, today)


def projects_for(as_of: date) -> pd.DataFrame:
    """One row per project with percent complete, next milestone, projected completion, health."""
    return _projects(*data_version(), as_of, date.today()).copy(deep=False)


@st.cache_resource(show_spinner=False, max_entries=4)
def _projects(database: str, revision: int, as_of: date, today: date) -> pd.DataFrame:
    return projects_on(_derived(database, revision, as_of, today),
                       _record(database, revision, as_of, today))


def health_for(as_of: date) -> tuple[tuple[str, str], ...]:
    """Worst schedule health of each site's projects, as a sorted (hashable) tuple."""
    return _health(*data_version(), as_of, date.today())


@st.cache_data(show_spinner=False, max_entries=8)
def _health(database: str, revision: int, as_of: date,
            today: date) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(site_health(_projects(database, revision, as_of, today)).items()))


def site_findings(as_of: date, project_ids: tuple[str, ...]) -> pd.DataFrame:
    """The rule sets checked against some projects (one site's) on ``as_of``."""
    return _site_findings(*data_version(), as_of, date.today(), project_ids)


@st.cache_data(show_spinner=False, max_entries=64)
def _site_findings(database: str, revision: int, as_of: date, today: date,
                   project_ids: tuple[str, ...]) -> pd.DataFrame:
    data = _record(database, revision, as_of, today).for_projects(set(project_ids))
    derived = _derived(database, revision, as_of, today)
    return _check(data, derived[derived["project_id"].isin(project_ids)], as_of)


def _check(data: PermitData, derived: pd.DataFrame, as_of: date) -> pd.DataFrame:
    frames = [check_rules(data, derived, rs, as_of) for rs in rulesets().values()]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=list(FINDING_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def alerts_for(as_of: date) -> pd.DataFrame:
    """Every alert on ``as_of`` with the rule sets' lock-out, warning and stale settings."""
    return _alerts(*data_version(), as_of, date.today(), current_language()).copy(deep=False)


@st.cache_resource(show_spinner=False, max_entries=8)
def _alerts(database: str, revision: int, as_of: date, today: date,
            in_language: str) -> pd.DataFrame:
    """Per language too: the alerts' messages are sentences."""
    derived = _derived(database, revision, as_of, today)
    data = _record(database, revision, as_of, today)
    with language(in_language):
        return alerts(data, derived, _check(data, derived, as_of), as_of,
                      lockout_days=rule_setting("lockout_days", 30),
                      warning_days=rule_setting("lockout_warning_days", 14),
                      stale_days=rule_setting("stale_days", 90))


def _copy(data: PermitData) -> PermitData:
    return replace(data, projects=data.projects.copy(deep=False),
                   actions=data.actions.copy(deep=False),
                   milestones=data.milestones.copy(deep=False))
