"""Words the pages show that come from data rather than the catalog (issue 19): countries,
the dashboard's reasons, empty cells; each in Japanese when the page is, unchanged in English."""

from __future__ import annotations

import csv
from datetime import date

import pandas as pd
import pytest

from domain.i18n import language, tr
from domain.settings import DATA_DIR
from domain.vocab_names import japanese_name
from mapping.parts.gantt import gantt_pauses
from mapping.parts.grid import blank_missing
from mapping.vocab_words import country, filter_words, word
from permits.vocab import DATE_CHANGE_REASONS, PAUSE_REASONS
from sites.filters import SiteFilter


def _bundled_countries() -> set[str]:
    with (DATA_DIR / "sites.csv").open(encoding="utf-8") as handle:
        return {row["country"] for row in csv.DictReader(handle) if row["country"]}


@pytest.mark.parametrize("name", sorted(_bundled_countries()))
def test_every_bundled_country_has_a_japanese_name(name: str) -> None:
    with language("ja"):
        shown = country(name)
    assert shown and shown != name
    assert all(ord(ch) > 0x2E80 for ch in shown)  # CJK or kana, no Latin letters left
    assert country(name) == name  # English: as stored


def test_country_names_follow_cldr_and_leave_unknown_names_alone() -> None:
    with language("ja"):
        assert country("Japan") == "日本"
        assert country("South Korea") == "韓国"
        assert country("United States of America") == country("United States")
        assert country("Atlantis") == "Atlantis"
        assert country(None) == "" and country(float("nan")) == ""
        described = filter_words(SiteFilter(countries=("Japan",)))
    assert described == "日本"
    assert filter_words(SiteFilter(countries=("Japan",))) == "Japan"


@pytest.mark.parametrize(("vocabulary", "reason"),
                         [("date_change_reason", r) for r in DATE_CHANGE_REASONS]
                         + [("pause_reason", r) for r in PAUSE_REASONS])
def test_dashboard_reasons_are_shown_by_their_japanese_names(vocabulary: str,
                                                             reason: str) -> None:
    with language("ja"):
        assert word(vocabulary, reason) == japanese_name(vocabulary, reason) != reason
    assert word(vocabulary, reason) == reason


def test_a_pause_on_the_gantt_chart_names_its_reason_in_the_page_language() -> None:
    project = pd.Series({"pause_start": pd.Timestamp("2025-01-01"),
                         "pause_end": pd.Timestamp("2025-02-01"), "pause_reason": "Litigation"})
    silent = project.copy()
    silent["pause_reason"] = None
    actions = pd.DataFrame(columns=["action_id", "pause_start", "pause_end", "pause_reason"])
    rows = pd.DataFrame({"row": [0, 1], "action_id": ["a", "a"]})
    with language("ja"):
        named = gantt_pauses(project, actions, rows, date(2025, 3, 1))
        unnamed = gantt_pauses(silent, actions, rows, date(2025, 3, 1))
        not_given = tr("no reason given")
    assert set(named["reason"]) == {japanese_name("pause_reason", "Litigation")}
    assert set(unnamed["reason"]) == {not_given} and not_given != "no reason given"
    assert set(gantt_pauses(project, actions, rows, date(2025, 3, 1))["reason"]) == {
        "Litigation"}


def test_missing_text_cells_are_blank_and_numbers_and_dates_keep_their_type() -> None:
    frame = pd.DataFrame({
        "name": ["A", None], "note": pd.Series(["x", pd.NA], dtype="string"),
        "days": [1.0, float("nan")], "when": pd.to_datetime(["2025-01-01", None]),
        "full": ["a", "b"],
    })
    shown = blank_missing(frame)
    assert shown["name"].tolist() == ["A", ""]
    assert shown["note"].tolist() == ["x", ""]
    assert shown["days"].isna().tolist() == [False, True]
    assert str(shown["when"].dtype).startswith("datetime64")
    assert shown["full"] is not None and shown["full"].tolist() == ["a", "b"]
    assert frame["name"].isna().tolist() == [False, True]  # the caller's frame untouched
    complete = frame[["full"]]
    assert blank_missing(complete) is complete


def test_the_change_history_names_kinds_fields_and_reasons_in_japanese() -> None:
    from mapping.parts.timeline_sections import _history_words

    table = pd.DataFrame({
        "entity": ["milestone", "action"], "record": ["milestone: ROD", "action: EIS"],
        "field": ["current_target", "pause_reason"], "kind": ["edit", "import"],
        "reason": ["Litigation or court order", None],
    })
    assert _history_words(table) is table  # English: the store's own names, as in the CSV
    with language("ja"):
        shown = _history_words(table)
        wanted = [tr("milestone") + ": ROD", tr("action") + ": EIS"]
        fields = [tr("Current target"), tr("Pause reason")]
    assert shown["record"].tolist() == wanted
    assert shown["field"].tolist() == fields and fields[0] != "Current target"
    assert shown["kind"].tolist() == [japanese_name("change_kind", "edit"),
                                      japanese_name("change_kind", "import")]
    assert shown["reason"].tolist() == [
        japanese_name("date_change_reason", "Litigation or court order"), ""]
