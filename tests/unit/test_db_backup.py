"""``permitmap db backup / restore / copy`` on SQLite and PostgreSQL: a restore gives back
every row of every table, refuses (and leaves the store as it was) a newer schema, a file of
the wrong kind and a cut-short file, migrates an older backup; a copy between the backends
gives identical rows, a working PostGIS map and ids that continue; the command line prints
one line on error.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import threading
import time
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, column, create_engine, insert, make_url, select, table, text
from sqlalchemy.orm import Session

from commands.cli_principal import os_user
from commands.main import main
from domain.access import OPEN_ACCESS
from domain.deposit_view import PointFilter
from domain.errors import InputError
from store.db import MIGRATIONS_DIR, get_engine, schema_revision
from store.deposit_views import GRID_OF, DepositViews
from store.layer_repo import NewLayer, add_layers
from store.models import Base
from store.permit_tables import permit_changes
from store.permits_repo import record_changes
from store.records import DEPOSIT_COLUMNS, import_deposits
from store.seed import OPTIONAL_SITE_COLUMNS
from store.startup import ensure_store
from store.transfer.backup import backup_store, restore_store
from store.transfer.copy import copy_store
from store.transfer.counters import COUNTERS
from store.transfer.pg_programs import pg_connection, pg_program
from store.transfer.schema_check import BackupFileError, head_revision
from tests.support.fixtures_data import site_row, write_data_dir
from tests.support.layer_fixtures import sample_layer
from tests.support.postgres_server import fresh_database

#: The newest schema this checkout's migrations know (read from them: a new migration does
#: not touch these tests).
HEAD = head_revision()
NEWER = ("This backup was made by a newer permitmap (schema 9999); this one knows schema up "
         f"to {HEAD}. Upgrade permitmap, then restore.")


# --- helpers ---------------------------------------------------------------------------------


def _deposits(count: int, dataset: str) -> pd.DataFrame:
    frame = pd.DataFrame({
        "source_record_id": [f"{dataset}-{i}" for i in range(count)],
        "name": [f"Déposit {i} «Creek»" for i in range(count)],
        "lat": [30.0 + i * 0.123456789 for i in range(count)],
        "lon": [-120.0 + i * 0.987654321 for i in range(count)],
        "dev_status": ["producer" if i % 3 else "prospect" for i in range(count)],
        "commodities": ["Li;B" if i % 2 else "REE" for i in range(count)],
        "country": ["United States"] * count,
    })
    return frame.reindex(columns=DEPOSIT_COLUMNS, fill_value="").assign(
        dataset=dataset, lat=frame["lat"], lon=frame["lon"])


def _import(engine: Engine, count: int, dataset: str) -> None:
    import_deposits(engine, _deposits(count, dataset), dataset=dataset, file_name=f"{dataset}.csv",
                    checksum=dataset, rows_read=count, report={"note": "généré"},
                    principal=OPEN_ACCESS)


def _layer(name: str, kind: str = "vector") -> NewLayer:
    return sample_layer(name, kind, surveyed_on=date(2026, 5, 1), style={"colour": "#1b9e77"})


def _filled_store(url: str, folder: Path, deposits: int = 30) -> Engine:
    """A seeded store plus an imported dataset, a vector and a raster layer and an edit in the
    change history (times with microseconds, a nullable flag, WKB, non-ASCII text)."""
    engine = ensure_store(url, write_data_dir(folder / "data"))
    _import(engine, deposits, "field-2026")
    add_layers(engine, [_layer("claims")], principal=OPEN_ACCESS)
    add_layers(engine, [_layer("magnetics", kind="raster")], principal=OPEN_ACCESS)
    with Session(engine) as session, session.begin():
        record_changes(session, [{
            "changed_at": datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC), "who": "Zoë",
            "entity": "milestone", "entity_id": "pm-alpha-rod", "project_id": "pm-alpha",
            "field": "current_target", "before": "2027-09-30", "after": "2027-12-31",
            "reason": "Additional analysis required", "kind": "edit", "source": ""}])
    with engine.begin() as connection:  # text that COPY's format must escape
        connection.execute(text("UPDATE sites SET description = :text WHERE id = 'us-alpha'"),
                           {"text": "line one\nline\ttwo \\N back\\slash\r\nend \\x00"})
    return engine


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):  # the same moment, whichever zone a backend gives
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the store, in primary-key order."""
    with engine.connect() as connection:
        return {table.name: [tuple(_plain(v) for v in row) for row in connection.execute(
            select(*table.columns).order_by(*table.primary_key.columns))]
            for table in Base.metadata.sorted_tables}


def _without(rows: dict[str, list[tuple[Any, ...]]], keys: tuple[str, ...]
             ) -> dict[str, list[tuple[Any, ...]]]:
    """The rows with the named store_meta keys left out."""
    return rows | {"store_meta": [r for r in rows["store_meta"] if r[0] not in keys]}


def _meta(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        return {k: v for k, v in connection.execute(text("SELECT key, value FROM store_meta"))}


def _change_everything(engine: Engine) -> None:
    _import(engine, 5, "later")
    with engine.begin() as connection:
        connection.execute(text("UPDATE sites SET name = 'changed', jointly_selected = NULL"))
        connection.execute(text("DELETE FROM permit_changes"))
        connection.execute(text("DELETE FROM survey_features"))
        connection.execute(text("DELETE FROM survey_layers"))
        connection.execute(text("UPDATE store_meta SET value = 'other' WHERE key = "
                                "'seed_checksum'"))
        connection.execute(text("UPDATE store_meta SET value = '100' WHERE key = "
                                "'layer_revision'"))


def _migrate_to(url: str, revision: str) -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def _pg_count(engine: Engine) -> int:
    return DepositViews(engine).count(PointFilter())


def _deposit_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM deposits")).scalar_one())


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _scratch(database_url: str) -> str:
    """Another empty database on the server of ``database_url``."""
    server = make_url(database_url).set(database="postgres")
    return fresh_database(server.render_as_string(hide_password=False))


# --- backup and restore ----------------------------------------------------------------------


def test_backup_change_restore_gives_back_every_row(database_url: str, tmp_path: Path) -> None:
    engine = _filled_store(database_url, tmp_path)
    saved = _rows(engine)
    assert all(saved[t] for t in ("sites", "deposits", "dataset_imports", "permit_changes",
                                  "survey_layers", "survey_features", "permit_milestones"))
    summary = backup_store(database_url, tmp_path / "store.transfer.backup")
    assert summary.revision == HEAD and summary.counts["deposits"] == 32
    assert summary.size_bytes == (tmp_path / "store.transfer.backup").stat().st_size > 0
    _change_everything(engine)
    changed_meta = {k: int(v) for k, v in _meta(engine).items() if k in COUNTERS}
    assert _rows(engine) != saved

    restored = restore_store(database_url, tmp_path / "store.transfer.backup")

    assert restored.backup_revision == restored.revision == HEAD
    assert _without(_rows(engine), (*COUNTERS, GRID_OF)) == _without(saved, (*COUNTERS, GRID_OF))
    # the counters caches key on move past every value a running app may have seen
    meta = _meta(engine)
    for key, before in changed_meta.items():
        assert int(meta[key]) > before
    if engine.dialect.name == "postgresql":
        assert _pg_count(engine) == 32
        assert meta[GRID_OF] == meta["deposits_revision"]
    else:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    _import(engine, 3, "after-restore")  # the ids continue after the restored ones
    assert _deposit_count(engine) == 35


def test_sqlite_backup_while_others_read_and_write(tmp_path: Path) -> None:
    url = _sqlite_url(tmp_path / "store" / "permitmap.db")
    engine = _filled_store(url, tmp_path)
    saved = _rows(engine)
    reader = sqlite3.connect(tmp_path / "store" / "permitmap.db")
    writer = sqlite3.connect(tmp_path / "store" / "permitmap.db")
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM sites").fetchone()[0] == 5  # holds a snapshot
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE sites SET name = 'not yet committed'")
        started = time.monotonic()
        backup_store(url, tmp_path / "live.db")
        assert time.monotonic() - started < 10
    finally:
        writer.rollback()
        writer.close()
        reader.rollback()
        reader.close()
    with closing(sqlite3.connect(tmp_path / "live.db")) as connection:  # stands alone: no WAL
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    copy = create_engine(_sqlite_url(tmp_path / "live.db"))
    assert _rows(copy) == saved  # the committed state, without the open write
    copy.dispose()


@pytest.fixture
def newer_backup(database_url: str, tmp_path: Path) -> tuple[Engine, Path]:
    """A store, and a backup of it whose schema revision says 9999."""
    engine = _filled_store(database_url, tmp_path)
    backup_store(database_url, tmp_path / "store.transfer.backup")
    newer = tmp_path / "newer.backup"
    if engine.dialect.name == "sqlite":
        shutil.copyfile(tmp_path / "store.transfer.backup", newer)
        with sqlite3.connect(newer) as connection:
            connection.execute("UPDATE alembic_version SET version_num = '9999'")
        connection.close()
    else:
        scratch = _scratch(database_url)
        restore_store(scratch, tmp_path / "store.transfer.backup")
        with get_engine(scratch).begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        backup_store(scratch, newer)
        get_engine(scratch).dispose()
    return engine, newer


def test_restore_refuses_a_newer_schema(newer_backup: tuple[Engine, Path]) -> None:
    engine, newer = newer_backup
    _change_everything(engine)
    before = _rows(engine)
    with pytest.raises(BackupFileError) as refused:
        restore_store(engine.url.render_as_string(hide_password=False), newer)
    assert str(refused.value) == NEWER
    assert _rows(engine) == before and schema_revision(engine) == HEAD


def test_restore_refuses_what_is_not_a_whole_backup(database_url: str, tmp_path: Path) -> None:
    engine = _filled_store(database_url, tmp_path)
    backup = tmp_path / "store.transfer.backup"
    backup_store(database_url, backup)
    _change_everything(engine)
    before = _rows(engine)
    notes = tmp_path / "notes.txt"
    notes.write_text("when,what\n2026-01-01,visited\n", encoding="utf-8")
    empty = tmp_path / "empty.backup"
    empty.write_bytes(b"")
    cut = tmp_path / "cut.backup"
    cut.write_bytes(backup.read_bytes()[: int(backup.stat().st_size * 0.6)])
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")
    kind = "SQLite database" if engine.dialect.name == "sqlite" else "PostgreSQL dump"
    expected = {
        other: r"other\.db is a SQLite database but not a permitmap store" if kind[0] == "S"
        else r"other\.db is a SQLite database .* this store is PostgreSQL",
        notes: r"notes\.txt is a text file, not a permitmap backup\. Give ",
        empty: r"empty\.backup is an empty file, not a permitmap backup",
        cut: rf"cut\.backup is a(n incomplete| damaged or incomplete) {kind}.*complete copy",
        tmp_path / "missing.backup": r"missing\.backup is not there",
    }
    for path, message in expected.items():
        with pytest.raises(BackupFileError, match=message):
            restore_store(database_url, path)
    assert _rows(engine) == before


def test_restore_refuses_a_backup_of_the_other_backend(tmp_path: Path,
                                                       postgres_server: str) -> None:
    lite_url = _sqlite_url(tmp_path / "lite" / "permitmap.db")
    pg_url = fresh_database(postgres_server)
    lite, pg = _filled_store(lite_url, tmp_path / "a"), _filled_store(pg_url, tmp_path / "b")
    backup_store(lite_url, tmp_path / "lite.backup")
    backup_store(pg_url, tmp_path / "pg.backup")
    lite_rows, pg_rows = _rows(lite), _rows(pg)
    with pytest.raises(BackupFileError, match=r"pg\.backup is a backup of a PostgreSQL store "
                                              r".*this store is SQLite.*permitmap db copy"):
        restore_store(lite_url, tmp_path / "pg.backup")
    with pytest.raises(BackupFileError, match=r"lite\.backup is a SQLite database .* this store "
                                              r"is PostgreSQL.*permitmap db copy --to"):
        restore_store(pg_url, tmp_path / "lite.backup")
    assert _rows(lite) == lite_rows and _rows(pg) == pg_rows


def test_restore_of_an_older_schema_migrates_it(database_url: str, tmp_path: Path) -> None:
    old_url = (_sqlite_url(tmp_path / "old" / "old.db") if database_url.startswith("sqlite")
               else _scratch(database_url))
    _migrate_to(old_url, "0004")
    old = create_engine(old_url)
    with old.begin() as connection:
        row = {name: value for name, value in site_row("us-old", "Old Mine",
                                                       jointly_selected=None).items()
               if name not in OPTIONAL_SITE_COLUMNS}  # the Japanese names came in 0009
        old_sites = table("sites", *(column(name) for name in row))  # the 0004 columns only
        connection.execute(insert(old_sites), [row])
        connection.execute(text("INSERT INTO store_meta (key, value) VALUES "
                                "('data_revision', '7'), ('deposits_revision', '3')"))
        connection.execute(text(
            "INSERT INTO deposits (dataset, source_record_id, name, other_names, country, "
            "admin_area, lat, lon, dev_status, dev_status_original, commodities, "
            "commodities_original, deposit_type, position_quality, position_note, source) "
            "VALUES ('old', 'o1', 'Old Deposit', '', 'Japan', '', 35.0, 139.0, 'producer', '', "
            "'REE', '', '', 'published', '', '')"))
    old.dispose()
    backup = tmp_path / "old.backup"
    assert backup_store(old_url, backup).revision == "0004"
    engine = _filled_store(database_url, tmp_path)  # a store at the newest schema, full

    restored = restore_store(database_url, backup)

    assert (restored.backup_revision, restored.revision) == ("0004", head_revision())
    assert schema_revision(engine) == HEAD
    rows = _rows(engine)
    assert [r[0] for r in rows["sites"]] == ["us-old"]
    assert [r[2] for r in rows["deposits"]] == ["o1"]
    assert rows["survey_layers"] == rows["permit_changes"] == []
    if engine.dialect.name == "postgresql":
        assert _pg_count(engine) == 1
        with engine.connect() as connection:
            assert connection.execute(text(
                "SELECT ST_AsText(geom) FROM deposits")).scalar() == "POINT(139 35)"
    _import(engine, 2, "after")
    assert _deposit_count(engine) == 3


# --- copy ------------------------------------------------------------------------------------


def test_copy_sqlite_to_postgis_and_back(tmp_path: Path, postgres_server: str) -> None:
    lite_url = _sqlite_url(tmp_path / "lite" / "permitmap.db")
    lite = _filled_store(lite_url, tmp_path, deposits=40)
    saved = _rows(lite)
    # sessions of this database see times in Tokyo: a time must still mean the same moment
    pg_url = fresh_database(postgres_server)
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{make_url(pg_url).database}" '
                                "SET timezone TO 'Asia/Tokyo'"))
    admin.dispose()
    told: list[tuple[str, int]] = []

    summary = copy_store(lite_url, pg_url, batch_rows=7,
                         progress=lambda table, rows, _s: told.append((table, rows)))

    pg = get_engine(pg_url)
    assert summary.counts["deposits"] == 42 and ("deposits", 42) in told
    assert {t for t, _ in told} == {t.name for t in Base.metadata.sorted_tables}
    assert _without(_rows(pg), (GRID_OF,)) == _without(saved, (GRID_OF,))
    assert schema_revision(pg) == HEAD
    assert _pg_count(pg) == 42 and _meta(pg)[GRID_OF] == _meta(pg)["deposits_revision"]
    with pg.connect() as connection:
        assert connection.execute(text(
            "SELECT count(*) FROM deposits WHERE geom IS NOT NULL")).scalar() == 42
        assert connection.execute(text(
            "SELECT count(*) FROM survey_features WHERE geom IS NOT NULL")).scalar() == 2
        assert connection.execute(text(  # the stored moment, not the wall clock, was kept
            "SELECT changed_at AT TIME ZONE 'UTC' FROM permit_changes WHERE who = 'Zoë'")
        ).scalar() == datetime(2026, 3, 4, 5, 6, 7, 123456)

    # PostGIS to PostGIS, into a database the server does not have yet (the copy creates it),
    # through psycopg 3 (a plain postgresql:// URL)
    pg2_url = make_url(pg_url).set(drivername="postgresql",
                                   database=f"new_{make_url(pg_url).database}") \
        .render_as_string(hide_password=False)
    copy_store(pg_url, pg2_url)
    pg2 = get_engine(pg2_url)
    assert _rows(pg2) == _rows(pg)
    assert _pg_count(pg2) == 42 and _meta(pg2)[GRID_OF] == _meta(pg2)["deposits_revision"]

    back_url = _sqlite_url(tmp_path / "back" / "permitmap.db")
    copy_store(pg_url, back_url, batch_rows=5)
    back = get_engine(back_url)
    assert _without(_rows(back), (GRID_OF,)) == _without(saved, (GRID_OF,))

    for engine in (pg, back):  # the serial ids continue after the copied ones
        _import(engine, 2, "after-copy")
        assert _deposit_count(engine) == 44
        with Session(engine) as session, session.begin():
            record_changes(session, [{
                "changed_at": datetime.now(UTC), "who": "x", "entity": "project",
                "entity_id": "pm-beta", "project_id": "pm-beta", "field": "status",
                "before": "", "after": "", "reason": "", "kind": "edit", "source": ""}])
        with engine.connect() as connection:
            assert connection.execute(select(permit_changes.c.change_id)).scalars().all()[-1] \
                == max(r[0] for r in saved["permit_changes"]) + 1


@pytest.fixture
def lite_source(tmp_path: Path) -> tuple[str, Engine]:
    url = _sqlite_url(tmp_path / "source" / "permitmap.db")
    return url, _filled_store(url, tmp_path / "source")


def test_copy_refuses_a_target_with_data_unless_replace(
        database_url: str, tmp_path: Path, lite_source: tuple[str, Engine]) -> None:
    source_url, source = lite_source
    target = ensure_store(database_url, write_data_dir(tmp_path / "target-data"))
    _import(target, 3, "target-only")
    held = _rows(target)
    target_meta = {k: int(v) for k, v in _meta(target).items() if k in COUNTERS}

    with pytest.raises(InputError, match=r"already holds .*5 rows of sites.*Give --replace"):
        copy_store(source_url, database_url)
    assert _rows(target) == held

    copy_store(source_url, database_url, replace=True)
    keys = (*COUNTERS, GRID_OF)
    assert _without(_rows(target), keys) == _without(_rows(source), keys)
    meta = _meta(target)
    assert all(int(meta[k]) > v for k, v in target_meta.items())
    if target.dialect.name == "postgresql":
        assert _pg_count(target) == _deposit_count(source) == 32
    with pytest.raises(InputError, match="the configured store itself"):
        copy_store(source_url, source_url)


def test_pg_programs_get_the_connection_but_no_password_on_the_command_line() -> None:
    args, env = pg_connection(
        "postgresql+psycopg2://ana:s3cr%40t%21@/permit map?host=/run/pg&port=5433"
        "&sslmode=require")
    assert args == ["--host=/run/pg", "--port=5433", "--username=ana",
                    "--dbname=dbname='permit map'"]
    assert not any("s3cr" in a for a in args)
    assert env["PGPASSWORD"] == "s3cr@t!" and env["PGSSLMODE"] == "require"
    args, env = pg_connection("postgresql://ana@db.example.org:6543/o'brien")
    assert args == ["--host=db.example.org", "--port=6543", "--username=ana",
                    "--dbname=dbname='o\\'brien'"]
    assert pg_program("pg_dump").name == "pg_dump"
    version = subprocess.run([str(pg_program("pg_dump")), "--version"], capture_output=True,
                             text=True, check=True).stdout
    assert "pg_dump (PostgreSQL)" in version


# --- command line ----------------------------------------------------------------------------


@pytest.fixture
def cli_store(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PERMITMAP_DATA_DIR", str(write_data_dir(tmp_path / "data")))
    monkeypatch.setenv("PERMITMAP_LAYER_DIR", str(tmp_path / "layer_files"))
    assert main(["db", "init"]) == 0
    engine = get_engine(database_url)
    add_layers(engine, [_layer("magnetics", kind="raster")], principal=OPEN_ACCESS)
    return engine


def test_cli_backup_and_restore(cli_store: Engine, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    saved = _rows(cli_store)
    backup = tmp_path / "backups" / "store.transfer.backup"
    assert main(["db", "backup", str(backup)]) == 0
    out = capsys.readouterr().out
    assert f"to {backup}" in out and f"(schema {HEAD})" in out and "5 sites" in out
    assert f"raster layers (1) are in {tmp_path / 'layer_files'}" in out
    _change_everything(cli_store)

    assert main(["db", "restore", str(backup)]) == 0
    out = capsys.readouterr().out
    assert f"restored {backup} (schema {HEAD})" in out
    assert "1 missing" in out and str(tmp_path / "layer_files") in out
    keys = (*COUNTERS, GRID_OF)
    restored = _rows(cli_store)
    *kept, restore_row = restored["audit_log"]  # the restore itself, recorded after it
    assert _without(restored | {"audit_log": kept}, keys) == _without(saved, keys)
    assert restore_row[2:5] == (f"cli:{os_user()}", "restore", str(backup))

    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n", encoding="utf-8")
    assert main(["db", "restore", str(notes)]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("error: notes.txt is a text file, not a permitmap backup")
    assert len(captured.err.strip().splitlines()) == 1 and "Traceback" not in captured.err


def test_cli_restore_refuses_a_newer_schema_in_plain_words(
        newer_backup: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    engine, newer = newer_backup
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    before = _rows(engine)
    assert main(["db", "restore", str(newer)]) == 1
    assert capsys.readouterr().err == f"error: {NEWER}\n"
    assert _rows(engine) == before


def test_cli_copy(cli_store: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = _sqlite_url(tmp_path / "copy" / "permitmap.db")
    assert main(["db", "copy", "--to", target]) == 0
    out = capsys.readouterr().out
    assert "  deposits: 2 rows" in out and "  permit_changes: 1 rows" in out
    assert f"Raster layers (1) are COG files in {tmp_path / 'layer_files'}" in out
    assert "does not move them" in out and f"DATABASE_URL={target}\n" in out
    copied = _rows(get_engine(target))
    *kept, copy_row = copied["audit_log"]  # the copy itself, recorded in the target
    assert copied | {"audit_log": kept} == _rows(cli_store)
    assert copy_row[2:4] == (f"cli:{os_user()}", "copy")

    assert main(["db", "copy", "--to", target]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: The target sqlite:///") and "--replace" in err
    assert len(err.strip().splitlines()) == 1
    assert main(["db", "copy", "--to", target, "--replace"]) == 0
    assert "emptied first" in capsys.readouterr().out

    bad = "postgresql://nobody@/nowhere?host=/nonexistent-socket-dir"
    assert main(["db", "copy", "--to", bad]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err


def test_cli_backup_of_no_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PERMITMAP_DB_PATH", str(tmp_path / "none.db"))
    assert main(["db", "backup", str(tmp_path / "x.backup")]) == 1
    assert "There is no store at" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "x.backup").exists()


def test_backup_runs_beside_a_writing_app(tmp_path: Path) -> None:
    """Backups taken while another thread keeps importing each restore to a whole store."""
    url = _sqlite_url(tmp_path / "store" / "permitmap.db")
    engine = _filled_store(url, tmp_path)
    stop = threading.Event()

    def keep_writing() -> None:
        n = 0
        while not stop.is_set():
            _import(engine, 20, f"busy-{n}")
            n += 1

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        for i in range(3):
            backup_store(url, tmp_path / f"busy-{i}.backup")
    finally:
        stop.set()
        thread.join()
    for i in range(3):
        with sqlite3.connect(tmp_path / f"busy-{i}.backup") as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            imports, deposits = connection.execute(
                "SELECT (SELECT count(*) FROM dataset_imports), "
                "(SELECT count(*) FROM deposits)").fetchone()
        connection.close()
        assert deposits == 2 + 30 + 20 * (imports - 1)  # every import whole or absent
