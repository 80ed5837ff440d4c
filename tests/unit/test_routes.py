"""HTTP routes: health, deposits per view (good and bad parameters), basemap."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mapping.web.routes import starlette_app
from tests.support.fixtures_data import SAMPLE_DEPOSITS, SAMPLE_SITES, write_data_dir

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> TestClient:
    """The routes on each backend (SQLite: the memory index; PostGIS: the database answers)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PERMITMAP_DATA_DIR", str(write_data_dir(tmp_path / "data")))
    return TestClient(starlette_app())


def test_health_reports_the_store(client: TestClient, database_url: str) -> None:
    body = client.get("/api/health").json()
    assert body["status"] == "ok" and database_url.startswith(body["database"])
    assert body["counts"] == {"sites": len(SAMPLE_SITES), "deposits": len(SAMPLE_DEPOSITS),
                              "imports": 0}


def test_health_counts_deposits_imported_by_another_process(client: TestClient, tmp_path: Path,
                                                            database_url: str) -> None:
    """The health route reuses the map's deposit count, cached per deposits revision: an
    import (here the command, as another process would run it) must show at once."""
    before = client.get("/api/health").json()
    table = tmp_path / "survey.csv"
    table.write_text("record_id,site_name,latitude,longitude\nA1,One,40.5,-117.2\n"
                     "A2,Two,41.0,-116.9\n", encoding="utf-8")
    command = [sys.executable, "-m", "commands", "deposits", "import", str(table),
               "--dataset", "field-2026"]
    env = {**os.environ, "DATABASE_URL": database_url}
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=ROOT, timeout=120)
    after = client.get("/api/health").json()
    assert after["counts"]["deposits"] == before["counts"]["deposits"] + 2
    assert after["counts"]["imports"] == before["counts"]["imports"] + 1
    assert after["deposit_revision"] != before["deposit_revision"]


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("bbox=-180,-90,180,90&zoom=3", {"Deposit One", "Deposit Two"}),
        ("bbox=-180,-90,180,90&zoom=3&commodity=rare%20earth%20elements", {"Deposit Two"}),
        ("bbox=-180,-90,180,90&zoom=3&commodity=li,REE", {"Deposit One", "Deposit Two"}),
        ("bbox=-180,-90,180,90&zoom=3&status=Producer", {"Deposit Two"}),
        ("bbox=-116.2,38.9,-115.9,39.1&zoom=10", {"Deposit One"}),
        ("bbox=-180,-90,180,90&zoom=3&country=Japan", set()),
    ],
)
def test_deposits_follow_view_and_filters(client: TestClient, query: str, names: set[str]) -> None:
    response = client.get(f"/api/deposits?{query}")
    assert response.status_code == 200
    body = response.json()
    assert {f["properties"]["name"] for f in body["features"]} == names
    assert body["meta"]["in_view"] == len(names)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("zoom=3", "bbox must be four numbers"),
        ("bbox=1,2,3&zoom=3", "bbox must be four numbers"),
        ("bbox=-10,50,10,40&zoom=3", "south first"),
        ("bbox=-10,-5,10,5&zoom=high", "zoom must be a whole number"),
        ("bbox=-10,-5,10,5&zoom=30", "zoom must be a whole number"),
        ("bbox=-10,-5,10,5&zoom=3&commodity=unobtainium", "commodity 'unobtainium' is not known"),
        ("bbox=-10,-5,10,5&zoom=3&status=nonsense", "status 'nonsense' is not known"),
    ],
)
def test_bad_parameters_get_400_and_words(client: TestClient, query: str, message: str) -> None:
    response = client.get(f"/api/deposits?{query}")
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_basemap_is_served_and_names_are_checked(client: TestClient) -> None:
    ok = client.get("/api/basemap/countries-110m.geojson")
    assert ok.status_code == 200 and ok.json()["type"] == "FeatureCollection"
    lines = client.get("/api/basemap/us-state-lines.geojson")
    assert lines.status_code == 200 and lines.json()["type"] == "FeatureCollection"
    assert client.get("/api/basemap/..%2Fsites.csv").status_code == 404


def test_a_store_that_cannot_be_used_is_a_503_in_json(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # nothing listens on port 1: the database cannot be opened
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://nobody@127.0.0.1:1/none")
    for path in ("/api/health", "/api/deposits?bbox=-10,-5,10,5&zoom=3"):
        response = TestClient(starlette_app()).get(path)
        assert response.status_code == 503, path
        body = response.json()
        assert set(body) == {"error", "status"} and body["status"] == 503
        assert "database" in body["error"].lower()


@pytest.mark.parametrize(("path", "status"), [
    ("/api/deposits?zoom=3", 400),
    ("/api/basemap/nothing.geojson", 404),
    ("/api/layers/nothing/features.geojson", 404),
    ("/api/layers/nothing/export?format=csv", 404),
    ("/tiles/nothing/30/0/0.png", 400),
    ("/api/sites.docx", 404),
    ("/api/sites.geojson?bbox=1,2", 400),
    ("/api/briefing.zip?as_of=yesterday", 400),
    ("/api/nothing", 404),
])
def test_every_route_answers_errors_in_one_json_shape(client: TestClient, path: str,
                                                      status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error", "status"} and body["status"] == status
    assert body["error"].endswith(".") and len(body["error"]) > 20


def test_an_unforeseen_failure_is_logged_and_answered_in_json(
        client: TestClient, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    from mapping.web import map_api

    def broken(_params: dict[str, str], _who: object) -> dict:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(map_api, "deposits_body", broken)
    response = TestClient(starlette_app(), raise_server_exceptions=False).get(
        "/api/deposits?bbox=-10,-5,10,5&zoom=3")
    assert response.status_code == 500
    assert response.json()["status"] == 500 and "logged" in response.json()["error"]
    assert "ZeroDivisionError: a bug" in caplog.text
