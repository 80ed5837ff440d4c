"""HTTP routes: health, deposits per view (good and bad parameters), basemap."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from mapping.web.routes import ROUTES
from tests.support.fixtures_data import SAMPLE_DEPOSITS, SAMPLE_SITES, write_data_dir


@pytest.fixture()
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("PERMITMAP_DB_PATH", str(tmp_path / "routes.db"))
    monkeypatch.setenv("PERMITMAP_DATA_DIR", str(write_data_dir(tmp_path / "data")))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return TestClient(Starlette(routes=ROUTES))


def test_health_reports_the_store(client: TestClient) -> None:
    body = client.get("/api/health").json()
    assert body["status"] == "ok" and body["database"] == "sqlite"
    assert body["counts"] == {"sites": len(SAMPLE_SITES), "deposits": len(SAMPLE_DEPOSITS),
                              "imports": 0}


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
