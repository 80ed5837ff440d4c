"""AppTest: the map's export control offers a "Coordinate system" (WGS 84 by default); a
GeoPackage in JGD2011 zone IX is named so, and GeoJSON keeps WGS 84 (the choice is fixed)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.support.sample_store import use_sample_store

MAIN = str(Path(__file__).resolve().parents[2] / "mapping" / "main.py")


@pytest.fixture(autouse=True)
def sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sample_store(tmp_path, monkeypatch, "app.db")


def _downloads(at: AppTest) -> list[str]:
    return [element.proto.label for element in at.get("download_button")]


def test_the_export_is_made_in_the_chosen_coordinate_system() -> None:
    at = AppTest.from_file(MAIN, default_timeout=90).run()
    choice = at.selectbox(key="export_crs_map")
    assert choice.label == "Coordinate system" and choice.value == 4326
    assert "JGD2011 / Japan Plane Rectangular CS IX (EPSG:6677)" in choice.options
    at.selectbox(key="export_format_map").set_value("gpkg").run()
    at.selectbox(key="export_crs_map").set_value(6677).run()
    next(b for b in at.button if b.label == "Prepare the export").click().run()
    assert not at.exception
    assert _downloads(at) == [f"Download sites_{date.today().isoformat()}_epsg6677.gpkg"]


def test_geojson_stays_in_wgs84() -> None:
    at = AppTest.from_file(MAIN, default_timeout=90).run()
    at.selectbox(key="export_format_map").set_value("gpkg").run()
    at.selectbox(key="export_crs_map").set_value(6677).run()
    at.selectbox(key="export_format_map").set_value("geojson").run()
    assert at.selectbox(key="export_crs_map").disabled
    next(b for b in at.button if b.label == "Prepare the export").click().run()
    assert not at.exception
    assert _downloads(at) == [f"Download sites_{date.today().isoformat()}.geojson"]
