"""The deposit store at scale, SQLite against PostGIS, in one run: importing N deposits
(default 1,000,000) with ``permitmap deposits import``, answering map views, and the memory an
app process needs for them.

    .venv/bin/python benchmarks/store_bench.py              # 1,000,000 deposits, ~10 minutes
    .venv/bin/python benchmarks/store_bench.py --rows 100000

A. Import. The deposits are generated (NumPy; dense clusters in Nevada, Arizona, Colorado,
   Alaska, Western Australia, Queensland, Japan, British Columbia and Chile over a uniform
   background; MRDS status words and commodity names) and written as an MRDS-style CSV, which
   ``permitmap deposits import FILE`` then reads, cleans and stores in a new process (interpreter
   start included), into an empty store on each backend. Naive: the same in a new process with
   the previous store code (records as dicts, SQLAlchemy Core ``INSERT ... ON CONFLICT`` in
   chunks of 5,000, the same summary row and grid recount). PostGIS is a throw-away server
   (``tests/support/postgres_server.py``: fsync off, Unix socket), reached with psycopg 3 as
   a plain ``postgresql://`` URL is. Also: the re-import of the same file, and what the GiST
   index and the generated ``geom`` column cost a bulk load.
B. Map views at world, state and city zoom, with no filter, a status filter and a commodity
   filter: PostGIS (``store.deposit_views.DepositViews``), the in-memory
   ``sites.point_index.PointIndex`` the app builds on SQLite, and naive database answers: the
   same live SQL without the pre-counted grid (the grid marked stale), and a plain SELECT of
   every point in the box (what a map without clustering would fetch).
C. Memory: resident set (VmRSS) of one process that built the PointIndex of every deposit,
   and of one that only answered through DepositViews, each in its own process.

Progress goes to stderr, the tables to stdout; nothing asserts (exit 0 also when a goal is
missed). Child modes (``--child ...``) are this script's own subprocesses.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support.postgres_server: the throw-away server

from bench_support import text_table  # noqa: E402
from sqlalchemy import Engine, create_engine, make_url, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from domain.bbox import BBox  # noqa: E402
from domain.deposit_view import PointFilter  # noqa: E402
from domain.settings import DATA_DIR  # noqa: E402
from domain.vocab import COMMODITY_NAMES, normalise_status  # noqa: E402
from sites.deposit_tables import read_deposit_table  # noqa: E402
from sites.point_index import PointIndex  # noqa: E402
from store.bulk import load_append  # noqa: E402
from store.deposit_views import (  # noqa: E402
    GRID_OF,
    DepositViews,
    deposits_changed,
    ensure_deposit_grid,
)
from store.models import DatasetImport, Deposit  # noqa: E402
from store.records import DEPOSIT_COLUMNS, deposit_points, upsert_rows  # noqa: E402
from store.startup import ensure_store  # noqa: E402

IMPORT_GOAL_S = 30.0
VIEW_GOAL_MS = 50.0
POINT_LIMIT = 2000  # the app's PERMITMAP_MAP_POINT_LIMIT default
REPS = 30
CELL_BUDGET_S = 15.0  # a slow naive view stops repeating after this long (at least MIN_REPS)
MIN_REPS = 3
# name, box, zoom
VIEWS = (
    ("world", BBox(-180, -85, 180, 85), 2),
    ("state (Nevada)", BBox(-120, 35, -114, 42), 6),
    ("city (0.2°, Nevada)", BBox(-116.9, 39.2, -116.7, 39.4), 12),
)
FILTERS = (
    ("no filter", PointFilter()),
    ("status producer", PointFilter(statuses=("producer",))),
    ("commodity Li", PointFilter(commodities=("Li",))),
)

# --- synthetic deposits -------------------------------------------------------------------

# country, state (MRDS writes US states as two-letter codes), lon, lat, sd lon, sd lat, share
CLUSTERS = (
    ("United States", "NV", -116.8, 39.3, 1.6, 1.4, 0.20),
    ("United States", "AZ", -111.5, 33.5, 1.3, 1.0, 0.07),
    ("United States", "CO", -106.0, 39.0, 1.0, 0.8, 0.05),
    ("United States", "AK", -147.0, 64.0, 4.0, 1.5, 0.03),
    ("Australia", "Western Australia", 121.5, -30.5, 2.5, 2.5, 0.16),
    ("Australia", "Queensland", 145.0, -20.0, 2.0, 2.0, 0.06),
    ("Japan", "", 138.0, 36.5, 2.0, 1.6, 0.10),
    ("Canada", "British Columbia", -124.0, 51.0, 2.0, 1.5, 0.05),
    ("Chile", "Antofagasta", -69.5, -24.0, 0.8, 1.5, 0.03),
)
BACKGROUND_SHARE = 0.25  # uniform over lon -180..180, lat -56..72
BACKGROUND_COUNTRIES = ("Mexico", "Peru", "Canada", "Brazil", "Zambia", "Mongolia", "")
# MRDS dev_stat words as the source writes them, and their shares
STATUS_WORDS = {"Occurrence": 0.38, "Prospect": 0.22, "Past Producer": 0.16, "Producer": 0.05,
                "Unknown": 0.11, "Plant": 0.01, "Exploration": 0.03, "Feasibility": 0.01,
                "Permitting": 0.005, "Care and Maintenance": 0.01, "On Hold": 0.005,
                "Construction": 0.005, "Cancelled": 0.005}
COMMODITY_SHARE = {"Au": 0.22, "Cu": 0.14, "Ag": 0.12, "Pb": 0.07, "Zn": 0.07, "Fe": 0.05,
                   "Mn": 0.04, "U": 0.04, "W": 0.03, "Mo": 0.03, "Li": 0.03, "Ni": 0.03,
                   "REE": 0.02, "Co": 0.02, "Sn": 0.02, "Sb": 0.02, "graphite": 0.01,
                   "F": 0.02, "Ba": 0.02}
DEPOSIT_TYPES = ("Vein", "Porphyry copper", "Placer Au-PGE", "Skarn", "Epithermal vein",
                 "Pegmatite", "Lithium brine", "Carbonatite", "Sediment-hosted Cu", "")
CSV_COLUMNS = ("dep_id", "site_name", "latitude", "longitude", "country", "state", "dev_stat",
               "commod1", "commod2", "commod3", "dep_type", "url")


def deposit_frame(n: int, seed: int = 3) -> pd.DataFrame:
    """``n`` rows of an MRDS-like table (every cell text, as in the file)."""
    rng = np.random.default_rng(seed)
    shares = np.array([c[6] for c in CLUSTERS] + [BACKGROUND_SHARE])
    which = rng.choice(len(shares), n, p=shares / shares.sum())
    lon, lat = rng.uniform(-180, 180, n), rng.uniform(-56, 72, n)
    country = np.array(BACKGROUND_COUNTRIES, dtype=object)[
        rng.integers(0, len(BACKGROUND_COUNTRIES), n)]
    state = np.full(n, "", dtype=object)
    for k, (name, admin, x, y, sx, sy, _share) in enumerate(CLUSTERS):
        rows = which == k
        lon[rows] = np.clip(rng.normal(x, sx, rows.sum()), -179.99, 179.99)
        lat[rows] = np.clip(rng.normal(y, sy, rows.sum()), -89.0, 89.0)
        country[rows], state[rows] = name, admin
    words = list(STATUS_WORDS)
    weights = np.array(list(STATUS_WORDS.values()))
    ids = [str(10_000_000 + i) for i in range(1, n + 1)]
    first = np.array(["Silver", "Golden", "Lost", "Blue", "Red", "Iron", "Copper", "Eagle",
                      "Bear", "Lucky", "North", "South", "Big", "Little", "Black"], dtype=object)
    last = np.array(["Creek", "Ridge", "Mine", "Prospect", "Hill", "Gulch", "Canyon", "Peak",
                     "Lode", "Claim", "Star", "Queen"], dtype=object)
    names = zip(first[rng.integers(0, len(first), n)], last[rng.integers(0, len(last), n)],
                range(1, n + 1), strict=True)
    return pd.DataFrame({
        "dep_id": ids,
        "site_name": [f"{a} {b} {i}" for a, b, i in names],
        "latitude": np.round(lat, 5).astype(str),
        "longitude": np.round(lon, 5).astype(str),
        "country": country,
        "state": state,
        "dev_stat": np.array(words, dtype=object)[
            rng.choice(len(words), n, p=weights / weights.sum())],
        **_commodity_columns(rng, n),
        "dep_type": np.array(DEPOSIT_TYPES, dtype=object)[rng.integers(0, len(DEPOSIT_TYPES), n)],
        "url": [f"https://mrdata.usgs.gov/mrds/show-mrds.php?dep_id={i}" for i in ids],
    })


def _commodity_columns(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """MRDS commod1 (one or two names joined by ", "), commod2 and commod3 (often empty), from
    a pool of weighted combinations: real tables repeat a few thousand of them."""
    codes = list(COMMODITY_SHARE)
    weights = np.array(list(COMMODITY_SHARE.values()))
    pool = []
    for _ in range(4000):
        count = int(rng.choice([1, 2, 3, 4], p=[0.4, 0.3, 0.2, 0.1]))
        picked = [COMMODITY_NAMES[c] for c in
                  rng.choice(codes, size=count, replace=False, p=weights / weights.sum())]
        rest = [*picked[2:], "", ""]
        pool.append((", ".join(picked[:2]), rest[0], rest[1]))
    table = np.array(pool, dtype=object)[rng.integers(0, len(pool), n)]
    return {"commod1": table[:, 0], "commod2": table[:, 1], "commod3": table[:, 2]}


def write_deposit_csv(path: Path, n: int) -> Path:
    """The synthetic table as a UTF-8 CSV with a header row."""
    frame = deposit_frame(n)
    table = pa.table({c: pa.array(frame[c].to_numpy(dtype=object), type=pa.string())
                      for c in CSV_COLUMNS})
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))
    return path


# --- measuring ----------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def secs(value: float) -> str:
    return f"{value:.1f} s" if value >= 10 else f"{value:.2f} s"


def millis(value: float) -> str:
    return f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"


def rate(rows: int, seconds: float) -> str:
    return f"{secs(seconds)} ({rows / seconds:,.0f}/s)"


def repeat(call: Callable[[], Any], reps: int = REPS) -> list[float]:
    """Seconds per call: one untimed warm-up, then ``reps`` calls or as many as fit in
    CELL_BUDGET_S (at least MIN_REPS)."""
    call()
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < reps and (len(times) < MIN_REPS
                                 or time.perf_counter() - started < CELL_BUDGET_S):
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    return times


def median_p95(times: list[float]) -> tuple[float, float]:
    return statistics.median(times) * 1e3, float(np.percentile(times, 95)) * 1e3


def shown(times: list[float]) -> str:
    med, p95 = median_p95(times)
    return f"{millis(med)} / {millis(p95)}" + ("" if len(times) >= REPS else f" (n={len(times)})")


def met(value: float, goal: float) -> str:
    return "yes" if value <= goal else "NO"


def rss_kib() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in KiB (from /proc/self/status)."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


# --- the stores ---------------------------------------------------------------------------


@contextlib.contextmanager
def postgres() -> Iterator[tuple[Callable[[], str], Callable[[str], None]]]:
    """A throw-away PostgreSQL/PostGIS server: yields (new database URL, drop database)."""
    from tests.support.postgres_server import fresh_database, running_server

    with running_server() as server:
        def new() -> str:  # psycopg 3, as a plain postgresql:// URL gets
            url = make_url(fresh_database(server))
            return url.set(drivername="postgresql+psycopg").render_as_string(
                hide_password=False)

        def drop(url: str) -> None:
            name = make_url(url).database
            admin = create_engine(server, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        yield new, drop


def store_env(url: str) -> dict[str, str]:
    """The environment of a permitmap process using ``url`` (nothing else of ours)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PERMITMAP_") and k != "DATABASE_URL"}
    if url.startswith("sqlite:///"):
        env["PERMITMAP_DB_PATH"] = url.removeprefix("sqlite:///")
    else:
        env["DATABASE_URL"] = url
    return env


def new_store(url: str) -> Engine:
    """Create, migrate and seed the store (the bundled data), as `permitmap db init` does."""
    return ensure_store(url, DATA_DIR)


def run_import(url: str, csv_path: Path, *, naive: bool = False) -> float:
    """Wall seconds of one import in a new process: ``permitmap deposits import`` or the
    previous store code (``--child naive-import``)."""
    command = ([sys.executable, __file__, "--child", "naive-import", url, str(csv_path)] if naive
               else [sys.executable, "-m", "commands", "deposits", "import", str(csv_path)])
    started = time.perf_counter()
    done = subprocess.run(command, env=store_env(url), cwd=ROOT, capture_output=True, text=True,
                          check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"import failed ({' '.join(command[1:4])}): {done.stderr[-2000:]}")
    log(f"  {'naive' if naive else 'ours'}: {elapsed:.1f} s, load {load()}: "
        f"{done.stdout.strip().splitlines()[0]}")
    return elapsed


def naive_import(url: str, csv_path: Path) -> None:
    """The import as the store did it before: the records as dicts, SQLAlchemy Core
    ``INSERT ... ON CONFLICT DO UPDATE`` in chunks of 5,000 (``store.records.upsert_rows``)."""
    deposits = read_deposit_table(csv_path)
    engine = new_store(url)
    frame = deposits.records[DEPOSIT_COLUMNS]
    rows: list[dict[str, Any]] = frame.astype(object).where(
        frame.notna(), None).to_dict("records")  # type: ignore[assignment]
    with Session(engine) as session, session.begin():
        upsert_rows(session, Deposit, rows, ("dataset", "source_record_id"))
        session.add(DatasetImport(
            kind="deposits", dataset=deposits.dataset, file_name=csv_path.name,
            checksum=hashlib.sha256(csv_path.read_bytes()).hexdigest(),
            rows_read=deposits.rows_read, rows_loaded=len(rows),
            rows_skipped=deposits.rows_read - len(rows), report="{}",
            imported_at=datetime.now(UTC)))
        deposits_changed(session)
    print(f"{csv_path.name}: {len(rows)} rows loaded (previous store code)")


def bulk_load_variants(new_db: Callable[[], str], drop: Callable[[str], None],
                       records: pd.DataFrame) -> list[tuple[str, float]]:
    """Seconds of the PostGIS load alone (COPY into an empty deposits table; no read, no grid)
    as the import does it, with the GiST index dropped first and rebuilt after, and with
    neither the generated ``geom`` column nor its index. Each in a fresh database, rolled
    back."""
    variants = {
        "as imported (generated geom + GiST + GIN indexes)": ([], []),
        "GiST dropped before, rebuilt after (not used: readers would wait)": (
            ["DROP INDEX ix_deposits_geom"],
            ["CREATE INDEX ix_deposits_geom ON deposits USING gist (geom)"]),
        "no geom column, no GiST (not possible: the views need them)": (
            ["ALTER TABLE deposits DROP COLUMN geom"], []),
    }
    table_ = Deposit.__table__
    out = []
    for name, (before, after) in variants.items():
        url = new_db()
        engine = new_store(url)
        with Session(engine) as session:
            session.begin()
            for sql in before:
                session.execute(text(sql))
            started = time.perf_counter()
            load_append(session, table_, records)  # type: ignore[arg-type]
            for sql in after:
                session.execute(text(sql))
            out.append((name, time.perf_counter() - started))
            session.rollback()
        engine.dispose()
        drop(url)
        log(f"  load {name}: {out[-1][1]:.1f} s, load {load()}")
    return out


# --- A. import ----------------------------------------------------------------------------


def import_table(rows: int, csv_path: Path, sqlite_dir: Path, new_db: Callable[[], str],
                 drop: Callable[[str], None]) -> tuple[str, str, str]:
    """Run the imports; return the table and the URLs of the stores the views are read from."""
    started = time.perf_counter()
    read = read_deposit_table(csv_path)
    read_s = time.perf_counter() - started
    records = read.records[DEPOSIT_COLUMNS]
    loaded = len(records)
    body: list[Sequence[str]] = [
        ("read + clean the CSV alone (read_deposit_table, in-process)", secs(read_s), "same",
         "-", "-"),
    ]
    urls = {}
    for backend in ("SQLite", "PostGIS"):
        if backend == "SQLite":
            ours_url = f"sqlite:///{sqlite_dir / 'ours.db'}"
            naive_url = f"sqlite:///{sqlite_dir / 'naive.db'}"
        else:
            ours_url, naive_url = new_db(), new_db()
        for url in (ours_url, naive_url):
            new_store(url).dispose()
        log(f"{backend}: import {rows:,} deposits")
        ours = run_import(ours_url, csv_path)
        naive = run_import(naive_url, csv_path, naive=True)
        again = run_import(ours_url, csv_path)
        body += [
            (f"{backend}: `permitmap deposits import`, {loaded:,} deposits into an empty store",
             rate(loaded, ours), rate(loaded, naive), f"<= {secs(IMPORT_GOAL_S)}",
             met(ours, IMPORT_GOAL_S)),
            (f"{backend}: the same file again (every row matched, none changed)",
             rate(loaded, again), "-", "-", "-"),
        ]
        if backend == "PostGIS":
            engine = new_store(ours_url)
            with engine.begin() as connection:
                connection.execute(text("UPDATE store_meta SET value = 'stale' WHERE key = :k"),
                                   {"k": GRID_OF})
            t = time.perf_counter()
            ensure_deposit_grid(engine)
            body.append(("PostGIS: of which the deposit grid recount (ensure_deposit_grid)",
                         secs(time.perf_counter() - t), "same", "-", "-"))
            engine.dispose()
            drop(naive_url)
        urls[backend] = ours_url
    log("PostGIS: the load alone, with and without the GiST index and the geom column")
    for name, seconds in bulk_load_variants(new_db, drop, records):
        body.append((f"PostGIS load alone (COPY, {loaded:,} rows): {name}",
                     rate(loaded, seconds), "-", "-", "-"))
    megabytes = csv_path.stat().st_size / 1e6
    text_ = text_table(
        f"A. Import of {rows:,} generated deposits (MRDS-style CSV, {megabytes:.0f} MB)",
        ("measure", "ours", "naive (previous store code)", "goal", "met?"), body,
        notes=[
            "Each import is a new process (interpreter start and imports included): ours is "
            "`python -m commands deposits import FILE`, naive the same read with the previous",
            "store code (dicts, SQLAlchemy Core INSERT ... ON CONFLICT in chunks of 5,000). "
            "Both write the DatasetImport row and recount the grid (PostGIS) in the transaction.",
            "PostGIS: psycopg 3, throw-away server (fsync off). The load-alone rows are each in "
            "a fresh database, rolled back.",
        ])
    return text_, urls["SQLite"], urls["PostGIS"]


# --- B. views -----------------------------------------------------------------------------


def plain_select(engine: Engine, bbox: BBox, filters: PointFilter) -> int:
    """Every matching point in the box, fetched: a map without clustering or a point limit."""
    where = ["lat BETWEEN :s AND :n"]
    params: dict[str, Any] = {"s": bbox.south, "n": bbox.north}
    spans = []
    for i, (west, east) in enumerate(bbox.spans()):
        spans.append(f"(geom && ST_MakeEnvelope(:w{i}, :s, :e{i}, :n, 4326) "
                     f"AND lon BETWEEN :w{i} AND :e{i})")
        params |= {f"w{i}": west, f"e{i}": east}
    where.append(f"({' OR '.join(spans)})")
    if filters.statuses:
        where.append("dev_status = ANY(:statuses)")
        params["statuses"] = list(filters.statuses)
    if filters.commodities:
        where.append("strpos(';' || commodities || ';', :code) > 0")
        params["code"] = f";{filters.commodities[0]};"
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT id, lon, lat, name, dev_status, commodities FROM deposits WHERE "
            + " AND ".join(where)), params).all()
    return len(rows)


def views_table(rows: int, sqlite_url: str, postgis_url: str) -> str:
    postgis = new_store(postgis_url)
    views = DepositViews(postgis)
    log("views: building the in-memory index from the SQLite store")
    started = time.perf_counter()
    index = PointIndex.from_frame(deposit_points(new_store(sqlite_url)))
    build_s = time.perf_counter() - started
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    for view, bbox, zoom in VIEWS:
        for label, filters in FILTERS:
            answer = views.query(bbox, zoom, filters, POINT_LIMIT)
            cell = cells[(view, label)] = {
                "ours": repeat(functools.partial(views.query, bbox, zoom, filters, POINT_LIMIT)),
                "index": repeat(functools.partial(index.query, bbox, zoom, filters,
                                                  POINT_LIMIT)),
                "answer": f"{answer['meta']['returned']:,} {answer['meta']['mode']}",
                "same": index.query(bbox, zoom, filters, POINT_LIMIT)["meta"] == answer["meta"],
            }
            cell["select"] = repeat(functools.partial(plain_select, postgis, bbox, filters))
            cell["selected"] = plain_select(postgis, bbox, filters)
            log(f"  {view}, {label}: PostGIS {millis(median_p95(cell['ours'])[0])}, index "
                f"{millis(median_p95(cell['index'])[0])}, load {load()}")
    with postgis.begin() as connection:  # the naive live SQL: the grid no longer counts
        connection.execute(text("UPDATE store_meta SET value = 'stale' WHERE key = :k"),
                           {"k": GRID_OF})
    for view, bbox, zoom in VIEWS:
        for label, filters in FILTERS:
            cells[(view, label)]["live"] = repeat(
                functools.partial(views.query, bbox, zoom, filters, POINT_LIMIT))
            log(f"  {view}, {label}: live SQL without the grid "
                f"{millis(median_p95(cells[(view, label)]['live'])[0])}")
    ensure_deposit_grid(postgis)
    body = []
    for (view, label), cell in cells.items():
        med = median_p95(cell["ours"])[0]
        body.append((f"{view}, {label}", shown(cell["ours"]), shown(cell["index"]),
                     shown(cell["live"]), shown(cell["select"]),
                     cell["answer"] + ("" if cell["same"] else " (index differs!)"),
                     f"{cell['selected']:,}", f"<= {millis(VIEW_GOAL_MS)}",
                     met(med, VIEW_GOAL_MS)))
    return text_table(
        f"B. Map views of {rows:,} deposits (+ the bundled ones): median / p95 ms over {REPS} "
        "answers",
        ("view, filter", "PostGIS DepositViews", "PointIndex (SQLite app)",
         "naive: live SQL, no grid", "naive: SELECT all in box", "answer (features)",
         "points in box", "goal (PostGIS median)", "met?"), body,
        notes=[
            f"PointIndex built in {secs(build_s)} from the SQLite store; its filter masks are "
            "cached after the warm-up answer, as in the app. Point limit "
            f"{POINT_LIMIT:,}.",
            "naive live SQL = DepositViews with the grid marked stale (every view counted from "
            "the points); SELECT all = every matching point in the box fetched, no clustering.",
            f"Slow naive cells stop after {CELL_BUDGET_S:.0f} s (n = answers timed). One "
            "untimed warm-up answer per cell.",
        ])


# --- C. memory ----------------------------------------------------------------------------


def child_memory(kind: str, url: str) -> None:
    """Print, as JSON, this process's RSS before and after answering every view."""
    engine = new_store(url)
    before = rss_kib()
    started = time.perf_counter()
    viewer: Any = (PointIndex.from_frame(deposit_points(engine)) if kind == "index"
                   else DepositViews(engine))
    ready = time.perf_counter() - started
    for _view, bbox, zoom in VIEWS:
        for _label, filters in FILTERS:
            viewer.query(bbox, zoom, filters, POINT_LIMIT)
    after = rss_kib()
    print(json.dumps({"before": before["VmRSS"], "after": after["VmRSS"],
                      "peak": after["VmHWM"], "ready_s": ready}))


def memory_table(rows: int, sqlite_url: str, postgis_url: str) -> str:
    found = {}
    for kind, url in (("index", sqlite_url), ("views", postgis_url)):
        done = subprocess.run([sys.executable, __file__, "--child", f"memory-{kind}", url],
                              cwd=ROOT, capture_output=True, text=True, check=True)
        found[kind] = json.loads(done.stdout.strip().splitlines()[-1])
        log(f"memory {kind}: {found[kind]}")

    def mb(kib: float) -> str:
        return f"{kib / 1024:,.0f} MiB"

    index, views = found["index"], found["views"]
    body = [
        ("process with our modules loaded, store open (before)", mb(index["before"]),
         mb(views["before"])),
        ("after making the viewer and answering 9 views (VmRSS)", mb(index["after"]),
         mb(views["after"])),
        ("  of which the viewer (after - before)", mb(index["after"] - index["before"]),
         mb(views["after"] - views["before"])),
        ("peak (VmHWM)", mb(index["peak"]), mb(views["peak"])),
        ("time to make the viewer", secs(index["ready_s"]), secs(views["ready_s"])),
    ]
    return text_table(f"C. Memory of an app process, {rows:,} deposits (each in its own process)",
                 ("measure", "PointIndex built (SQLite)", "DepositViews only (PostGIS)"), body)


# --- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="deposits to generate")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        if kind == "naive-import":
            naive_import(rest[0], Path(rest[1]))
        else:
            child_memory(kind.removeprefix("memory-"), rest[0])
        return 0
    started = time.perf_counter()
    load_before = " ".join(f"{v:.1f}" for v in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="permitmap-store-bench-") as folder:
        work = Path(folder)
        log(f"writing {args.rows:,} deposits as CSV")
        csv_path = write_deposit_csv(work / "deposits.csv", args.rows)
        with postgres() as (new_db, drop):
            imports, sqlite_url, postgis_url = import_table(args.rows, csv_path, work, new_db,
                                                            drop)
            views = views_table(args.rows, sqlite_url, postgis_url)
            memory = memory_table(args.rows, sqlite_url, postgis_url)
    statuses = sorted({normalise_status(w).value for w in STATUS_WORDS})
    print(f"permitmap store benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
          f"{platform.node()} ({os.cpu_count()} CPUs, Python {platform.python_version()}), "
          f"{time.perf_counter() - started:.0f} s in all, load average {load_before} before, "
          f"{' '.join(f'{v:.1f}' for v in os.getloadavg())} after")
    print(f"statuses generated: {', '.join(statuses)}\n")
    print(imports, views, memory, sep="\n\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
