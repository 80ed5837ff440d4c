"""Rule sets, portfolio measures, alerts and the report, on small records built in code."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from domain.settings import DATA_DIR
from permits.alerts import KIND_LOCKOUT, KIND_MISSED, KIND_PAUSE_OVERRUN, KIND_RULE, alerts
from permits.errors import RuleSetError
from permits.frames import PermitData
from permits.portfolio import milestone_facts, portfolio_measures, trend
from permits.rules import check_rules, load_ruleset, load_rulesets, setting
from permits.schedule import derive_milestones
from permits.status_report import permit_report
from tests.support.fixtures_data import (
    SAMPLE_ACTIONS,
    SAMPLE_MILESTONES,
    SAMPLE_PROJECTS,
    SAMPLE_SITES,
)

AS_OF = date(2026, 11, 25)
RULESETS = load_rulesets(DATA_DIR / "rulesets")


@pytest.fixture()
def sample() -> PermitData:
    return PermitData.from_frames(pd.DataFrame(SAMPLE_PROJECTS), pd.DataFrame(SAMPLE_ACTIONS),
                                  pd.DataFrame(SAMPLE_MILESTONES))


def test_bundled_rule_sets_hold_the_statutory_and_framework_clocks() -> None:
    assert set(RULESETS) == {"nepa-2023", "dashboard", "framework-2025", "jp-eia-act",
                             "jp-mining-act"}
    clocks = {c.id: c for rs in RULESETS.values() for c in rs.clocks}
    assert (clocks["eis-2-years"].years, clocks["ea-1-year"].years) == (2, 1)
    assert clocks["financing-6-months"].due(clocks["financing-6-months"].start_date) == \
        date(2026, 4, 28)
    assert clocks["ministerial-180-days"].due(date(2025, 10, 28)) == date(2026, 4, 26)
    assert clocks["meeting-10-days"].days == 10
    assert setting(RULESETS, "lockout_days", 0) == 30


def test_eis_clock_from_the_notice_of_intent(sample: PermitData) -> None:
    derived = derive_milestones(sample, AS_OF)
    findings = check_rules(sample, derived, RULESETS["nepa-2023"], AS_OF)
    eis = findings[findings["clock_id"] == "eis-2-years"].iloc[0]
    assert eis["message"] == (
        "Record of decision signed due 2027-03-01 under the EIS within 2 years clock (from "
        "2025-03-01); current target 2027-09-30 exceeds it by 213 days.")
    assert (eis["status"], eis["over_by_days"]) == ("breach projected", 213)


def test_start_event_is_configurable(tmp_path: Path, sample: PermitData) -> None:
    text = (DATA_DIR / "rulesets" / "nepa-2023.toml").read_text(encoding="utf-8")
    # Count from the draft instead: a later start moves the due date.
    changed = text.replace('start_events = ["review determined", "notice of intent", '
                           '"application complete"]', 'start_events = ["draft document"]', 1)
    (tmp_path / "nepa.toml").write_text(changed, encoding="utf-8")
    rules = load_ruleset(tmp_path / "nepa.toml")
    findings = check_rules(sample, derive_milestones(sample, AS_OF), rules, AS_OF)
    eis = findings[findings["clock_id"] == "eis-2-years"].iloc[0]
    assert (str(eis["due"]), eis["status"]) == ("2028-12-15", "on course")


def test_framework_clock_checks_a_financing_milestone(sample: PermitData) -> None:
    milestones = pd.concat([sample.milestones, pd.DataFrame([{
        "milestone_id": "fin", "action_id": "pm-alpha-eis", "project_id": "pm-alpha",
        "sequence": 9, "name": "Financing measure agreed", "milestone_type": "financing",
        "actual_completion": "2026-05-10", "complete": True}])])
    data = PermitData.from_frames(sample.projects, sample.actions, milestones)
    findings = check_rules(data, derive_milestones(data, AS_OF), RULESETS["framework-2025"],
                           AS_OF)
    row = findings[findings["clock_id"] == "financing-6-months"].iloc[0]
    assert (row["status"], row["over_by_days"]) == ("missed", 12)


def test_a_broken_rule_set_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("id = \n", encoding="utf-8")
    with pytest.raises(RuleSetError, match=r"bad\.toml"):
        load_ruleset(tmp_path / "bad.toml")


def test_portfolio_measures_by_agency_and_commodity(sample: PermitData) -> None:
    sites = pd.DataFrame(SAMPLE_SITES)
    facts = milestone_facts(derive_milestones(sample, AS_OF), sample, sites)
    by_agency = portfolio_measures(facts, sample, "agency", AS_OF).set_index("agency")
    # BLM: NOI done on its baseline (on time); slips 0, 289 and 213 days.
    assert by_agency.loc["BLM", "milestones"] == 3
    assert by_agency.loc["BLM", "on_time_share"] == 1.0
    assert by_agency.loc["BLM", "median_slip_days"] == 213
    # EPA: the FONSI came 50 days after its baseline of 2024-05-01.
    assert by_agency.loc["EPA", "on_time_share"] == 0.0
    # USACE: paused since 2026-01-15, 314 days to the as-of date.
    assert by_agency.loc["USACE", "pause_days"] == 314
    assert by_agency.loc["USACE", "actions Paused"] == 1
    by_commodity = portfolio_measures(facts, sample, "commodity", AS_OF).set_index("commodity")
    assert by_commodity.loc["REE", "milestones"] == by_commodity.loc["Nd", "milestones"] == 1
    quarters = trend(facts)
    assert quarters["completed"].sum() == 2


def test_alerts_on_a_date(sample: PermitData) -> None:
    derived = derive_milestones(sample, AS_OF)
    findings = pd.concat([check_rules(sample, derived, rs, AS_OF) for rs in RULESETS.values()])
    found = alerts(sample, derived, findings, AS_OF, lockout_days=30, warning_days=14,
                   stale_days=90)
    kinds = found.groupby("kind")["milestone_id"].apply(list).to_dict()
    assert kinds[KIND_LOCKOUT] == ["pm-alpha-deis"]  # 2026-12-15: locked from 2026-11-15
    assert kinds[KIND_RULE] == ["pm-alpha-rod"]
    assert KIND_MISSED not in kinds  # the overdue 404 permit is paused, not missed
    later = alerts(sample, derive_milestones(sample, date(2027, 8, 1)), findings[:0],
                   date(2027, 8, 1), lockout_days=30, warning_days=14, stale_days=90)
    assert set(later["kind"]) >= {KIND_MISSED, KIND_PAUSE_OVERRUN}


def test_report_counts_match_the_derivation(sample: PermitData) -> None:
    report = permit_report(sample, pd.DataFrame(SAMPLE_SITES), RULESETS, AS_OF)
    portfolio = report["portfolio"]
    assert portfolio["milestones"] == 5 and portfolio["projects"] == 2
    assert portfolio["milestones_by_state"] == {"complete": 2, "due within 30 days": 1,
                                                "paused": 1, "scheduled": 1}
    assert portfolio["slip_days"] == {"count": 5, "mean": 106.6, "median": 31.0, "p90": 258.6,
                                      "max": 289.0}
    assert portfolio["rule_breaches"] == 1
    alpha = next(s for s in report["sites"] if s["site_id"] == "us-alpha")
    assert alpha["health"] == "paused" and alpha["percent_complete"] == 25.0
    assert alpha["next_milestone"]["milestone_id"] == "pm-alpha-deis"
