"""AppTest: the chokepoints page draws the table of the sites the viewer may see, one region
at a time, each cell a link to its sites on the map; the projected view changes the counts."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from tests.support.sample_store import use_sample_store

MAIN = str(Path(__file__).resolve().parents[2] / "mapping" / "main.py")


@pytest.fixture(autouse=True)
def sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sample_store(tmp_path, monkeypatch, "chokepoints.db")


def _page() -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60).run()
    at.switch_page("pages/chokepoints_page.py").run()
    assert not at.exception
    return at


def _matrix(at: AppTest):  # type: ignore[no-untyped-def]
    return at.dataframe[0].value


def test_the_matrix_links_each_cell_to_its_sites_on_the_map() -> None:
    at = _page()
    matrix = _matrix(at)
    lithium_mines = matrix.loc["Lithium", "mine"]
    link, label = lithium_mines.split("#", 1)
    assert label == "0 · 0 · 2 (none)"  # Alpha and the XSS site, both in permitting
    query = parse_qs(urlsplit(link).query)
    assert query["commodity"] == ["Li"] and query["stage"] == ["mine"]
    assert query["country"] == ["United States"]
    assert "as_of" not in query  # the map keeps the shared date
    assert any("cells with one producing source" in s.value for s in at.subheader)


def test_another_region_shows_its_own_cells() -> None:
    at = _page()
    at.radio(key="chokepoint_region").set_value("Japan").run()
    assert not at.exception
    matrix = _matrix(at)
    assert matrix.loc["Neodymium", "permanent magnet"].endswith("#1 · 0 · 0 (one)")  # Gamma


def test_the_projected_view_counts_what_finishes_by_the_date() -> None:
    at = _page()
    at.sidebar.date_input(key="as_of_input").set_value("2100-12-31").run()
    before = _matrix(at).loc["Lithium", "mine"].split("#", 1)[1]
    at.sidebar.toggle(key="chokepoint_projected").set_value(True).run()
    assert not at.exception
    after = _matrix(at).loc["Lithium", "mine"].split("#", 1)[1]
    assert before == "0 · 0 · 2 (none)"
    assert after.startswith("1 · 0 · 1 (one)") and "(+1 projected)" in after  # Alpha done
