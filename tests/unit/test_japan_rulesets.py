"""The Japanese rule sets (EIA Act, Mining Act) on small records built in code."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from domain.settings import DATA_DIR
from permits.frames import PermitData
from permits.rules import RuleSet, check_rules, load_ruleset, load_rulesets
from permits.schedule import derive_milestones
from permits.templates import lay_milestones, load_templates
from permits.vocab import BREACH_STATUSES, WITHIN_CLOCK_STATUSES, FindingStatus

AS_OF = date(2026, 11, 25)
RULESETS = load_rulesets(DATA_DIR / "rulesets")
EIA = RULESETS["jp-eia-act"]
MINING = RULESETS["jp-mining-act"]
PROJECT = "pm-jp"


def _record(actions: list[tuple[str, str]],
            milestones: list[tuple[str, str, str, date | None, date | None]]) -> PermitData:
    """A one-project record: actions as (id, type); milestones as (action, name, event, actual,
    current target), numbered in the order given."""
    projects = pd.DataFrame([{"project_id": PROJECT, "title": "Example rare-earth mine (Japan)",
                              "status": "In Progress"}])
    acts = pd.DataFrame([{"action_id": a, "project_id": PROJECT, "action_type": t,
                          "status": "In Progress"} for a, t in actions])
    rows = [{"milestone_id": f"{action}-{n}", "action_id": action, "project_id": PROJECT,
             "sequence": n, "name": name, "milestone_type": event, "actual_completion": actual,
             "complete": actual is not None, "current_target": target}
            for n, (action, name, event, actual, target) in enumerate(milestones, start=1)]
    return PermitData.from_frames(projects, acts, pd.DataFrame(rows))


def _findings(data: PermitData, ruleset: RuleSet) -> pd.DataFrame:
    return check_rules(data, derive_milestones(data, AS_OF), ruleset, AS_OF).set_index(
        ["action_id", "clock_id"])


def _draft_statement(forwarded: date, opinion_after_days: int) -> PermitData:
    notice = forwarded - timedelta(days=60)
    return _record([("dr", "EIA draft statement (準備書)")], [
        ("dr", "準備書 on inspection", "public notice", notice, None),
        ("dr", "Summary of opinions sent", "comments forwarded", forwarded, None),
        ("dr", "Governor's opinion", "opinion issued",
         forwarded + timedelta(days=opinion_after_days), None),
    ])


def test_bundled_rule_sets_include_both_japanese_acts() -> None:
    assert {"jp-eia-act", "jp-mining-act"} <= set(RULESETS)
    for ruleset in (EIA, MINING):
        assert ruleset.source.startswith("https://elaws.e-gov.go.jp/document?lawid=")
        assert all("Art." in clock.label for clock in ruleset.clocks)  # every clock cites
        assert "template" not in ruleset.settings  # templates are not numeric settings


@pytest.mark.parametrize("days", [130, 121, 120, 100])
def test_governor_opinion_on_the_draft_statement_within_120_days(days: int) -> None:
    forwarded = date(2025, 6, 2)
    row = _findings(_draft_statement(forwarded, days), EIA).loc[
        ("dr", "jp-draft-governor-120-days")]
    assert row["due"] == forwarded + timedelta(days=120)
    assert row["over_by_days"] == days - 120
    expected = FindingStatus.MISSED if days > 120 else FindingStatus.MET
    assert row["status"] == expected.value


def test_inspection_and_opinion_periods_are_minimums() -> None:
    notice = date(2025, 3, 1)  # one month from the notice day: inspection through 31 March
    data = _record([("sc", "EIA scoping document (方法書)")], [
        ("sc", "方法書 on inspection", "public notice", notice, None),
        ("sc", "Inspection closed", "inspection ended", date(2025, 3, 20), None),
        ("sc", "Written opinions closed", "comment period closed", date(2025, 4, 14), None),
    ])
    found = _findings(data, EIA)
    early = found.loc[("sc", "jp-scoping-inspection-1-month")]
    assert (str(early["due"]), early["status"], early["over_by_days"]) == (
        "2025-03-31", FindingStatus.MISSED.value, 11)
    assert "11 days too early" in early["message"]
    opinions = found.loc[("sc", "jp-scoping-opinions-2-weeks")]  # 14 days after 31 March
    assert (str(opinions["due"]), opinions["status"]) == ("2025-04-14", FindingStatus.MET.value)


def test_an_open_comment_period_planned_too_short_is_a_projected_breach() -> None:
    data = _record([("dr", "EIA draft statement (準備書)")], [
        ("dr", "準備書 on inspection", "public notice", date(2026, 11, 2), None),
        ("dr", "Written opinions close", "comment period closed", None, date(2026, 12, 10)),
    ])
    row = _findings(data, EIA).loc[("dr", "jp-draft-opinions-2-weeks")]
    assert str(row["due"]) == "2026-12-15"
    assert (row["status"], row["over_by_days"]) == (FindingStatus.BREACH_PROJECTED.value, 5)


def test_each_document_is_checked_by_its_own_clocks() -> None:
    forwarded = date(2025, 1, 6)
    data = _record([("sc", "EIA scoping document (方法書)"),
                    ("dr", "EIA draft statement (準備書)")], [
        ("sc", "Summary of opinions sent", "comments forwarded", forwarded, None),
        ("sc", "Governor's opinion", "opinion issued", forwarded + timedelta(days=100), None),
        ("dr", "Summary of opinions sent", "comments forwarded", date(2025, 9, 1), None),
        ("dr", "Governor's opinion", "opinion issued", date(2025, 10, 1), None),
    ])
    found = _findings(data, EIA)
    scoping = found.loc[("sc", "jp-scoping-governor-90-days")]
    assert (scoping["status"], scoping["over_by_days"]) == (FindingStatus.MISSED.value, 10)
    assert ("sc", "jp-draft-governor-120-days") not in found.index
    assert found.loc[("dr", "jp-draft-governor-120-days"), "status"] == FindingStatus.MET.value


def test_class_2_screening_within_60_days() -> None:
    data = _record([("scr", "EIA class-2 screening (第二種事業の判定)")], [
        ("scr", "Notified", "application complete", date(2026, 9, 1), None),
        ("scr", "Judgement", "review determined", None, date(2026, 11, 10)),
    ])
    row = _findings(data, EIA).loc[("scr", "jp-screening-60-days")]
    assert (str(row["due"]), row["status"], row["over_by_days"]) == (
        "2026-10-31", FindingStatus.BREACH_PAST_DUE.value, 10)


def test_exploration_right_operations_and_term() -> None:
    registered = date(2025, 1, 10)
    data = _record([("ex", "Exploration right (試掘権)"), ("mr", "Mining right (採掘権)")], [
        ("ex", "Registered", "right registered", registered, None),
        ("ex", "Operations started", "operations started", date(2025, 8, 1), None),
        ("ex", "Term ends", "term ends", None, date(2031, 3, 1)),
        ("mr", "Registered", "right registered", date(2026, 9, 1), None),
        ("mr", "Operations start", "operations started", None, date(2027, 2, 26)),
    ])
    found = _findings(data, MINING)
    operations = found.loc[("ex", "jp-operations-6-months")]
    assert (str(operations["due"]), operations["status"], operations["over_by_days"]) == (
        "2025-07-10", FindingStatus.MISSED.value, 22)
    term = found.loc[("ex", "jp-exploration-term-6-years")]  # 2 years + two 2-year extensions
    assert (str(term["due"]), term["status"]) == ("2031-01-10",
                                                  FindingStatus.BREACH_PROJECTED.value)
    mining = found.loc[("mr", "jp-operations-6-months")]
    assert (str(mining["due"]), mining["status"]) == ("2027-03-01",
                                                      FindingStatus.ON_COURSE.value)
    assert ("mr", "jp-exploration-term-6-years") not in found.index  # 採掘権 has no term


def test_laid_templates_meet_their_own_clocks() -> None:
    templates = load_templates(DATA_DIR / "rulesets")
    japanese = [t for t in templates.values() if t.ruleset.startswith("jp-")]
    actions = [(f"a-{t.id}", t.action_type) for t in japanese]
    laid = pd.concat([lay_milestones(t, f"a-{t.id}", PROJECT, date(2026, 12, 1))
                      for t in japanese], ignore_index=True)
    base = _record(actions, [])
    data = PermitData.from_frames(base.projects, base.actions, laid)
    findings = pd.concat([check_rules(data, derive_milestones(data, AS_OF), rs, AS_OF)
                          for rs in (EIA, MINING)])
    assert not findings["status"].isin([s.value for s in BREACH_STATUSES]).any()
    within = findings[findings["status"].isin([s.value for s in WITHIN_CLOCK_STATUSES])]
    # every clock with a dated start in its template is checked, none is skipped
    assert set(within["clock_id"]) == {c.id for c in (*EIA.clocks, *MINING.clocks)} - {
        "jp-final-inspection-1-month"}  # the 評価書 notice follows unconfirmed periods


def test_a_minimum_clock_is_read_from_the_file(tmp_path: Path) -> None:
    (tmp_path / "x.toml").write_text(
        'id = "x"\n[[clock]]\nid = "c"\nlabel = "c"\nstart_events = ["public notice"]\n'
        'end_events = ["inspection ended"]\nmonths = 1\nminimum = true\n'
        '[[template]]\nid = "t"\naction_type = "t"\n[[template.step]]\nid = "s"\n'
        'name = "s"\nevent = "other"\n', encoding="utf-8")
    ruleset = load_ruleset(tmp_path / "x.toml")
    assert ruleset.clocks[0].minimum and not RULESETS["nepa-2023"].clocks[0].minimum
    assert ruleset.settings == {}
