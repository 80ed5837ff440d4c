"""Milestone templates: loading them from the rule-set files and laying them for an action."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from domain.settings import DATA_DIR
from permits.errors import RuleSetError
from permits.templates import lay_milestones, load_templates

TEMPLATES = load_templates(DATA_DIR / "rulesets")


def _dates(frame: pd.DataFrame) -> dict[str, str]:
    """Step id -> planned date (ISO) or "" when the template sets none."""
    return {str(m).removeprefix(f"{a}-"): ("" if pd.isna(d) else pd.Timestamp(d).date().isoformat())
            for m, a, d in zip(frame["milestone_id"], frame["action_id"], frame["current_target"],
                               strict=True)}


def test_both_japanese_acts_have_templates_for_their_action_types() -> None:
    types = {t.action_type for t in TEMPLATES.values()}
    assert {"EIA scoping document (方法書)", "EIA draft statement (準備書)",
            "EIA final statement (評価書)", "EIA planning-stage consideration document (配慮書)",
            "EIA post-project report (報告書)", "Exploration right (試掘権)",
            "Mining right (採掘権)"} <= types


def test_draft_statement_laid_with_the_statutory_gaps() -> None:
    laid = lay_milestones(TEMPLATES["jp-eia-draft"], "jp-dr", "pm-jp", date(2025, 3, 1))
    # inspection one month from the notice day, opinions two weeks more, the summary the day
    # after, the governor's opinion 120 days after that
    assert _dates(laid) == {"sent": "2025-03-01", "notice": "2025-03-01",
                            "inspection-ends": "2025-03-31", "opinions-close": "2025-04-14",
                            "summary-sent": "2025-04-15", "governor-opinion": "2025-08-13"}
    assert laid["baseline_target"].equals(laid["current_target"])
    assert laid["sequence"].tolist() == list(range(1, 7))
    assert laid["depends_on"].tolist() == ["", *laid["milestone_id"].iloc[:-1]]
    assert laid["final_milestone"].tolist() == [False] * 5 + [True]
    assert set(laid["project_id"]) == {"pm-jp"} and set(laid["action_id"]) == {"jp-dr"}


def test_scoping_document_gaps_end_on_the_governors_90_days() -> None:
    laid = lay_milestones(TEMPLATES["jp-eia-scoping"], "sc", "p", date(2024, 1, 15))
    assert _dates(laid) == {"sent": "2024-01-15", "notice": "2024-01-15",
                            "inspection-ends": "2024-02-14", "opinions-close": "2024-02-28",
                            "summary-sent": "2024-02-29", "governor-opinion": "2024-05-29"}


def test_steps_without_a_statutory_period_stay_undated() -> None:
    laid = lay_milestones(TEMPLATES["jp-exploration-right"], "ex", "p", date(2025, 1, 10))
    assert _dates(laid) == {"applied": "", "permitted": "", "registered": "2025-01-10",
                            "plan": "", "operations": "2025-07-10", "term": "2027-01-10"}
    final = lay_milestones(TEMPLATES["jp-eia-final"], "fi", "p", date(2025, 1, 10))
    assert _dates(final)["inspection-ends"] == ""  # follows an undated public notice


def test_a_step_may_only_follow_an_earlier_step(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(
        'id = "bad"\n[[template]]\nid = "t"\naction_type = "x"\n'
        '[[template.step]]\nid = "a"\nname = "a"\nevent = "other"\nafter = "b"\n'
        '[[template.step]]\nid = "b"\nname = "b"\nevent = "other"\n', encoding="utf-8")
    with pytest.raises(RuleSetError, match=r"bad\.toml.*not an earlier step"):
        load_templates(tmp_path)


def test_an_unknown_event_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "typo.toml").write_text(
        'id = "typo"\n[[template]]\nid = "t"\naction_type = "x"\n'
        '[[template.step]]\nid = "a"\nname = "a"\nevent = "public notise"\n', encoding="utf-8")
    with pytest.raises(RuleSetError, match=r"typo\.toml"):
        load_templates(tmp_path)


def test_a_template_id_is_unique_across_files(tmp_path: Path) -> None:
    text = ('id = "{0}"\n[[template]]\nid = "same"\naction_type = "x"\n'
            '[[template.step]]\nid = "a"\nname = "a"\nevent = "other"\n')
    for name in ("one", "two"):
        (tmp_path / f"{name}.toml").write_text(text.format(name), encoding="utf-8")
    with pytest.raises(RuleSetError, match="defined twice"):
        load_templates(tmp_path)
