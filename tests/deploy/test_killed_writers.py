"""A process killed with SIGKILL in the middle of an import, an edit or an upload leaves the
store as it was before that write began, or with the write complete: never half of it.

Each test runs the real code in its own interpreter, waits until that process is inside
its write (it holds the database's write lock, or its files are on disk), kills it with
SIGKILL and then checks the store: no partial rows, no orphan files, the change history
agreeing with the records. Both backends.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from sqlalchemy import Engine, make_url, text

from domain.deposit_view import PointFilter
from services.publishing import STAGING, sweep_leftovers
from store.deposit_views import DepositViews
from store.startup import ensure_store
from tests.support.fixtures_data import write_data_dir

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 120.0


def _store(database_url: str, tmp_path: Path) -> Engine:
    return ensure_store(database_url, write_data_dir(tmp_path / "data"))


def _writer_inside(engine: Engine, database_url: str) -> bool:
    """Whether another connection is inside a write transaction now."""
    if engine.dialect.name == "sqlite":
        path = make_url(database_url).database
        probe = sqlite3.connect(path, timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            return False
        except sqlite3.OperationalError:  # "database is locked": a writer holds it
            return True
        finally:
            probe.close()
    with engine.connect() as connection:
        return bool(connection.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL")).scalar())


def _start(script: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", script], cwd=ROOT,
                            env={**os.environ, **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


def _kill_when(process: subprocess.Popen[bytes], ready: object) -> None:
    """SIGKILL ``process`` as soon as ``ready()`` is true; fails if it ended first."""
    deadline = time.monotonic() + WAIT_S
    while not ready():  # type: ignore[operator]
        assert process.poll() is None, (process.stdout.read() if process.stdout else b"")
        assert time.monotonic() < deadline, "the writer never began its write"
        time.sleep(0.005)  # polling interval of a bounded loop
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL


def _snapshot(engine: Engine) -> dict[str, object]:
    with engine.connect() as connection:
        return {
            "deposits": connection.execute(text("SELECT count(*) FROM deposits")).scalar(),
            "imports": connection.execute(text("SELECT count(*) FROM dataset_imports")).scalar(),
            "meta": dict(connection.execute(text("SELECT key, value FROM store_meta")).all()),
            "layers": connection.execute(text("SELECT count(*) FROM survey_layers")).scalar(),
            "features": connection.execute(text("SELECT count(*) FROM survey_features"))
            .scalar(),
            "changes": connection.execute(text("SELECT count(*) FROM permit_changes")).scalar(),
        }


def _write_table(path: Path, rows: int) -> Path:
    rng = np.random.default_rng(3)
    with path.open("w") as out:
        out.write("record_id,site_name,latitude,longitude,dev_stat,commod1,country\n")
        lat, lon = rng.uniform(25, 49, rows), rng.uniform(-124, -67, rows)
        for i in range(rows):
            out.write(f"k{i},Killed {i},{lat[i]:.5f},{lon[i]:.5f},Prospect,Lithium,"
                      "United States\n")
    return path


def test_a_killed_import_leaves_no_deposit_behind(database_url: str, tmp_path: Path) -> None:
    engine = _store(database_url, tmp_path)
    before = _snapshot(engine)
    table = _write_table(tmp_path / "big.csv", 300_000)
    process = _start(
        "import sys; from commands.main import main; "
        f"sys.exit(main(['deposits', 'import', {str(table)!r}, '--dataset', 'killed']))",
        {"DATABASE_URL": database_url, "PERMITMAP_DATA_DIR": str(tmp_path / "data")})
    _kill_when(process, lambda: _writer_inside(engine, database_url))
    assert _snapshot(engine) == before
    if engine.dialect.name == "postgresql":  # the map's grid still counts what is stored
        assert DepositViews(engine).count(PointFilter()) == before["deposits"]


EDIT_LOOP = """
import sys
from datetime import date
from store.db import get_engine
from store.permits_repo import get_record, save_edit
from permits.editing import plan_milestone_edit
from domain.access import OPEN_ACCESS
engine = get_engine(sys.argv[1])
for n in range(100000):
    record = get_record(engine, "milestone", "pm-alpha-rod")
    day = date(2027, 1, 1 + n % 28)
    plan = plan_milestone_edit(record, {"current_target": day}, reason="Project pause",
                               today=date(2025, 9, 1), lockout_days=0)
    save_edit(engine, "milestone", "pm-alpha-rod", int(record["version"]), plan,
              principal=OPEN_ACCESS, who="killer", reason="Project pause")
"""


def test_a_killed_edit_keeps_record_and_history_in_step(database_url: str,
                                                        tmp_path: Path) -> None:
    engine = _store(database_url, tmp_path)
    with engine.connect() as connection:
        start_version = connection.execute(text(
            "SELECT version FROM permit_milestones WHERE milestone_id = 'pm-alpha-rod'")).scalar()
    process = subprocess.Popen([sys.executable, "-c", EDIT_LOOP, database_url], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def some_edits_then_inside() -> bool:
        with engine.connect() as connection:
            saved = connection.execute(text(
                "SELECT count(*) FROM permit_changes WHERE who = 'killer'")).scalar()
        return bool(saved and saved >= 5) and _writer_inside(engine, database_url)

    _kill_when(process, some_edits_then_inside)
    with engine.connect() as connection:
        version, target = connection.execute(text(
            "SELECT version, current_target FROM permit_milestones "
            "WHERE milestone_id = 'pm-alpha-rod'")).one()
        changes = connection.execute(text(
            "SELECT after FROM permit_changes WHERE entity_id = 'pm-alpha-rod' AND "
            "who = 'killer' ORDER BY change_id")).scalars().all()
    assert version - start_version == len(changes) > 0  # one history row per saved version
    assert str(target)[:10] == str(changes[-1])[:10]  # the record is the last change


def _write_big_tif(path: Path) -> Path:
    data = np.random.default_rng(5).normal(50_000, 300, (6000, 6000)).astype("float32")
    with rasterio.open(path, "w", driver="GTiff", width=6000, height=6000, count=1,
                       dtype="float32", crs="EPSG:4326",
                       transform=from_origin(-117.5, 41.5, 0.0001, 0.0001)) as out:
        out.write(data, 1)
    return path


PUBLISH = """
import sys
from pathlib import Path
from domain.access import OPEN_ACCESS
from services.publishing import LayerDetails, publish_upload
from store.db import get_engine
engine = get_engine(sys.argv[1])
path = Path(sys.argv[2])
publish_upload(engine, path, path.name, LayerDetails(name="Killed grid", uploaded_by="test"),
               principal=OPEN_ACCESS, layer_dir=Path(sys.argv[3]))
"""


@pytest.mark.parametrize("moment", ["converting", "placed"])
def test_a_killed_upload_leaves_no_layer_and_no_file(database_url: str, tmp_path: Path,
                                                     moment: str) -> None:
    engine = _store(database_url, tmp_path)
    layer_dir = tmp_path / "layers"
    tif = _write_big_tif(tmp_path / "grid.tif")
    before = _snapshot(engine)
    process = subprocess.Popen([sys.executable, "-c", PUBLISH, database_url, str(tif),
                                str(layer_dir)], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)

    def converting() -> bool:
        staging = layer_dir / STAGING
        return staging.is_dir() and any(p.stat().st_size > 0 for p in staging.rglob("*.tif"))

    def placed() -> bool:  # the COG moved into place, the catalog row not yet committed
        return layer_dir.is_dir() and any(p.is_dir() and not p.name.startswith(".")
                                          for p in layer_dir.iterdir())

    _kill_when(process, converting if moment == "converting" else placed)
    after = _snapshot(engine)
    sweep_leftovers(layer_dir, engine, older_than_s=0)  # what the upload page does
    left = sorted(p.name for p in layer_dir.iterdir() if any(p.iterdir()) or
                  not p.name.startswith("."))
    if after["layers"] == before["layers"]:  # killed before the commit: nothing of it stays
        assert after == before
        assert left == []
    else:  # killed after the commit: the whole layer, with its file
        with engine.connect() as connection:
            raster = connection.execute(text("SELECT raster_file FROM survey_layers")).scalar()
        assert (layer_dir / str(raster)).is_file()
        assert left == [Path(str(raster)).parts[0]]
