"""``permitmap layers``: check (text and JSON, exit 0/1, never a traceback), publish with a
chosen CRS, list and remove — as a real subprocess for the exit-code promise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from commands.main import main
from tests.support.archive_files import write_lying_zip
from tests.support.layer_files import write_claims_zip, write_magnetics_tif
from tests.support.sample_store import use_sample_store


@pytest.fixture(autouse=True)
def sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sample_store(tmp_path, monkeypatch, "cli.db")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "commands", *args], capture_output=True,
                          text=True, env=os.environ.copy(), timeout=120, check=False)


def test_check_json_of_a_good_and_a_bad_file(tmp_path: Path) -> None:
    good = _cli("layers", "check", str(write_claims_zip(tmp_path)), "--json")
    assert good.returncode == 0, good.stderr
    body = json.loads(good.stdout)
    assert body["ok"] is True and body["kind"] == "vector" and body["errors"] == []
    assert body["format"] == "zipped Shapefile" and body["layers"][0]["feature_count"] == 3
    assert body["layers"][0]["crs"] == "EPSG:32611"
    bomb = write_lying_zip(tmp_path / "bomb.zip", "big.shp", 300 * 1024 * 1024, 1_000)
    bad = _cli("layers", "check", str(bomb), "--json")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr + bad.stdout
    body = json.loads(bad.stdout)
    assert body["ok"] is False and "zip bomb" in body["errors"][0]


def test_check_text_of_a_raster_and_of_a_missing_file(tmp_path: Path) -> None:
    raster = _cli("layers", "check", str(write_magnetics_tif(tmp_path)))
    assert raster.returncode == 0
    assert "can be published" in raster.stdout and "200 x 150 px" in raster.stdout
    missing = _cli("layers", "check", str(tmp_path / "nope.tif"))
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_a_file_without_crs_is_refused_until_one_is_chosen(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    upload = write_claims_zip(tmp_path)
    stripped = tmp_path / "no_prj.zip"
    with zipfile.ZipFile(upload) as source, zipfile.ZipFile(stripped, "w") as target:
        for item in source.infolist():
            if not item.filename.endswith(".prj"):
                target.writestr(item, source.read(item))
    assert main(["layers", "check", str(stripped)]) == 1
    out = capsys.readouterr().out
    assert "no coordinate system" in out.lower() and "EPSG:32611" in out
    assert main(["layers", "publish", str(stripped), "--crs", "EPSG:32611", "--by", "carol",
                 "--name", "Claims"]) == 0
    assert "published claims-" in capsys.readouterr().out
    assert main(["layers", "list"]) == 0
    listed = capsys.readouterr().out
    layer_id = listed.split()[0]
    assert "Claims" in listed and "3 features" in listed and "by carol" in listed
    assert main(["layers", "publish", str(stripped), "--crs", "EPSG:32611", "--by", "dan"]) == 1
    assert "published before" in capsys.readouterr().err
    assert main(["layers", "remove", layer_id]) == 0
    assert main(["layers", "list"]) == 0
    assert capsys.readouterr().out.strip().endswith(f"removed {layer_id}: Claims")
