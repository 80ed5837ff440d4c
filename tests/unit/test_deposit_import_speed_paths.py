"""The column-wise deposit import (``store.bulk``: COPY on PostgreSQL, driver ``executemany`` on
SQLite) against what the previous path (SQLAlchemy Core upserts of dict rows) stored: the same
rows, the same counts, nothing left behind by a failure, and a deposit grid that matches.

Small data, nothing timed: ``benchmarks/store_bench.py`` measures the speed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from domain.access import OPEN_ACCESS
from domain.bbox import BBox
from domain.deposit_view import PointFilter
from sites.point_index import PointIndex
from store.bulk import lock_for_load
from store.deposit_views import DEPOSITS_REVISION, GRID_OF, DepositViews, deposits_changed
from store.models import Deposit
from store.records import (
    DEPOSIT_COLUMNS,
    ImportSummary,
    deposit_points,
    import_deposits,
    upsert_rows,
)
from store.startup import ensure_store
from tests.support.fixtures_data import write_data_dir
from tests.support.postgres_server import fresh_database

DATASET = "bulk-test"
STATUSES = ["producer", "prospect", "occurrence", "past producer", "unknown"]
# Text a CSV stream or a driver could get wrong: quotes, separators, line breaks, backslashes,
# COPY's own null markers, padding, other scripts, the empty string.
AWKWARD_TEXT = ["", " padded ", 'quote " and, comma', "line\nbreak\r\nand more",
                "back\\slash \\N \\.", "NULL", "日本語の鉱山", "tab\tstop", "semi;colon;",
                "'single'", "ümlaut – dash"]
# floats whose shortest text is long, or tiny, or on a limit
AWKWARD_LATS = [0.1 + 0.2, 1e-7, 84.99999999999999, -0.30000000000000004, 0.0, 45.0]
AWKWARD_LONS = [-116.80000000000001, -179.99999999999997, 179.99999999999997, 1e-7, 0.0]


def _frame(count: int, *, seed: int, dataset: str = DATASET, prefix: str = "r") -> pd.DataFrame:
    """Deposit records as ``read_deposit_table`` gives them, with awkward values mixed in."""
    rng = np.random.default_rng(seed)
    lat = rng.normal(39.0, 3.0, count).clip(-89, 89)
    lon = rng.normal(-117.0, 4.0, count).clip(-180, 180)
    lat[: len(AWKWARD_LATS)] = AWKWARD_LATS[:count]
    lon[1 : len(AWKWARD_LONS) + 1] = AWKWARD_LONS[: count - 1]
    awkward = np.array(AWKWARD_TEXT, dtype=object)
    frame = pd.DataFrame({
        "dataset": dataset,
        "source_record_id": [f"{prefix}{i}" for i in range(count)],
        "name": [f"Deposit {i} {AWKWARD_TEXT[i % len(AWKWARD_TEXT)]}" for i in range(count)],
        "other_names": awkward[rng.integers(0, len(awkward), count)],
        "country": rng.choice(["United States", "Japan", "Australia"], count),
        "admin_area": awkward[rng.integers(0, len(awkward), count)],
        "lat": lat,
        "lon": lon,
        "dev_status": rng.choice(STATUSES, count),
        "dev_status_original": awkward[rng.integers(0, len(awkward), count)],
        "commodities": rng.choice(["Li", "REE;Nd", "Cu;Au", ""], count),
        "commodities_original": awkward[rng.integers(0, len(awkward), count)],
        "deposit_type": awkward[rng.integers(0, len(awkward), count)],
        "position_quality": "published",
        "position_note": "",
        "source": [f"https://example.org/{i}?a=1&b=\"2\"" for i in range(count)],
    })
    # as the reader returns them: pandas' text dtype, floats
    return frame.astype({c: "str" for c in DEPOSIT_COLUMNS if c not in ("lat", "lon")})


def _import(engine: Engine, frame: pd.DataFrame, dataset: str = DATASET) -> ImportSummary:
    return import_deposits(engine, frame, dataset=dataset, file_name="t.csv", checksum="0" * 64,
                           rows_read=len(frame), report={"skipped": []}, principal=OPEN_ACCESS)


def _previous_import(engine: Engine, frame: pd.DataFrame) -> None:
    """What import_deposits wrote before: dict rows through ``upsert_rows`` (SQLAlchemy Core
    INSERT ... ON CONFLICT DO UPDATE in chunks), then the grid."""
    values = frame[DEPOSIT_COLUMNS].astype(object)
    rows: list[dict[str, Any]] = values.where(frame[DEPOSIT_COLUMNS].notna(), None).to_dict(
        "records")  # type: ignore[assignment]
    with Session(engine) as session, session.begin():
        upsert_rows(session, Deposit, rows, ("dataset", "source_record_id"))
        deposits_changed(session)


def _deposits(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(
            f"SELECT id, {', '.join(DEPOSIT_COLUMNS)} FROM deposits ORDER BY id"))]


def _snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Everything an import writes: deposits, the import log, store metadata, the grid."""
    with engine.connect() as connection:
        found = {
            "imports": [tuple(r) for r in connection.execute(text(
                "SELECT id, dataset, rows_loaded FROM dataset_imports ORDER BY id"))],
            "meta": [tuple(r) for r in connection.execute(text(
                "SELECT key, value FROM store_meta ORDER BY key"))],
        }
        if engine.dialect.name == "postgresql":
            found["grid"] = [tuple(r) for r in connection.execute(text(
                "SELECT * FROM deposit_grid ORDER BY zoom, ix, iy, dev_status"))]
    return found | {"deposits": _deposits(engine)}


def _engines(database_url: str, request: pytest.FixtureRequest,
             tmp_path: Path) -> list[tuple[str, Engine, Engine]]:
    """(label, store for the new path, store for the previous path): on PostgreSQL once per
    driver (psycopg2 and psycopg 3 take different COPY calls)."""
    data = write_data_dir(tmp_path / "data")
    if database_url.startswith("sqlite"):
        other = f"sqlite:///{tmp_path / 'previous' / 'permitmap.db'}"
        return [("sqlite", ensure_store(database_url, data), ensure_store(other, data))]
    server = request.getfixturevalue("postgres_server")
    pairs = []
    for driver in ("postgresql+psycopg2", "postgresql+psycopg"):
        ours, previous = (make_url(fresh_database(server)).set(drivername=driver)
                          .render_as_string(hide_password=False) for _ in range(2))
        pairs.append((driver, ensure_store(ours, data), ensure_store(previous, data)))
    return pairs


def test_the_bulk_path_stores_what_the_previous_path_stored(
        database_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    first = _frame(300, seed=1)
    # the second file: 100 rows as they were, 100 changed, 50 new (and 50 absent, kept)
    second = pd.concat([
        first.iloc[:100],
        first.iloc[100:200].assign(name=lambda f: f["name"] + " (renamed)",
                                   lat=lambda f: f["lat"] / 3, dev_status="producer"),
        _frame(50, seed=2, prefix="new"),
    ], ignore_index=True)
    for label, ours, previous in _engines(database_url, request, tmp_path):
        for frame in (first, second):  # a new dataset, then an existing one
            _import(ours, frame)
            _previous_import(previous, frame)
            now, before = _deposits(ours), _deposits(previous)
            # the same rows, numbered in the same order (file order); on PostgreSQL the
            # previous path's ON CONFLICT drew an id for every row it updated too, so the
            # ids of rows added by a re-import differ there (not on SQLite)
            assert [r[1:] for r in now] == [r[1:] for r in before], label
            assert [r[0] for r in now[:302]] == [r[0] for r in before[:302]], label
            if label == "sqlite":
                assert now == before
        stored = pd.DataFrame(_deposits(ours), columns=["id", *DEPOSIT_COLUMNS])
        assert (stored["dataset"] == DATASET).sum() == 350, label
        assert set(AWKWARD_TEXT) <= set(stored["other_names"]), label
        assert set(AWKWARD_LATS) <= set(stored["lat"]), label
        assert set(AWKWARD_LONS) <= set(stored["lon"]), label


def test_reimport_updates_in_place_and_counts_inserted_and_updated(database_url: str,
                                                                   tmp_path: Path) -> None:
    engine = ensure_store(database_url, write_data_dir(tmp_path / "data"))
    first = _frame(20, seed=3)
    summary = _import(engine, first)
    assert (summary.rows_loaded, summary.inserted, summary.updated) == (20, 20, 0)
    ids = {r[2]: r[0] for r in _deposits(engine) if r[1] == DATASET}

    second = pd.concat([
        first.iloc[:10],                                            # unchanged
        first.iloc[10:15].assign(name="Moved", lat=-33.5, lon=151.25),  # changed
        _frame(5, seed=4, prefix="new"),                            # new
    ], ignore_index=True)  # rows 15..19 are not in the file: they stay
    summary = _import(engine, second)
    assert (summary.rows_loaded, summary.inserted, summary.updated) == (20, 5, 15)

    stored = {r[2]: r for r in _deposits(engine) if r[1] == DATASET}
    assert len(stored) == 25  # nothing duplicated
    assert all(stored[key][0] == ident for key, ident in ids.items())  # updated in place
    for key in (f"r{i}" for i in range(10, 15)):
        assert stored[key][3] == "Moved"
        assert (stored[key][7], stored[key][8]) == (-33.5, 151.25)
    assert stored["r3"][3:] == tuple(first.iloc[3][DEPOSIT_COLUMNS[1:]])[1:]
    with engine.connect() as connection:
        loaded = connection.execute(text(
            "SELECT rows_loaded FROM dataset_imports WHERE dataset = :d ORDER BY id"),
            {"d": DATASET}).scalars().all()
    assert loaded == [20, 20]


@pytest.mark.parametrize("dataset", ["repeats-new", DATASET])
def test_a_repeated_record_id_in_one_file_keeps_the_last_row(database_url: str, tmp_path: Path,
                                                             dataset: str) -> None:
    engine = ensure_store(database_url, write_data_dir(tmp_path / "data"))
    _import(engine, _frame(5, seed=5))
    twice = _frame(3, seed=6, dataset=dataset, prefix="dup")
    twice.loc[2, "source_record_id"] = "dup0"
    twice.loc[2, "name"] = "The later row"
    summary = _import(engine, twice, dataset=dataset)
    assert (summary.rows_loaded, summary.inserted, summary.updated) == (3, 2, 1)
    stored = {r[2]: r[3] for r in _deposits(engine) if r[2].startswith("dup")}
    assert stored == {"dup0": "The later row", "dup1": twice.loc[1, "name"]}


def _broken(frame: pd.DataFrame, row: int, lat: Any) -> pd.DataFrame:
    frame = frame.astype({"lat": object})
    frame.loc[row, "lat"] = lat
    return frame


@pytest.mark.parametrize(("dataset", "where", "bad_lat", "error"), [
    ("new-dataset", "middle", None, IntegrityError),       # NOT NULL, straight COPY / INSERT
    ("new-dataset", "last", None, IntegrityError),
    (DATASET, "middle", None, IntegrityError),             # an existing row set to NULL
    (DATASET, "last", None, IntegrityError),               # a new row, after the updates
    (DATASET, "middle", "north", ValueError),              # not a number: refused before SQL
])
def test_a_failed_import_leaves_the_store_exactly_as_it_was(
        database_url: str, tmp_path: Path, dataset: str, where: str, bad_lat: Any,
        error: type[Exception]) -> None:
    engine = ensure_store(database_url, write_data_dir(tmp_path / "data"))
    _import(engine, _frame(60, seed=7))
    before = _snapshot(engine)
    # every row changed (new ones where the dataset is new; 60 existing + 40 new otherwise)
    frame = _frame(100, seed=8, dataset=dataset).assign(name="Changed", dev_status="producer")
    row = 30 if where == "middle" else 99
    with pytest.raises(error):
        _import(engine, _broken(frame, row, bad_lat), dataset=dataset)
    assert _snapshot(engine) == before
    # and the store still takes the good file afterwards
    assert _import(engine, frame, dataset=dataset).rows_loaded == 100


def _grid_is_current(engine: Engine) -> bool:
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT key, value FROM store_meta WHERE key IN (:a, :b)"),
            {"a": GRID_OF, "b": DEPOSITS_REVISION}).all()
    meta = {str(key): str(value) for key, value in rows}
    return meta.get(GRID_OF) == meta.get(DEPOSITS_REVISION)


def test_the_deposit_grid_matches_the_deposits_after_each_import(database_url: str,
                                                                 tmp_path: Path) -> None:
    engine = ensure_store(database_url, write_data_dir(tmp_path / "data"))
    views = DepositViews(engine)
    first = _frame(400, seed=9)
    moved = pd.concat([first.iloc[:200].assign(lat=lambda f: -f["lat"], dev_status="producer"),
                       _frame(150, seed=10, prefix="more")], ignore_index=True)
    for frame in (first, moved):
        _import(engine, frame)
        stored = pd.DataFrame(_deposits(engine), columns=["id", *DEPOSIT_COLUMNS])
        assert views.count(PointFilter()) == len(stored)
        for status in STATUSES:
            assert views.count(PointFilter(statuses=(status,))) == \
                int((stored["dev_status"] == status).sum())
        # the map's viewer on each backend: the database, or the in-memory index on SQLite
        viewer = views if engine.dialect.name == "postgresql" \
            else PointIndex.from_frame(deposit_points(engine))
        world = viewer.query(BBox(-180, -90, 180, 90), 0, PointFilter(), point_limit=10)
        assert world["meta"]["in_view"] == len(stored)
        if engine.dialect.name == "postgresql":  # the counts above came from the grid
            assert _grid_is_current(engine)
            with engine.connect() as connection:
                per_zoom = connection.execute(text(
                    "SELECT zoom, sum(n) FROM deposit_grid GROUP BY zoom")).all()
            assert {int(n) for _zoom, n in per_zoom} == {len(stored)}


def test_an_import_holds_off_other_writers_but_not_readers(database_url: str,
                                                           tmp_path: Path) -> None:
    engine = ensure_store(database_url, write_data_dir(tmp_path / "data"))
    _import(engine, _frame(10, seed=11))
    sqlite = engine.dialect.name == "sqlite"
    other = create_engine(database_url, **({"connect_args": {"timeout": 0.3}} if sqlite else {}))
    with Session(engine) as session, session.begin():
        lock_for_load(session, Deposit.__table__)  # type: ignore[arg-type]
        with other.connect() as connection:
            if not sqlite:
                connection.execute(text("SET lock_timeout = '300ms'"))
            count = connection.execute(text("SELECT count(*) FROM deposits")).scalar_one()
            assert count == 12  # readers go on (10 imported + 2 bundled)
            with pytest.raises(OperationalError, match=r"lock timeout|database is locked"):
                connection.execute(text("UPDATE deposits SET name = name WHERE id = 1"))
    other.dispose()
