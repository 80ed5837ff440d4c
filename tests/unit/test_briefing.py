"""The briefing pack: every file it promises, holding the selected sites, their timetables
and the changes of the period, a PNG, and a README with filters, date and sources."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from commands.main import main
from domain.access import OPEN_ACCESS
from domain.colours import STATUS_COLOURS
from domain.settings import DATA_DIR
from services.briefing import PackOptions, briefing_pack
from sites.selection import parse_selection
from store.startup import ensure_store
from tests.support.fixtures_data import write_data_dir
from tests.support.rfc7946 import rfc7946_problems
from tests.support.sample_store import use_sample_store

TODAY = date(2026, 11, 25)
OPTIONS = PackOptions(basemap=DATA_DIR / "basemap" / "countries-110m.geojson",
                      colours=STATUS_COLOURS, since=date(2025, 1, 1))


@pytest.fixture()
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    return ensure_store(f"sqlite:///{tmp_path / 'pack.db'}", write_data_dir(tmp_path / "data"))


def test_the_pack_holds_what_it_promises(engine) -> None:  # type: ignore[no-untyped-def]
    selection = parse_selection({"commodity": "li"}, TODAY)
    pack = briefing_pack(engine, selection, TODAY, datetime(2026, 11, 25, tzinfo=UTC), OPTIONS,
                         principal=OPEN_ACCESS)
    assert pack.file_name == "briefing_sites_li_2026-11-25.zip"
    archive = zipfile.ZipFile(io.BytesIO(pack.data))
    assert sorted(archive.namelist()) == sorted([
        "sites_li_2026-11-25.geojson", "sites_li_2026-11-25.csv", "permit_timetables.csv",
        "change_history.csv", "map.png", "survey_layers.json", "chokepoints.csv",
        "README.txt"])
    sites = json.loads(archive.read("sites_li_2026-11-25.geojson"))
    assert rfc7946_problems(sites) == []
    assert sorted(f["id"] for f in sites["features"]) == ["us-alpha", "us-xss"]
    table = pd.read_csv(io.BytesIO(archive.read("sites_li_2026-11-25.csv")),
                        encoding="utf-8-sig", skiprows=1)
    assert sorted(table["id"]) == ["us-alpha", "us-xss"]
    timetables = pd.read_csv(io.BytesIO(archive.read("permit_timetables.csv")),
                             encoding="utf-8-sig", skiprows=1)
    assert set(timetables["site_id"]) == {"us-alpha"} and len(timetables) == 4
    history = pd.read_csv(io.BytesIO(archive.read("change_history.csv")), encoding="utf-8-sig",
                          skiprows=1)
    assert history["entity_id"].tolist() == ["pm-alpha-deis"]  # changed 2025-09-01
    assert Image.open(io.BytesIO(archive.read("map.png"))).size == (1200, 800)
    assert json.loads(archive.read("survey_layers.json")) == []
    chokepoints = pd.read_csv(io.BytesIO(archive.read("chokepoints.csv")),
                              encoding="utf-8-sig", skiprows=1, keep_default_na=False)
    li_mines = chokepoints[(chokepoints["commodity"] == "Li") & (chokepoints["stage"] == "mine")]
    assert li_mines.set_index("region")[["producing", "permitting", "sources"]].loc[
        "United States"].tolist() == [0, 2, "none"]  # both Li sites are in permitting
    assert set(chokepoints["commodity"]) == {"Li"}  # only the pack's sites count
    readme = archive.read("README.txt").decode()
    assert "Sites: 2 (Li, as of 2026-11-25)" in readme
    assert "Change history from 2025-01-01 to 2026-11-25" in readme and "source" in readme


def test_a_period_without_changes_gives_an_empty_history(engine) -> None:  # type: ignore[no-untyped-def]
    selection = parse_selection({"commodity": "li", "as_of": "2025-06-01"}, TODAY)
    options = PackOptions(basemap=OPTIONS.basemap, colours=STATUS_COLOURS)
    pack = briefing_pack(engine, selection, TODAY, datetime(2026, 11, 25, tzinfo=UTC), options,
                         principal=OPEN_ACCESS)
    archive = zipfile.ZipFile(io.BytesIO(pack.data))
    history = pd.read_csv(io.BytesIO(archive.read("change_history.csv")), encoding="utf-8-sig",
                          skiprows=1)
    assert history.empty  # the one change came after 2025-06-01
    assert "Change history from 2025-03-03 to 2025-06-01" in archive.read("README.txt").decode()


def test_the_command_writes_the_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    use_sample_store(tmp_path, monkeypatch, "cli.db")
    assert main(["export", "briefing", "--out", str(tmp_path), "--country", "japan"]) == 0
    assert "wrote the briefing pack (Japan" in capsys.readouterr().out
    [pack] = tmp_path.glob("briefing_sites_jp_*.zip")
    assert "README.txt" in zipfile.ZipFile(pack).namelist()
    assert main(["export", "briefing", "--out", str(tmp_path / "no" / "x.zip")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_a_pack_of_a_view_lists_only_the_layers_that_meet_it(
        engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from services.publishing import LayerDetails, publish_upload

    for name, lon in (("Nevada claims", -117.0), ("Akita samples", 140.1)):
        path = tmp_path / f"{lon}.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"n": 1},
             "geometry": {"type": "Point", "coordinates": [lon, 40.0]}}]}), encoding="utf-8")
        publish_upload(engine, path, path.name, LayerDetails(name=name, uploaded_by="alice"),
                       layer_dir=tmp_path / "layer_files", principal=OPEN_ACCESS)

    def listed(params: dict[str, str]) -> list[str]:
        pack = briefing_pack(engine, parse_selection(params, TODAY),
                             TODAY, datetime(2026, 11, 25, tzinfo=UTC), OPTIONS,
                             principal=OPEN_ACCESS)
        archive = zipfile.ZipFile(io.BytesIO(pack.data))
        return sorted(r["name"] for r in json.loads(archive.read("survey_layers.json")))

    assert listed({}) == ["Akita samples", "Nevada claims"]
    assert listed({"bbox": "120,20,150,50"}) == ["Akita samples"]
    assert listed({"bbox": "170,20,-110,50"}) == ["Nevada claims"]  # across 180°
