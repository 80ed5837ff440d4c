"""AppTest: the export buttons beside the map and on a site's page name what they hold, and a
changed filter never offers the file prepared for the old one."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.support.sample_store import sample_engine, use_sample_store
from tests.support.survey_grids import publish_grid

MAIN = str(Path(__file__).resolve().parents[2] / "mapping" / "main.py")


@pytest.fixture(autouse=True)
def sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sample_store(tmp_path, monkeypatch, "app.db")


def _downloads(at: AppTest) -> list[str]:
    return [element.proto.label for element in at.get("download_button")]


def _prepare(at: AppTest) -> None:
    next(b for b in at.button if b.label == "Prepare the export").click().run()
    assert not at.exception
    # the download takes the button's place
    assert "Prepare the export" not in [b.label for b in at.button]


def test_the_map_exports_what_the_filters_show() -> None:
    at = AppTest.from_file(MAIN, default_timeout=90).run()
    at.selectbox(key="export_format_map").set_value("csv").run()
    assert _downloads(at) == []  # nothing is made until asked for
    _prepare(at)
    assert _downloads(at) == [f"Download sites_{date.today().isoformat()}.csv"]
    at.multiselect(key="f_commodity").set_value(["Li"]).run()
    assert _downloads(at) == []  # the old file held other sites
    _prepare(at)
    assert _downloads(at) == [f"Download sites_li_{date.today().isoformat()}.csv"]


def test_a_site_page_exports_that_site() -> None:
    at = AppTest.from_file(MAIN, default_timeout=90)
    at.query_params["site"] = "us-alpha"
    at.run()
    at.switch_page("pages/timeline_page.py").run()
    assert not at.exception
    _prepare(at)
    wanted = f"Download sites_us-alpha_{date.today().isoformat()}.geojson"
    assert wanted in _downloads(at)


def test_the_map_prepares_a_briefing_pack() -> None:
    at = AppTest.from_file(MAIN, default_timeout=90).run()
    next(b for b in at.button if b.label == "Prepare a briefing pack").click().run()
    assert not at.exception
    assert f"Download briefing_sites_{date.today().isoformat()}.zip" in _downloads(at)
    assert "Prepare a briefing pack" not in [b.label for b in at.button]


def test_a_future_as_of_date_exports_nothing_and_says_why() -> None:
    at = AppTest.from_file(MAIN, default_timeout=90)
    at.query_params["as_of"] = (date.today() + timedelta(days=30)).isoformat()
    at.run()
    assert not at.exception
    labels = [b.label for b in at.button]
    assert "Prepare the export" not in labels and "Prepare a briefing pack" not in labels
    said = [c for c in at.caption if "set 'View as of' to today or earlier" in c.value]
    assert len(said) == 1  # once, not once per button
    assert "export_format_map" not in [s.key for s in at.selectbox]


def test_a_published_grid_adds_its_column_to_the_export(tmp_path: Path) -> None:
    at = AppTest.from_file(MAIN, default_timeout=90).run()
    assert "export_grids_map" not in [m.key for m in at.multiselect]  # no grid published
    grid = publish_grid(sample_engine(tmp_path, "app.db"), tmp_path)
    at = AppTest.from_file(MAIN, default_timeout=90).run()
    choice = at.multiselect(key="export_grids_map")
    assert choice.options == ["Magnetics grid"]
    choice.set_value([grid.id]).run()
    at.selectbox(key="export_format_map").set_value("csv").run()
    _prepare(at)
    file = at.session_state["export_ready"]["map"][1]
    table = pd.read_csv(io.StringIO(file.data.decode("utf-8-sig")), comment="#")
    assert table.set_index("id").loc["us-alpha", "grid_magnetics_grid"] == 30_193
