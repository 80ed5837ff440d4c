"""Handling markings on deposits, on the reading side, on SQLite (the in-memory index) and
PostGIS (the database and its per-marking grid): a deposit marked controlled never reaches a
viewer of public clearance (not in /api/deposits at any zoom, its counts, the map's total or
the detail panel), an attribute marked controlled is blank for them; an account cleared for
controlled receives everything. And the SQL grid's counts per marking equal the index's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from domain.access import OPEN_ACCESS, Principal, Role
from domain.bbox import BBox
from domain.deposit_view import PointFilter, for_principal
from domain.errors import NotFoundError
from mapping.access_state import forget_all
from mapping.store_access import engine
from mapping.web.routes import starlette_app
from sites.filters import SiteFilter
from sites.point_index import PointIndex
from store.accounts import add_account, new_token
from store.deposit_views import DepositViews, deposits_changed
from store.markings import set_marking
from store.models import Deposit
from store.records import DEPOSIT_COLUMNS, deposit_points, get_deposit, import_deposits
from store.startup import ensure_store
from tests.support.fixtures_data import deposit_row, write_data_dir
from tests.support.postgres_server import fresh_database

HIDDEN = "HIDDEN-DEPOSIT-XYZ"
BLANKED = "BLANKED-ATTRIBUTE-DEPOSIT"
ADMIN = Principal("ada", Role.ADMIN, "controlled")
VIEWER = Principal("vic", Role.VIEWER, "public")
PASSWORD = "correct horse battery"
WORLD = ("-180,-85,180,85", 2)
STATE = ("-120,35,-114,42", 6)  # Nevada
CITY = ("-116.6,39.4,-116.4,39.6", 12)  # around the hidden deposit


@dataclass(frozen=True)
class Marked:
    """A store of generated deposits, one marked controlled and one with a controlled
    attribute; API tokens of a public viewer and a controlled admin."""

    engine: Engine
    hidden_id: int
    blanked_id: int
    viewer_token: str
    admin_token: str


def _generated(count: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = pd.DataFrame({
        "source_record_id": [f"g{i}" for i in range(count)],
        "name": [f"Generated {i}" for i in range(count)],
        "lat": rng.uniform(36.0, 41.5, count), "lon": rng.uniform(-119.5, -114.5, count),
        "dev_status": rng.choice(["producer", "prospect", "occurrence"], count),
        "commodities": rng.choice(["Li", "Cu;Ni", "Au"], count), "country": "United States",
    })
    rows.loc[0, ["name", "lat", "lon", "commodities"]] = [HIDDEN, 39.5, -116.5, "Li"]
    rows.loc[1, ["name", "lat", "lon", "commodities", "dev_status"]] = [
        BLANKED, 39.45, -116.45, "Ta", "producer"]
    rows["commodities_original"] = rows["commodities"]
    return rows.reindex(columns=DEPOSIT_COLUMNS, fill_value="").assign(
        dataset="generated", lat=rows["lat"], lon=rows["lon"])


def _id_of(eng: Engine, name: str) -> int:
    with Session(eng) as session:
        return int(session.scalars(select(Deposit.id).where(Deposit.name == name)).one())


@pytest.fixture()
def marked(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[Marked]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PERMITMAP_DATA_DIR", str(write_data_dir(tmp_path / "data")))
    monkeypatch.setenv("PERMITMAP_MAP_POINT_LIMIT", "100")  # the state view clusters
    forget_all()
    eng = engine()
    frame = _generated(600, seed=3)
    import_deposits(eng, frame, principal=OPEN_ACCESS, dataset="generated",
                    file_name="gen.csv", checksum="g" * 64, rows_read=len(frame), report={})
    hidden, blanked = _id_of(eng, HIDDEN), _id_of(eng, BLANKED)
    set_marking(eng, "deposit", str(hidden), "controlled", principal=ADMIN)
    set_marking(eng, "deposit", str(blanked), "controlled", principal=ADMIN,
                attribute="commodities")
    add_account(eng, "ada", "admin", "controlled", password=PASSWORD, actor="test")
    add_account(eng, "vic", "viewer", password=PASSWORD, actor="test")
    forget_all()
    yield Marked(eng, hidden, blanked, new_token(eng, "vic", "QGIS", actor="vic"),
                 new_token(eng, "ada", "QGIS", actor="ada"))
    forget_all()


def _view(client: TestClient, token: str, view: tuple[str, int], **filters: str
          ) -> dict[str, Any]:
    bbox, zoom = view
    response = client.get("/api/deposits", params={"bbox": bbox, "zoom": zoom, **filters},
                          headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _held(body: dict[str, Any]) -> int:
    """Deposits the features stand for: clusters' counts plus single points."""
    return sum(f["properties"].get("count", 1) for f in body["features"])


def _by_id(body: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {f["properties"]["id"]: f["properties"] for f in body["features"]
            if f["properties"]["kind"] == "deposit"}


@pytest.mark.parametrize("view", [WORLD, STATE, CITY], ids=["world", "state", "city"])
def test_a_controlled_deposit_is_not_in_any_view_of_a_public_viewer(
        marked: Marked, view: tuple[str, int]) -> None:
    client = TestClient(starlette_app())
    seen = _view(client, marked.viewer_token, view)
    full = _view(client, marked.admin_token, view)
    # the counts drop by exactly the hidden one, wherever it is counted
    assert seen["meta"]["in_view"] == full["meta"]["in_view"] - 1
    assert seen["meta"]["matching"] == full["meta"]["matching"] - 1
    assert _held(seen) == seen["meta"]["in_view"] and _held(full) == full["meta"]["in_view"]
    assert seen["meta"]["mode"] == ("points" if view == CITY else "clusters")
    assert HIDDEN not in json.dumps(seen) and marked.hidden_id not in _by_id(seen)
    if view == CITY:
        assert _by_id(full)[marked.hidden_id]["name"] == HIDDEN
        # a filter naming it finds nothing either
        assert _view(client, marked.viewer_token, view, q="hidden-deposit")["features"] == []
        assert _view(client, marked.admin_token, view, q="hidden-deposit")["meta"][
            "in_view"] == 1


def test_a_controlled_attribute_is_blank_in_the_points_of_a_public_viewer(
        marked: Marked) -> None:
    client = TestClient(starlette_app())
    seen = _by_id(_view(client, marked.viewer_token, CITY))[marked.blanked_id]
    full = _by_id(_view(client, marked.admin_token, CITY))[marked.blanked_id]
    assert (seen["name"], seen["commodities"], seen["status"]) == (BLANKED, "", "producer")
    assert full["commodities"] == "Ta"
    # nor does a filter on the withheld attribute tell its value
    for view in (CITY, STATE, WORLD):
        assert _view(client, marked.viewer_token, view, commodity="Ta")["meta"]["in_view"] == 0
        assert _view(client, marked.admin_token, view, commodity="Ta")["meta"]["in_view"] == 1
    producers = _view(client, marked.viewer_token, CITY, status="producer")
    assert marked.blanked_id in _by_id(producers)  # its status is not withheld


def test_a_route_without_a_principal_s_clearance_is_not_widened_by_the_url(
        marked: Marked) -> None:
    client = TestClient(starlette_app())
    sneaky = _view(client, marked.viewer_token, CITY, marking="controlled",
                   markings="controlled")
    assert marked.hidden_id not in _by_id(sneaky)


def test_the_map_total_and_the_health_counts_leave_the_hidden_deposit_out(
        marked: Marked) -> None:
    from mapping.cached import deposit_total

    assert deposit_total(SiteFilter(), VIEWER) == deposit_total(SiteFilter(), ADMIN) - 1
    lithium = SiteFilter(commodities=("Li",))
    assert deposit_total(lithium, VIEWER) == deposit_total(lithium, ADMIN) - 1
    client = TestClient(starlette_app())
    counts = {who: client.get("/api/health", headers={"authorization": f"Bearer {token}"}
                              ).json()["counts"]["deposits"]
              for who, token in (("vic", marked.viewer_token), ("ada", marked.admin_token))}
    assert counts["vic"] == counts["ada"] - 1
    tantalum = SiteFilter(commodities=("Ta",))
    assert (deposit_total(tantalum, VIEWER), deposit_total(tantalum, ADMIN)) == (0, 1)


def test_the_detail_of_a_marked_deposit_is_answered_as_an_unknown_one(marked: Marked) -> None:
    with pytest.raises(NotFoundError) as hidden:
        get_deposit(marked.engine, marked.hidden_id, principal=VIEWER)
    with pytest.raises(NotFoundError) as unknown:
        get_deposit(marked.engine, 999_999, principal=VIEWER)
    assert str(hidden.value).replace(str(marked.hidden_id), "N") == \
        str(unknown.value).replace("999999", "N")
    assert get_deposit(marked.engine, marked.hidden_id, principal=ADMIN)["name"] == HIDDEN

    blanked = get_deposit(marked.engine, marked.blanked_id, principal=VIEWER)
    assert (blanked["name"], blanked["commodities"], blanked["commodities_original"]) == (
        BLANKED, "", "")
    assert blanked["withheld"] == ["commodities", "commodities_original"]
    assert blanked["dev_status"] == "producer"
    full = get_deposit(marked.engine, marked.blanked_id, principal=ADMIN)
    assert full["commodities"] == "Ta" and full["withheld"] == []


def test_the_detail_panel_of_a_marked_deposit_says_it_is_not_there(marked: Marked) -> None:
    from streamlit.testing.v1 import AppTest

    def panel(deposit_id: int, clearance: str) -> None:
        from domain.access import Principal, Role
        from mapping.parts.detail_panel import show_details
        from mapping.store_access import engine

        show_details(engine(), ("deposit", str(deposit_id)),
                     Principal("someone", Role.VIEWER, clearance))

    for clearance, shown in (("public", False), ("controlled", True)):
        at = AppTest.from_function(panel, kwargs={"deposit_id": marked.hidden_id,
                                                  "clearance": clearance}).run()
        assert not at.exception, at.exception
        text = " ".join(str(e.value) for e in (*at.subheader, *at.warning))
        assert (HIDDEN in text) is shown
        assert ("no longer in the store" in text) is not shown
        at = AppTest.from_function(panel, kwargs={"deposit_id": marked.blanked_id,
                                                  "clearance": clearance}).run()
        captions = " ".join(str(c.value) for c in at.caption)
        assert ("Withheld at your clearance: commodities" in captions) is not shown


# --- the SQL grid per marking equals the in-memory index -----------------------------------


@pytest.fixture(scope="module")
def postgis_marked(postgres_server: str, tmp_path_factory: pytest.TempPathFactory
                   ) -> tuple[DepositViews, PointIndex]:
    """2,000 deposits on PostGIS, a third business-proprietary and a tenth controlled."""
    url = fresh_database(postgres_server)
    data = write_data_dir(tmp_path_factory.mktemp("grid") / "data")
    eng = ensure_store(url, data)
    frame = _generated(2000, seed=9)
    import_deposits(eng, frame, principal=OPEN_ACCESS, dataset="generated",
                    file_name="gen.csv", checksum="h" * 64, rows_read=len(frame), report={})
    with Session(eng) as session, session.begin():
        session.execute(text("UPDATE deposits SET marking = 'business-proprietary' "
                             "WHERE id % 3 = 0"))
        session.execute(text("UPDATE deposits SET marking = 'controlled' WHERE id % 10 = 1"))
        deposits_changed(session)
    return DepositViews(eng), PointIndex.from_frame(deposit_points(eng))


MARKING_SETS = [("public",), ("public", "business-proprietary"), ()]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(west=st.floats(-125, -113), south=st.floats(33, 43), width=st.floats(0.2, 12),
       height=st.floats(0.2, 8), zoom=st.integers(0, 11), markings=st.sampled_from(MARKING_SETS),
       status=st.sampled_from(["", "producer"]), limit=st.sampled_from([20, 2000]),
       excluded=st.sampled_from([(), tuple(range(1, 2000, 7))]))
def test_grid_counts_by_marking_equal_the_index(
        postgis_marked: tuple[DepositViews, PointIndex], west: float, south: float,
        width: float, height: float, zoom: int, markings: tuple[str, ...], status: str,
        limit: int, excluded: tuple[int, ...]) -> None:
    views, index = postgis_marked
    bbox = BBox(west, south, west + width, min(south + height, 85))
    filters = PointFilter(statuses=(status,) if status else (), markings=markings,
                          excluded=excluded)
    want, got = index.query(bbox, zoom, filters, limit), views.query(bbox, zoom, filters, limit)
    assert got["meta"] == want["meta"]
    assert _normalised(got) == _normalised(want)
    assert views.count(filters) == index.count(filters)


def test_the_grid_holds_every_marking_and_the_highest_clearance_filters_nothing(
        postgis_marked: tuple[DepositViews, PointIndex]) -> None:
    views, index = postgis_marked
    with views.engine.connect() as connection:
        found = connection.execute(text("SELECT marking, sum(n) FROM deposit_grid "
                                        "WHERE zoom = 0 GROUP BY 1 ORDER BY 1")).all()
    assert {m: int(n) for m, n in found} == {
        m: index.count(PointFilter(markings=(m,)))
        for m in ("business-proprietary", "controlled", "public")}
    assert for_principal(PointFilter(), ADMIN) == PointFilter()  # same cache key as before
    assert index.count(PointFilter()) == sum(int(n) for _, n in found) > 2000


def _normalised(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    out = []
    for feature in body["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        props = feature["properties"]
        out.append((props["kind"], props.get("id"), props.get("count"), round(lon, 7),
                    round(lat, 7)))
    return out


def test_migration_0007_recounts_the_grid_per_marking_and_back(postgres_server: str) -> None:
    """A PostGIS store at 0006 with deposits (one marked) goes to 0007: its grid now counts
    per marking, equal to the deposits; and back down to 0006, per status only."""
    from alembic import command
    from alembic.config import Config

    from store.db import MIGRATIONS_DIR

    url = fresh_database(postgres_server)
    eng = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))

    def to(revision: str, down: bool = False) -> None:
        with eng.begin() as connection:
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, revision)

    to("0006")
    with eng.begin() as connection:
        connection.execute(Deposit.__table__.insert(), [
            deposit_row(f"r{i}", f"D{i}", lat=30 + i * 0.1, lon=-110.0,
                        marking="controlled" if i == 7 else "public") for i in range(50)])
    to("0007")
    with eng.connect() as connection:
        counted = dict(connection.execute(text(
            "SELECT marking, sum(n)::int FROM deposit_grid WHERE zoom = 0 GROUP BY 1")).all())
        zooms = connection.execute(text("SELECT count(DISTINCT zoom) FROM deposit_grid")).scalar()
    assert counted == {"public": 49, "controlled": 1} and zooms == 10
    to("0006", down=True)
    with eng.connect() as connection:
        assert connection.execute(text(
            "SELECT sum(n)::int FROM deposit_grid WHERE zoom = 9")).scalar() == 50
    eng.dispose()
