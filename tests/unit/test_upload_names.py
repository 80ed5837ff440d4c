"""File names as people write them: the name is kept for display and its extension only; the
file is read from a path the app chose (pre-flight, publishing and the command line)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from commands.main import main
from domain.access import OPEN_ACCESS
from layers.limits import UploadLimits
from layers.preflight import inspect_upload
from layers.staging import display_name, safe_file_name, staged_upload
from services.publishing import LayerDetails, publish_upload
from store.layer_repo import list_layers
from tests.support.layer_files import write_claims_zip, write_magnetics_tif, write_mixed_geojson
from tests.support.sample_store import sample_engine, use_sample_store

LONG = "調査区域" * 60  # 720 bytes of UTF-8: more than a file system allows in one name
NAMES = [
    "survey area 1.geojson", "!#%?.geojson", "it's \"quoted\".geojson", "-odd #name?.geojson",
    "--help.geojson", "調査区域 北.geojson", f"{LONG}.geojson", "/vsicurl/x.geojson",
    "/vsizip/a.zip/x.geojson", "vrt://x.geojson", "GPKG:x.gpkg:roads.geojson",
    "../x.geojson", "C:\\GIS\\x.geojson", "name.zip files.geojson", "x.geojson?a=b",
]
ODD_PATHS = ["-odd #name?.geojson", "調査区域.geojson", "GPKG:x.gpkg", "vrt:x.tif",
             "name.zip files.zip", " spaced .geojson"]


@pytest.fixture(autouse=True)
def sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sample_store(tmp_path, monkeypatch, "names.db")


@pytest.mark.parametrize("name", NAMES)
def test_any_name_is_read_from_our_path_and_shown_as_given(tmp_path: Path, name: str) -> None:
    body = write_mixed_geojson(tmp_path).read_bytes()
    with staged_upload(io.BytesIO(body), name, tmp_path / "in", UploadLimits()) as path:
        assert path.name == "upload.geojson" or path.name == "upload"
        inspection = inspect_upload(path, name)
    report = inspection.report
    assert report.ok, report.errors
    assert report.file_name == display_name(name) and "/" not in report.file_name
    assert len(report.file_name) <= 200 and "\\" not in report.file_name
    assert sum(len(layer.frame) for layer in inspection.vector_layers) == 3


def test_names_are_only_display_and_extension() -> None:
    assert safe_file_name("GPKG:x.gpkg:roads") == "upload"
    assert safe_file_name("/vsicurl/http://example.com/x.tif") == "upload.tif"
    assert safe_file_name(f"{LONG}.TIF") == "upload.tif"
    assert safe_file_name("S12E130.hgt") == "S12E130.hgt"  # GDAL reads the place from it
    shown = display_name(f"{LONG}.geojson")
    assert shown.endswith("….geojson") and len(shown) == 200
    assert display_name("a\x00b\nc.kml") == "abc.kml"
    assert display_name("bad \udcff byte.kml") == "bad ? byte.kml"


@pytest.mark.parametrize("name", ["-odd #name?.zip", f"{LONG}.zip", "vrt://claims.zip"])
def test_a_shapefile_zip_and_a_raster_publish_under_odd_names(tmp_path: Path,
                                                             name: str) -> None:
    engine = sample_engine(tmp_path, "names.db")
    for source, shown in ((write_claims_zip(tmp_path), name),
                          (write_magnetics_tif(tmp_path), name.replace(".zip", ".tif"))):
        with staged_upload(source.open("rb"), shown, tmp_path / "in", UploadLimits()) as path:
            [record] = publish_upload(engine, path, shown, LayerDetails(shown, "alice"),
                                      principal=OPEN_ACCESS, layer_dir=tmp_path / "layer_files")
        assert record.original_filename == display_name(shown)
        assert len(record.name) <= 200
    assert len(list_layers(engine)) == 2


@pytest.mark.parametrize("odd", ODD_PATHS)
def test_the_command_line_takes_odd_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str],
                                          odd: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "made").mkdir()
    source = {".zip": write_claims_zip, ".tif": write_magnetics_tif}.get(
        Path(odd).suffix, write_mixed_geojson)(tmp_path / "made")
    Path(odd).write_bytes(source.read_bytes())
    assert main(["layers", "check", f"./{odd}", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["ok"] is True and body["file_name"] == odd.strip()
    assert main(["layers", "publish", f"./{odd}", "--by", "carol"]) == 0
    assert "published" in capsys.readouterr().out


def test_the_command_line_answers_json_for_a_name_too_long(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["layers", "check", str(tmp_path / f"{LONG}.geojson"), "--json"]) == 1
    body = json.loads(capsys.readouterr().out)
    assert body["ok"] is False and "does not exist" in body["errors"][0]
