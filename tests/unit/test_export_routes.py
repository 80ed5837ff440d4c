"""``GET /api/sites.{format}``, ``GET /api/briefing.zip`` and ``permitmap export sites``: good
and bad parameters, every format read back, and the same sites from the URL, the command
line and the page's filter."""

from __future__ import annotations

import io
import json
import os
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import unquote

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from PIL import Image
from starlette.testclient import TestClient

from commands.main import main
from domain.access import OPEN_ACCESS
from domain.bbox import BBox
from exports.export_file import ExportFormat
from mapping.web.routes import starlette_app
from permits.site_state import site_permit_state
from sites.filters import SiteFilter
from sites.selection import SiteSelection, export_frame
from tests.support.fixtures_data import write_data_dir
from tests.support.rfc7946 import rfc7946_problems


@pytest.fixture()
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> TestClient:
    """The export routes on each backend (SQLite and PostGIS)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PERMITMAP_DATA_DIR", str(write_data_dir(tmp_path / "data")))
    return TestClient(starlette_app())


def test_the_url_gives_rfc7946_geojson_of_the_filtered_sites(client: TestClient) -> None:
    response = client.get("/api/sites.geojson?commodity=lithium&country=united%20states")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    assert f"sites_li_us_{date.today().isoformat()}.geojson" in \
        response.headers["content-disposition"]
    body = json.loads(response.content)
    assert rfc7946_problems(body) == []
    assert sorted(f["id"] for f in body["features"]) == ["us-alpha", "us-xss"]
    alpha = next(f for f in body["features"] if f["id"] == "us-alpha")
    assert alpha["properties"]["commodities"] == ["Li"]
    assert alpha["properties"]["schedule_health"] == "paused"


@pytest.mark.parametrize(("query", "words"), [
    ("commodity=unobtainium", "commodity 'unobtainium' is not known"),
    ("bbox=1,2", "bbox must be four numbers"),
    ("as_of=yesterday", "as_of 'yesterday' is not a date"),
    ("sort=name", "Unknown parameter sort"),
])
def test_bad_parameters_are_400_with_a_message(client: TestClient, query: str,
                                               words: str) -> None:
    response = client.get(f"/api/sites.geojson?{query}")
    assert response.status_code == 400 and words in response.json()["error"]


def test_url_cli_and_page_filter_give_the_same_sites(
        client: TestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    query = {"commodity": "Nd,li", "stage": "mine,permanent magnet", "bbox": "-130,20,150,50"}
    from_url = client.get("/api/sites.geojson", params=query).json()
    out = tmp_path / "sites.geojson"
    assert main(["export", "sites", "--format", "geojson", "--out", str(out),
                 "--commodity", query["commodity"], "--stage", query["stage"],
                 f"--bbox={query['bbox']}"]) == 0
    assert "wrote 3 sites" in capsys.readouterr().out
    from_cli = json.loads(out.read_text(encoding="utf-8"))
    from mapping.cached import cached_sites
    from mapping.permit_cache import projects_for

    page_filter = SiteFilter(commodities=("Nd", "Li"), stages=("mine", "permanent magnet"))
    selection = SiteSelection(page_filter, date.today(), BBox(-130, 20, 150, 50))
    from_page = export_frame(cached_sites(OPEN_ACCESS),
                             site_permit_state(projects_for(date.today())),
                             selection, datetime.now(UTC))
    ids = sorted(f["id"] for f in from_url["features"])
    assert ids == sorted(f["id"] for f in from_cli["features"]) == sorted(from_page.columns["id"])
    assert ids == ["jp-gamma", "us-alpha", "us-xss"]


def test_a_parameter_given_twice_is_refused(client: TestClient) -> None:
    response = client.get("/api/sites.geojson?commodity=Li&commodity=REE")
    assert response.status_code == 400 and "more than once" in response.json()["error"]


def test_jointly_selected_is_a_parameter_and_part_of_the_name(client: TestClient) -> None:
    response = client.get("/api/sites.geojson?jointly_selected=true")
    assert response.status_code == 200
    assert "sites_joint_" in response.headers["content-disposition"]
    assert len(response.json()["features"]) == 1  # one sample site is jointly selected
    bad = client.get("/api/sites.geojson?jointly_selected=maybe")
    assert bad.status_code == 400 and "true or false" in bad.json()["error"]


def test_cli_write_errors_are_messages(tmp_path: Path, client: TestClient,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    missing = f"{tmp_path / 'newdir'}/"
    assert main(["export", "sites", "--format", "csv", "--out", missing]) == 1
    assert "does not exist" in capsys.readouterr().err
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        code = main(["export", "sites", "--format", "csv", "--out", str(locked / "x.csv")])
    finally:
        locked.chmod(0o700)
    if os.geteuid() != 0:  # root may write anywhere
        assert code == 1 and "Cannot write" in capsys.readouterr().err


def _read_back(content: bytes, suffix: str, tmp_path: Path) -> list[str]:
    """The site ids of a downloaded file, read with the library each format's users have."""
    path = tmp_path / f"download.{suffix}"
    path.write_bytes(content)
    if suffix == "csv":
        return sorted(pd.read_csv(path, encoding="utf-8-sig", skiprows=1)["id"])
    if suffix == "parquet":
        return sorted(gpd.read_parquet(path)["id"])
    return sorted(pyogrio.read_dataframe(path)["id"])


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_every_format_has_a_url_with_the_same_sites(client: TestClient, fmt: ExportFormat,
                                                    tmp_path: Path) -> None:
    query = "commodity=Li,Nd&bbox=-130,20,150,50"  # leaves out Australia's Ni/Co site
    response = client.get(f"/api/sites.{fmt.url_suffix}?{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(fmt.media_type.split(";")[0])
    kind = "inline" if fmt is ExportFormat.GEOJSON else "attachment"
    name = f"sites_li-nd_bbox_{date.today().isoformat()}{fmt.extension}"
    assert response.headers["content-disposition"] == f'{kind}; filename="{name}"'
    assert _read_back(response.content, fmt.url_suffix, tmp_path) == \
        ["jp-gamma", "us-alpha", "us-beta", "us-xss"]


def test_the_shapefile_url_reports_renamed_fields(client: TestClient) -> None:
    response = client.get("/api/sites.shp.zip")
    notes = unquote(response.headers["x-export-notes"])
    assert "at most 10 characters" in notes and "next_milestone_date" in notes


def test_an_unknown_format_is_404_and_names_the_formats(client: TestClient) -> None:
    response = client.get("/api/sites.xlsx?commodity=Li")
    assert response.status_code == 404
    assert "No export format 'xlsx'" in response.json()["error"]
    assert "/api/sites.gpkg" in response.json()["error"]


def test_the_briefing_url_packs_the_view(client: TestClient) -> None:
    response = client.get("/api/briefing.zip?commodity=Li&bbox=-120,35,-110,45")
    assert response.status_code == 200
    name = f"briefing_sites_li_bbox_{date.today().isoformat()}.zip"
    assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    sites = json.loads(archive.read(name.removeprefix("briefing_").replace(".zip", ".geojson")))
    assert sorted(f["id"] for f in sites["features"]) == ["us-alpha", "us-xss"]
    assert "inside -120,35,-110,45" in archive.read("README.txt").decode()
    assert Image.open(io.BytesIO(archive.read("map.png"))).size == (1200, 800)


@pytest.mark.parametrize("query", ["commodity=unobtainium", "bbox=200,0,210,10",
                                   "as_of=2999-01-01", "format=gpkg"])
def test_bad_briefing_parameters_are_400(client: TestClient, query: str) -> None:
    response = client.get(f"/api/briefing.zip?{query}")
    assert response.status_code == 400 and response.json()["error"]


@pytest.mark.parametrize("path", ["/api/sites", "/api/sites.", "/api/nothing", "/api/"])
def test_an_unknown_api_path_is_a_json_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    error = response.json()["error"]
    assert error.startswith("No ") and ("/api/sites.{suffix}" in error or "format" in error)
