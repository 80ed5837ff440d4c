"""PostGIS as the shared store: the URLs people write, real geometry columns with their SRID
and GiST indexes, and map views answered by the database that equal the in-memory index's
answers for the same deposits (every point counted once, nothing in the view missing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import create_engine, make_url, text

from domain.access import OPEN_ACCESS
from domain.bbox import BBox
from domain.deposit_view import PointFilter
from permits.site_links import distances_km, link_projects
from sites.point_index import PointIndex
from store.db import get_engine, migrate
from store.deposit_views import GRID_MAX_ZOOM, DepositViews, ensure_deposit_grid
from store.errors import StoreError
from store.records import (
    DEPOSIT_COLUMNS,
    deposit_points,
    import_deposits,
    load_sites,
    remove_dataset,
)
from store.site_distances import site_distance_km
from store.startup import ensure_store
from tests.support.fixtures_data import write_data_dir
from tests.support.postgres_server import fresh_database

STATUSES = ["producer", "prospect", "occurrence", "past producer"]
COMMODITIES = ["Li", "REE", "Cu;Ni", "Li;B", "Co", "Au;Sb;W"]
COUNTRIES = ["United States", "Australia", "Japan", "Fiji"]


@pytest.fixture(scope="module")
def postgis_url(postgres_server: str) -> str:
    return fresh_database(postgres_server)


def _deposits(count: int, seed: int) -> pd.DataFrame:
    """Random deposits, dense in a few regions, some on cell edges and on the 180th meridian."""
    rng = np.random.default_rng(seed)
    centres = np.array([[-117.0, 39.0], [135.0, 35.0], [179.5, -17.0], [-179.5, -16.5]])
    picks = centres[rng.integers(0, len(centres), count)]
    spread = rng.normal(0, [6.0, 3.0], size=(count, 2))
    lon = np.clip(picks[:, 0] + spread[:, 0], -180, 180)
    lat = np.clip(picks[:, 1] + spread[:, 1], -89, 89)
    lon[:50] = np.round(lon[:50] / 0.703125) * 0.703125  # exactly on grid lines
    lat[:50] = np.round(lat[:50] / 0.703125) * 0.703125
    lon[50:60], lat[50:60] = 180.0, -17.0
    return pd.DataFrame({
        "source_record_id": [f"r{i}" for i in range(count)],
        "name": [f"Deposit {i} {'Creek' if i % 3 else 'Ridge'}" for i in range(count)],
        "lat": lat, "lon": lon,
        "dev_status": rng.choice(STATUSES, count),
        "commodities": rng.choice(COMMODITIES, count),
        "country": rng.choice(COUNTRIES, count),
    })


def _load(url: str, frame: pd.DataFrame, dataset: str, data_dir: Path) -> Any:
    engine = ensure_store(url, write_data_dir(data_dir))
    records = frame.reindex(columns=DEPOSIT_COLUMNS, fill_value="").assign(
        dataset=dataset, lat=frame["lat"], lon=frame["lon"])
    import_deposits(engine, records, dataset=dataset, file_name="gen.csv", checksum=dataset,
                    rows_read=len(frame), report={}, principal=OPEN_ACCESS)
    return engine


def _normalised(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    out = []
    for feature in body["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        props = feature["properties"]
        out.append((props["kind"], props.get("id"), props.get("count"), round(lon, 7),
                    round(lat, 7)))
    return out


VIEWS = [
    (BBox(-180, -85, 180, 85), 0), (BBox(-180, -85, 180, 85), 2),
    (BBox(-130, 25, -100, 50), 5), (BBox(-121.3, 36.2, -112.1, 41.9), 7),
    (BBox(-118.5, 38.0, -116.0, 40.0), 9), (BBox(170, -25, -170, -10), 5),
    (BBox(179, -18, -179, -16), 9), (BBox(-118.125, 38.671875, -115.3125, 40.078125), 7),
]
FILTERS = [
    PointFilter(), PointFilter(statuses=("producer", "prospect")),
    PointFilter(commodities=("Li",)), PointFilter(countries=("Japan", "Fiji")),
    PointFilter(name_contains="ridge"),
    PointFilter(commodities=("Ni",), statuses=("producer",), name_contains="Deposit 1"),
]


def test_the_database_answers_every_view_as_the_memory_index_does(tmp_path: Path,
                                                                  postgis_url: str) -> None:
    engine = _load(postgis_url, _deposits(6000, seed=7), "generated", tmp_path / "data")
    index = PointIndex.from_frame(deposit_points(engine))
    views = DepositViews(engine)
    clustered = 0
    for bbox, zoom in VIEWS:
        for filters in FILTERS:
            for limit in (2000, 50):
                want, got = index.query(bbox, zoom, filters, limit), \
                    views.query(bbox, zoom, filters, limit)
                assert got["meta"] == want["meta"], (bbox, zoom, filters, limit)
                assert _normalised(got) == _normalised(want), (bbox, zoom, filters, limit)
                clustered += got["meta"]["mode"] == "clusters"
        assert views.count(filters) == index.count(filters)
    assert clustered > 20  # the grid and the live clusters were both exercised


def test_the_grid_follows_imports_and_removals(postgis_url: str, tmp_path: Path) -> None:
    engine = get_engine(postgis_url)
    views = DepositViews(engine)
    world = BBox(-180, -85, 180, 85)
    before = views.query(world, 0, PointFilter(), 10)["meta"]["in_view"]
    extra = _deposits(500, seed=11).assign(source_record_id=lambda f: "x" + f.source_record_id)
    _load(postgis_url, extra, "extra", tmp_path / "data")
    assert views.query(world, 0, PointFilter(), 10)["meta"]["in_view"] == before + 500
    assert views.count(PointFilter()) == before + 500
    remove_dataset(engine, "extra", principal=OPEN_ACCESS)
    assert views.query(world, 0, PointFilter(), 10)["meta"]["in_view"] == before
    with engine.connect() as connection:
        zooms = connection.execute(text("SELECT DISTINCT zoom FROM deposit_grid")).scalars()
        assert sorted(zooms) == list(range(GRID_MAX_ZOOM + 1))


def test_a_record_of_a_curated_place_is_left_out_as_in_memory(postgis_url: str,
                                                               tmp_path: Path) -> None:
    """The cross-walk's same place (the sample's curated D1 recorded again): the grid, the
    points and the counts leave it out as the in-memory index does, until it is rejected."""
    from services.crosswalk import refresh_crosswalk
    from store.crosswalk_repo import REJECTED, decide, stored_links

    copies = pd.DataFrame({"source_record_id": ["D1", "D2"], "name": ["Copy", "Copy"],
                           "lat": [39.0, 35.5], "lon": [-116.0, -115.5],
                           "dev_status": ["prospect"] * 2, "commodities": ["Li"] * 2,
                           "country": ["United States"] * 2})
    engine = _load(postgis_url, copies, "copies", tmp_path / "data")
    views = DepositViews(engine)
    world, filters = BBox(-180, -85, 180, 85), PointFilter()
    before = views.count(filters)
    refresh_crosswalk(engine, principal=OPEN_ACCESS)
    assert views.count(filters) == before - 2
    index = PointIndex.from_frame(deposit_points(engine))
    for zoom in (0, 5, 12):
        want, got = index.query(world, zoom, filters, 5000), views.query(world, zoom, filters,
                                                                        5000)
        assert got["meta"] == want["meta"] and _normalised(got) == _normalised(want)
    links = stored_links(engine)
    d1 = int(links.loc[links["b_key"] == "copies/D1", "id"].iloc[0])
    decide(engine, d1, REJECTED, principal=OPEN_ACCESS)
    assert views.count(filters) == before - 1
    remove_dataset(engine, "copies", principal=OPEN_ACCESS)


def test_a_stale_grid_is_not_used_and_is_recounted(postgis_url: str) -> None:
    engine = get_engine(postgis_url)
    views, world = DepositViews(engine), BBox(-180, -85, 180, 85)
    honest = views.query(world, 3, PointFilter(), 10)
    with engine.begin() as connection:  # a grid that no longer matches the deposits
        connection.execute(text("UPDATE deposit_grid SET n = n + 1000"))
        connection.execute(text("UPDATE store_meta SET value = 'old' "
                                "WHERE key = 'deposit_grid_of'"))
    assert _normalised(views.query(world, 3, PointFilter(), 10)) == _normalised(honest)
    ensure_deposit_grid(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT max(n) FROM deposit_grid")).scalar() < 1000
    assert _normalised(views.query(world, 3, PointFilter(), 10)) == _normalised(honest)


def test_geometry_columns_have_srid_4326_and_gist_indexes(postgis_url: str) -> None:
    engine = get_engine(postgis_url)
    with engine.connect() as connection:
        columns = connection.execute(text(
            "SELECT f_table_name, type, srid FROM geometry_columns "
            "WHERE f_geometry_column = 'geom' ORDER BY f_table_name")).all()
        indexes = connection.execute(text(
            "SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING gist (geom)%' "
            "ORDER BY tablename")).scalars().all()
        wrong = connection.execute(text(
            "SELECT count(*) FROM deposits WHERE NOT ST_Equals(geom, "
            "ST_SetSRID(ST_MakePoint(lon, lat), 4326))")).scalar()
        drawn_sites = connection.execute(text(
            "SELECT count(*) FILTER (WHERE geom IS NOT NULL), count(lat) FROM sites")).one()
    assert [tuple(c) for c in columns] == [("deposits", "POINT", 4326),
                                          ("sites", "POINT", 4326),
                                          ("survey_features", "GEOMETRY", 4326)]
    assert indexes == ["deposits", "sites", "survey_features"]
    assert wrong == 0
    assert drawn_sites[0] == drawn_sites[1] > 0


@pytest.mark.parametrize("driver", ["postgresql", "postgresql+psycopg", "postgresql+psycopg2"])
def test_every_postgresql_url_form_works(postgres_server: str, driver: str,
                                         tmp_path: Path) -> None:
    """The plain ``postgresql://`` URL is the one people write (SQLAlchemy 2.1 reads it as
    psycopg 3)."""
    url = fresh_database(postgres_server).replace("postgresql+psycopg2://", f"{driver}://", 1)
    engine = ensure_store(url, write_data_dir(tmp_path / "data"))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM sites")).scalar() > 0
        assert connection.execute(text("SELECT postgis_lib_version()")).scalar()


def test_a_database_without_postgis_is_named_in_the_message(postgres_server: str) -> None:
    """A role that may not create the extension meets a database without it: the message
    says what is missing and who can add it."""
    url = fresh_database(postgres_server)
    name = make_url(url).database
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DO $$ BEGIN CREATE ROLE plain LOGIN NOSUPERUSER; "
                                "EXCEPTION WHEN duplicate_object THEN NULL; END $$"))
        connection.execute(text(f'ALTER DATABASE "{name}" OWNER TO plain'))
    admin.dispose()
    as_plain = url.replace("://postgres@", "://plain@", 1)
    with pytest.raises(StoreError, match=r"no PostGIS.*CREATE EXTENSION postgis"):
        migrate(create_engine(as_plain))


def test_the_importer_measures_site_distances_in_postgis(postgis_url: str,
                                                         tmp_path: Path) -> None:
    """The permits importer's distance test, measured by PostGIS on the spheroid, links the
    same projects as the great-circle formula and agrees with it to half a percent."""
    engine = ensure_store(postgis_url, write_data_dir(tmp_path / "data"))
    sites = load_sites(engine)
    placed = sites[sites["lat"].notna()].reset_index(drop=True)
    projects = pd.DataFrame({
        "project_id": [f"p{i}" for i in range(2 * len(placed))],
        "title": list(placed["name"]) * 2, "site_id": "", "state": "",
        # 0.2° north (about 22 km: inside 50 km) and 0.6° north (about 67 km: outside)
        "lat": list(placed["lat"] + 0.2) + list(placed["lat"] + 0.6),
        "lon": list(placed["lon"]) * 2})
    measure = site_distance_km(engine)
    assert measure is not None
    by_db = link_projects(projects, sites, accept_approximate=True, site_distance_km=measure)
    by_formula = link_projects(projects, sites, accept_approximate=True)
    assert by_db.site_ids == by_formula.site_ids
    assert set(by_db.site_ids) == {f"p{i}" for i in range(len(placed))}
    for row in placed.itertuples():
        sphere = float(distances_km(row.lat + 0.2, row.lon, np.array([row.lat]),
                                    np.array([row.lon]))[0])
        assert abs(measure(row.lat + 0.2, row.lon, row.id) - sphere) / sphere < 0.005
    assert site_distance_km(get_engine(f"sqlite:///{tmp_path / 'x.db'}")) is None
