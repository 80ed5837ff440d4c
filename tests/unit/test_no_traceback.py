"""Never a traceback: a reader failing in a way nobody foresaw becomes a report error that
names the file and the step, is logged with its traceback, and stores nothing."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

import layers.preflight as preflight
import services.publishing as publishing
from commands.main import main
from domain.access import OPEN_ACCESS
from layers.preflight import check_upload, inspect_upload
from services.errors import PublishRefused
from services.publishing import LayerDetails, publish_upload
from store.layer_repo import list_layers
from tests.support.layer_files import write_magnetics_tif, write_mixed_geojson
from tests.support.sample_store import sample_engine, use_sample_store


@pytest.fixture(autouse=True)
def sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sample_store(tmp_path, monkeypatch, "nt.db")


def _reader_that_breaks(source, options, limits, progress):  # type: ignore[no-untyped-def]
    progress(0.1, "Reading features of roads…")
    raise KeyError("geometry_type")


def test_an_unforeseen_reader_failure_is_a_report_naming_file_and_step(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(preflight, "read_vector", _reader_that_breaks)
    with caplog.at_level(logging.ERROR, logger="layers.preflight"):
        inspection = inspect_upload(write_mixed_geojson(tmp_path), "survey #2.geojson")
    [error] = inspection.report.errors
    assert error.startswith("survey #2.geojson: reading features of roads failed (KeyError")
    assert "send it to the maintainers" in error and inspection.vector_layers == []
    assert "Traceback" in caplog.text and "_reader_that_breaks" in caplog.text


def test_identify_failing_names_the_first_step(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object) -> None:
        raise MemoryError

    monkeypatch.setattr(preflight, "identify", broken)
    report = check_upload(write_mixed_geojson(tmp_path), "a.geojson")
    assert report.errors[0].startswith("a.geojson: looking at a.geojson failed (MemoryError")


def test_publishing_refuses_an_unforeseen_failure_and_stores_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    engine = sample_engine(tmp_path, "nt.db")

    def broken_cog(*_args: object) -> None:
        raise ValueError("GDAL said something odd")

    monkeypatch.setattr(publishing, "write_cog", broken_cog)
    with caplog.at_level(logging.ERROR), pytest.raises(PublishRefused) as refused:
        publish_upload(engine, write_magnetics_tif(tmp_path), "grid.tif",
                       LayerDetails("Grid", "alice"), principal=OPEN_ACCESS,
                       layer_dir=tmp_path / "layer_files")
    assert "converting the raster to a cloud-optimized GeoTIFF failed (ValueError" \
        in str(refused.value)
    assert list_layers(engine) == [] and "Traceback" in caplog.text
    assert [p.name for p in (tmp_path / "layer_files").iterdir()] == [".staging"]
    assert list((tmp_path / "layer_files" / ".staging").iterdir()) == []

    monkeypatch.setattr(publishing, "feature_rows", broken_cog)
    with pytest.raises(PublishRefused, match="preparing the features for the catalog failed"):
        publish_upload(engine, write_mixed_geojson(tmp_path), "mixed.geojson",
                       LayerDetails("Mixed", "alice"), principal=OPEN_ACCESS,
                       layer_dir=tmp_path / "layer_files")
    assert list_layers(engine) == []


def test_json_is_always_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(preflight, "read_vector", _reader_that_breaks)
    assert main(["layers", "check", str(write_mixed_geojson(tmp_path)), "--json"]) == 1
    assert "reading features of roads failed" in json.loads(capsys.readouterr().out)["errors"][0]
    for missing in (tmp_path / "nope.geojson", tmp_path):
        assert main(["layers", "check", str(missing), "--json"]) == 1
        body = json.loads(capsys.readouterr().out)
        assert body["ok"] is False and "does not exist or is not a file" in body["errors"][0]
    many = tmp_path / "many"
    many.mkdir()
    assert main(["layers", "check", str(many / "x.dbf"), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["ok"] is False


@pytest.mark.realdata
def test_every_real_file_gets_a_json_report(realdata_dir: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    for path in sorted(p for p in realdata_dir.rglob("*") if p.is_file()):
        code = main(["layers", "check", str(path), "--json"])
        body = json.loads(capsys.readouterr().out)
        assert code == (0 if body["ok"] else 1) and body["file_name"] == path.name
        assert all("failed (" not in error for error in body["errors"]), (path, body["errors"])
