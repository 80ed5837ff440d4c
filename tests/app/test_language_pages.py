"""AppTest: the interface in Japanese from the link (``?lang=ja``), kept in the link, and
back to English from the switch; the map page's labels come from the catalog."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from domain.i18n import language, tr
from tests.support.sample_store import use_sample_store

MAIN = str(Path(__file__).resolve().parents[2] / "mapping" / "main.py")


@pytest.fixture(autouse=True)
def sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sample_store(tmp_path, monkeypatch, "app.db")


def _japanese(text: str) -> str:
    with language("ja"):
        return tr(text)


def test_a_link_with_lang_ja_opens_the_map_in_japanese_and_the_switch_goes_back() -> None:
    at = AppTest.from_file(MAIN, default_timeout=90)
    at.query_params["lang"] = "ja"
    at.run()
    assert not at.exception
    search = at.text_input(key="f_search")
    assert search.label == _japanese("Search by name or operator") != "Search by name or operator"
    assert at.multiselect(key="f_commodity").label == _japanese("Commodity")
    assert at.query_params["lang"] == "ja"  # kept for a shared link
    at.segmented_control(key="language").set_value("en").run()
    assert at.text_input(key="f_search").label == "Search by name or operator"
    assert "lang" not in at.query_params
    at.multiselect(key="f_commodity").set_value(["Li"]).run()  # the filters keep the URL
    assert "lang" not in at.query_params


def test_the_language_stays_when_the_filters_rewrite_the_link() -> None:
    at = AppTest.from_file(MAIN, default_timeout=90)
    at.query_params["lang"] = "ja"
    at.run()
    at.multiselect(key="f_commodity").set_value(["Li"]).run()
    assert not at.exception
    assert at.query_params["lang"] == "ja" and at.query_params["commodity"] == "Li"
