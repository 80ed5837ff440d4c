"""A table with projected X/Y and geographic columns: the latitude/longitude pair is read, its
datum taken from the column names, the other pair offered; X/Y in web-map metres is read as
EPSG:3857."""

from __future__ import annotations

from pathlib import Path

import pytest

from layers.preflight import inspect_upload
from layers.vector_read import VectorOptions
from tests.support.sqlite_publishing import drawn_features, publish, sqlite_setting

TABLE = """Name,X,Y,Lat83,Long83
Claim A,-13046000.5,4721000.25,38.95,-117.2
Claim B,-13040000.0,4725000.0,38.98,-117.15
"""


@pytest.mark.parametrize(("suffix", "datum"), [("83", "EPSG:4269"), ("27", "EPSG:4267"),
                                               ("_WGS84", "EPSG:4326")])
def test_the_geographic_pair_is_read_with_the_datum_its_names_give(
        tmp_path: Path, suffix: str, datum: str) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(TABLE.replace("83", suffix), encoding="utf-8")
    inspection = inspect_upload(path, path.name)
    report = inspection.report
    assert report.ok, report.errors
    [layer] = report.layers
    assert layer.crs == datum
    assert layer.coordinate_columns == [f"Long{suffix}", f"Lat{suffix}"]
    assert layer.other_coordinate_columns == ["X", "Y"]
    assert "the table also has 'X' and 'Y'" in " ".join(report.notes)
    point = inspection.vector_layers[0].frame.geometry.iloc[0]
    assert point.x == pytest.approx(-117.2, abs=1e-3) and point.y == pytest.approx(38.95, abs=1e-3)


def test_the_other_pair_is_chosen_and_web_mercator_recognised_then_drawn(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setting = sqlite_setting(tmp_path, monkeypatch)
    path = setting["files"] / "claims.csv"
    path.write_text(TABLE, encoding="utf-8")
    chosen = VectorOptions(coordinate_columns=("X", "Y"))
    report = inspect_upload(path, path.name, chosen).report
    assert report.ok, report.errors
    [layer] = report.layers
    assert layer.crs == "EPSG:3857" and layer.other_coordinate_columns == ["Long83", "Lat83"]
    assert "read as EPSG:3857" in " ".join(report.notes)
    [record] = publish(setting, path, chosen)
    assert record.original_crs == "EPSG:3857"
    lon, lat = drawn_features(record)[0]["geometry"]["coordinates"]
    assert lon == pytest.approx(-117.194, abs=1e-3) and lat == pytest.approx(38.995, abs=1e-3)

    wrong = inspect_upload(path, path.name, VectorOptions(coordinate_columns=("E", "N")))
    assert "has no columns 'E' and 'N'" in wrong.report.errors[0]


def test_the_command_line_chooses_the_pair_with_xy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from commands.main import main

    path = tmp_path / "claims.csv"
    path.write_text(TABLE, encoding="utf-8")
    assert main(["layers", "check", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["layers"][0]["crs"] == "EPSG:4269"
    assert main(["layers", "check", str(path), "--json", "--xy", "X,Y"]) == 0
    assert json.loads(capsys.readouterr().out)["layers"][0]["crs"] == "EPSG:3857"
    with pytest.raises(SystemExit):  # argparse: usage and a sentence, exit status 2
        main(["layers", "check", str(path), "--xy", "X"])
    assert "is not two column names X,Y" in capsys.readouterr().err
