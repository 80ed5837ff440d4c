"""Shapefiles as people deliver them: the parts selected together, a ``.shp`` with its
siblings on the command line, a lost ``.shx`` rebuilt, a missing ``.dbf`` said in words."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from commands.main import main
from layers.errors import UnreadableLayer, UnsupportedFormat
from layers.limits import UploadLimits
from layers.preflight import inspect_upload
from layers.shapefile_set import rebuilt_index
from layers.staging import staged_files
from tests.support.sample_store import use_sample_store

PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


@pytest.fixture(autouse=True)
def sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sample_store(tmp_path, monkeypatch, "shp.db")


def write_parts(folder: Path, stem: str = "Drill holes", count: int = 40) -> dict[str, Path]:
    """A point Shapefile (UTM 11N, accented names) written by pyogrio: its parts by suffix."""
    folder.mkdir(parents=True, exist_ok=True)
    frame = gpd.GeoDataFrame(
        {"hole": [f"DH-{i} Ñandú" for i in range(count)], "depth_m": list(range(count))},
        geometry=[shapely.Point(500_000 + 10 * i, 4_540_000) for i in range(count)],
        crs="EPSG:32611")
    pyogrio.write_dataframe(frame, folder / f"{stem}.shp", encoding="UTF-8")
    return {p.suffix: p for p in folder.iterdir() if p.stem == stem}


def _inspect_selected(parts: list[Path], tmp_path: Path):  # type: ignore[no-untyped-def]
    files = [(io.BytesIO(p.read_bytes()), p.name) for p in parts]
    with staged_files(files, tmp_path / "incoming", UploadLimits()) as path:
        assert path.name == "upload.shp"
        return inspect_upload(path, next(p.name for p in parts if p.suffix == ".shp"))


def test_the_parts_selected_together_read_as_one_layer(tmp_path: Path) -> None:
    parts = write_parts(tmp_path / "parts")
    assert set(parts) == set(PARTS)
    inspection = _inspect_selected(list(parts.values()), tmp_path)
    report = inspection.report
    assert report.ok, report.errors
    assert report.file_name == "Drill holes.shp" and report.layers[0].crs == "EPSG:32611"
    [layer] = inspection.vector_layers
    assert len(layer.frame) == 40 and layer.frame["hole"][3] == "DH-3 Ñandú"
    assert any("read with the parts beside it" in n for n in report.notes)
    assert not list((tmp_path / "incoming").iterdir())  # nothing left behind


def test_a_lost_shx_is_rebuilt_with_a_note(tmp_path: Path) -> None:
    parts = write_parts(tmp_path / "parts")
    original = parts[".shx"].read_bytes()
    assert rebuilt_index(parts[".shp"], "Drill holes.shp") == original  # byte for byte
    parts.pop(".shx").unlink()
    report = _inspect_selected(list(parts.values()), tmp_path).report
    assert report.ok, report.errors
    assert report.layers[0].feature_count == 40
    assert any(".shx (the index of the shapes) was missing; it was rebuilt" in n
               for n in report.notes)


def test_a_missing_dbf_publishes_shapes_only_and_says_so(tmp_path: Path) -> None:
    parts = write_parts(tmp_path / "parts")
    parts.pop(".dbf").unlink()
    inspection = _inspect_selected(list(parts.values()), tmp_path)
    assert inspection.report.ok
    assert any("Drill holes.dbf (the attribute table) is missing" in w and "shapes only" in w
               for w in inspection.report.warnings)
    assert list(inspection.vector_layers[0].frame.columns) == ["geometry"]


def test_a_zip_without_its_dbf_is_a_warning_too(tmp_path: Path) -> None:
    parts = write_parts(tmp_path / "parts", stem="pits")
    upload = tmp_path / "pits.zip"
    with zipfile.ZipFile(upload, "w") as archive:
        for suffix in (".shp", ".shx", ".prj"):
            archive.write(parts[suffix], f"pits{suffix}")
    report = inspect_upload(upload, "pits.zip").report
    assert report.ok and "pits.dbf (the attribute table) is missing" in report.warnings[0]


def test_a_cut_short_shp_without_its_shx_is_refused_in_words(tmp_path: Path) -> None:
    parts = write_parts(tmp_path / "parts")
    parts.pop(".shx").unlink()
    parts[".shp"].write_bytes(parts[".shp"].read_bytes()[:-10])
    with pytest.raises(UnreadableLayer, match="runs past the end of the file"):
        rebuilt_index(parts[".shp"], "Drill holes.shp")
    report = _inspect_selected(list(parts.values()), tmp_path).report
    assert not report.ok and "cut short" in report.errors[0]


@pytest.mark.parametrize(("names", "words"), [
    (["a.shp", "a.dbf", "b.shp", "b.dbf"], "parts of 2 different Shapefiles"),
    (["a.dbf", "a.shx", "a.prj"], "but not the .shp file"),
    (["a.shp", "notes.geojson"], "You chose 2 files"),
    (["a.shp", "A.SHP"], "You chose two .shp files"),
])
def test_a_selection_that_is_not_one_shapefile_is_refused_in_words(
        tmp_path: Path, names: list[str], words: str) -> None:
    files = [(io.BytesIO(b"x"), name) for name in names]
    with pytest.raises(UnsupportedFormat, match=words), \
            staged_files(files, tmp_path / "incoming", UploadLimits()):
        pass
    assert not (tmp_path / "incoming").exists() or not list((tmp_path / "incoming").iterdir())


def test_the_command_line_reads_a_shp_with_its_siblings(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parts = write_parts(tmp_path / "delivery", stem="Claims 2026")
    parts[".shx"].unlink()
    before = sorted(p.name for p in (tmp_path / "delivery").iterdir())
    assert main(["layers", "check", str(parts[".shp"]), "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["ok"] and body["layers"][0]["feature_count"] == 40
    assert any("rebuilt" in note for note in body["notes"])
    assert sorted(p.name for p in (tmp_path / "delivery").iterdir()) == before  # untouched
    assert main(["layers", "publish", str(parts[".shp"]), "--by", "carol"]) == 0
    out = capsys.readouterr().out
    assert "published" in out and "(40 features)" in out


@pytest.mark.realdata
def test_the_real_latin1_shp_without_shx_or_prj_asks_only_for_a_crs(
        realdata_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shp = realdata_dir / "bad" / "latin1.shp"
    assert main(["layers", "check", str(shp), "--json", "--crs", "EPSG:4326"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["ok"], body["errors"]
    assert any("latin1.shx (the index of the shapes) was missing" in n for n in body["notes"])
    assert any("cp1252" in w for w in body["warnings"])  # the .dbf is Latin-1, no .cpg
