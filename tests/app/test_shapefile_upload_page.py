"""AppTest: a Shapefile's parts chosen together on the upload page, and a selection that is
not one Shapefile answered in words."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from store.layer_repo import list_layers
from store.startup import ensure_store
from tests.support.sample_store import use_sample_store
from tests.unit.test_shapefile_delivery import write_parts

MAIN = str(Path(__file__).resolve().parents[2] / "mapping" / "main.py")


@pytest.fixture(autouse=True)
def sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sample_store(tmp_path, monkeypatch, "app.db")


def _upload_page() -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=90).run()
    at.switch_page("pages/upload_page.py").run()
    assert not at.exception
    return at


def test_the_parts_chosen_together_publish_as_one_layer(tmp_path: Path) -> None:
    parts = write_parts(tmp_path / "parts", stem="Drill holes")
    parts.pop(".shx").unlink()  # lost on the way: rebuilt
    at = _upload_page()
    at.file_uploader(key="upload_file").set_value(
        [(p.name, p.read_bytes(), "application/octet-stream") for p in parts.values()]).run()
    assert not at.exception, at.exception
    assert any("Drill holes.shp" in m.value and "can be published" in m.value
               for m in at.markdown)
    assert any("rebuilt" in c.value for c in at.caption)
    form = {w.label: w for w in at.text_input}
    assert form["Name"].value == "Drill holes"
    form["Uploaded by"].set_value("alice")
    at.button[-1].click().run()
    assert not at.exception, at.exception
    [record] = list_layers(ensure_store(f"sqlite:///{tmp_path / 'app.db'}", tmp_path / "data"))
    assert record.feature_count == 40 and record.original_filename == "Drill holes.shp"
    assert not list((tmp_path / "layer_files" / ".incoming").iterdir())


def test_two_shapefiles_at_once_are_answered_in_words(tmp_path: Path) -> None:
    first = write_parts(tmp_path / "a", stem="holes")
    second = write_parts(tmp_path / "b", stem="pits")
    at = _upload_page()
    at.file_uploader(key="upload_file").set_value(
        [(p.name, p.read_bytes(), "application/octet-stream")
         for p in (first[".shp"], first[".dbf"], second[".shp"])]).run()
    assert not at.exception
    assert any("parts of 2 different Shapefiles" in e.value for e in at.error)
    assert not any(b.label == "Publish" for b in at.button)


def test_a_table_s_other_coordinate_pair_is_offered_and_used() -> None:
    from tests.unit.test_coordinate_columns import TABLE

    at = _upload_page()
    at.file_uploader(key="upload_file").set_value(
        [("claims.csv", TABLE.encode(), "text/csv")]).run()
    assert not at.exception, at.exception
    [choice] = at.radio
    assert choice.options == ["Long83 / Lat83", "X / Y"]
    choice.set_value(("X", "Y")).run()
    assert not at.exception, at.exception
    assert any("EPSG:3857" in c.value for c in [*at.caption, *at.markdown])
