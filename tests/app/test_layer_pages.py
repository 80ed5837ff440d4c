"""AppTest: the upload page (report, CRS choice, publish, refusal) and the layer catalog."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from domain.access import OPEN_ACCESS
from store.layer_repo import list_layers
from tests.support.layer_files import write_claims_zip, write_magnetics_tif
from tests.support.sample_store import sample_engine, use_sample_store

MAIN = str(Path(__file__).resolve().parents[2] / "mapping" / "main.py")


@pytest.fixture(autouse=True)
def sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sample_store(tmp_path, monkeypatch, "app.db")


def _upload_page() -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=90).run()
    at.switch_page("pages/upload_page.py").run()
    assert not at.exception
    return at


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error]
    return "\n".join(parts + [w.value for w in at.warning] + [s.value for s in at.success])


def test_upload_report_then_publish(tmp_path: Path) -> None:
    path = write_claims_zip(tmp_path)
    at = _upload_page()
    assert any("500 MB" in m.value for m in at.markdown)  # the limits are stated
    at.file_uploader(key="upload_file").set_value(
        [(path.name, path.read_bytes(), "application/zip")]).run()
    assert not at.exception
    assert "zipped Shapefile" in _texts(at) and "can be published" in _texts(at)
    form = {w.label: w for w in at.text_input}
    form["Name"].set_value("Claims, Humboldt County")
    form["Uploaded by"].set_value("alice")
    at.button[-1].click().run()
    assert not at.exception, at.exception
    assert any("Published 'Claims, Humboldt County'" in s.value for s in at.success)
    [record] = list_layers(sample_engine(tmp_path, "app.db"))
    assert record.feature_count == 3 and record.uploaded_by == "alice"
    assert not list((tmp_path / "layer_files" / ".incoming").iterdir())  # nothing left behind


def test_publish_without_a_name_is_refused_and_stores_nothing(tmp_path: Path) -> None:
    path = write_magnetics_tif(tmp_path)
    at = _upload_page()
    at.file_uploader(key="upload_file").set_value([(path.name, path.read_bytes(), "image/tiff")])
    at.run()
    assert "GeoTIFF" in _texts(at)
    at.button[-1].click().run()  # "Uploaded by" left empty
    assert not at.exception
    assert any("Uploaded by" in e.value for e in at.error)
    assert list_layers(sample_engine(tmp_path, "app.db")) == []


def test_a_broken_file_gets_a_message_not_a_form(tmp_path: Path) -> None:
    path = tmp_path / "notes.zip"
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "field notes")
    at = _upload_page()
    uploader = at.file_uploader(key="upload_file")
    uploader.set_value([(path.name, path.read_bytes(), "application/zip")])
    at.run()
    assert not at.exception
    assert any("notes.txt" in e.value for e in at.error)
    assert not any(b.label == "Publish" for b in at.button)


def test_catalog_renames_hides_and_deletes(tmp_path: Path) -> None:
    from services.publishing import LayerDetails, publish_upload

    engine = sample_engine(tmp_path, "app.db")
    path = write_claims_zip(tmp_path)
    [record] = publish_upload(engine, path, path.name, LayerDetails("Claims", "bob"),
                              layer_dir=tmp_path / "layer_files", principal=OPEN_ACCESS)
    at = AppTest.from_file(MAIN, default_timeout=90).run()
    at.switch_page("pages/layers_page.py").run()
    assert not at.exception
    names = [t for t in at.text_input if t.label == "Name"]
    names[0].set_value("Claims 2026")
    next(b for b in at.button if b.label == "Save name and description").click().run()
    assert not at.exception
    assert list_layers(engine)[0].name == "Claims 2026"
    next(b for b in at.button if b.label == "Hide from the map").click().run()
    assert list_layers(engine)[0].hidden
    next(b for b in at.button if b.label == "Delete the layer").click().run()
    assert not at.exception and list_layers(engine) == []
    assert record.id not in {r.id for r in list_layers(engine)}
