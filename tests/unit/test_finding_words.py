"""A rule-set finding said again in Japanese (``mapping.finding_words``) from the finding's
own columns: English is the rule engine's sentence unchanged; Japanese carries the same
milestone, dates and day count."""

from __future__ import annotations

from datetime import date

import pytest

from domain.i18n import language, tr
from mapping.finding_words import finding_sentence
from tests.unit.test_japan_rulesets import EIA, _draft_statement, _findings, _record


def _rows() -> dict[str, dict[str, object]]:
    late = _findings(_draft_statement(date(2025, 6, 2), 130), EIA).reset_index()
    early = _findings(_record([("sc", "EIA scoping document (方法書)")], [
        ("sc", "方法書 on inspection", "public notice", date(2025, 3, 1), None),
        ("sc", "Inspection closed", "inspection ended", date(2025, 3, 20), None),
    ]), EIA).reset_index()
    rows = {r["clock_id"]: r for r in [*late.to_dict("records"), *early.to_dict("records")]}
    return {"late": rows["jp-draft-governor-120-days"],
            "early": rows["jp-scoping-inspection-1-month"]}


@pytest.mark.parametrize("which", ["late", "early"])
def test_english_is_the_engines_sentence_and_japanese_keeps_its_facts(which: str) -> None:
    row = _rows()[which]
    assert finding_sentence(row) == row["message"]
    with language("ja"):
        said = finding_sentence(row)
        kind = tr(str(row["compared_kind"]))
    assert said != row["message"] and kind != row["compared_kind"]
    for fact in (str(row["milestone"]), str(row["due"]), str(row["compared_text"]),
                 f"{int(abs(row['over_by_days']))} 日", kind, str(row["label_ja"])):
        assert fact in said, (fact, said)
    assert str(row["label"]) not in said  # the rule set's Japanese label, not the English


def test_every_clock_of_the_bundled_rule_sets_has_a_japanese_label() -> None:
    from domain.settings import DATA_DIR
    from permits.rules import load_rulesets

    clocks = [c for r in load_rulesets(DATA_DIR / "rulesets").values() for c in r.clocks]
    assert clocks and [c.id for c in clocks if not c.label_ja] == []


def test_a_clock_without_a_start_says_so_in_japanese() -> None:
    data = _record([("dr", "EIA draft statement (準備書)")], [
        ("dr", "Governor's opinion", "opinion issued", date(2025, 9, 1), None)])
    row = _findings(data, EIA).reset_index().to_dict("records")[0]
    assert row["status"] == "no start event"
    with language("ja"):
        assert row["label_ja"] and finding_sentence(row).startswith(f"{row['label_ja']}：")
    assert finding_sentence(row).startswith(f"{row['label']}:")
