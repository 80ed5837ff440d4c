"""The audit trail on SQLite and PostgreSQL: one row per action of a scripted session; filters
by actor, action, time and text; the CSV's bytes; the database refuses to change or delete a
row (the store's API has no way to), and restore and ``copy --replace`` still replace a whole
store, trail included, keeping the guard.
"""

from __future__ import annotations

import ast
import inspect
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, Table, delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

import store.audit
import store.transfer.copy
from domain.access import Principal, Role
from store.accounts import (
    SignInRefused,
    add_account,
    check_password,
    disable_account,
    end_session,
    new_token,
    revoke_token,
    set_password,
    set_role,
    start_session,
    token_id,
)
from store.audit import AUDIT, WITHHELD, audit_csv, audit_export, audit_rows, record, record_now
from store.db import get_engine, migrate
from store.models import AuditEntry
from store.startup import ensure_store
from store.transfer.backup import backup_store, restore_store
from store.transfer.copy import copy_store
from tests.support.fixtures_data import write_data_dir
from tests.support.postgres_server import fresh_database

PASSWORD = "correct horse battery"
REFUSAL = r"audit rows cannot be (changed|deleted)"


@pytest.fixture
def engine(database_url: str) -> Engine:
    engine = get_engine(database_url)
    migrate(engine)
    return engine


def _entries(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(select(AUDIT).order_by(AUDIT.c.id))]


def _at(engine: Engine, when: datetime, actor: str, action: str, **fields: object) -> None:
    """A row with a chosen time (an INSERT: the trail takes new rows)."""
    with engine.begin() as connection:
        connection.execute(insert(AUDIT).values(at=when, actor=actor, action=action, **fields))


# --- one row per action ----------------------------------------------------------------------


def test_a_scripted_session_leaves_one_row_per_action(engine: Engine) -> None:
    add_account(engine, "ada", "admin", "controlled", PASSWORD, actor="cli:root")
    bea = add_account(engine, "bea", "editor", password=PASSWORD, actor="ada")
    check_password(engine, "ada", PASSWORD, "10.0.0.1")
    with pytest.raises(SignInRefused):
        check_password(engine, "bea", "wrong", "10.0.0.2")
    secret = start_session(engine, bea.id)
    set_role(engine, "bea", None, "business-proprietary", "ada")
    set_role(engine, "bea", "editor", None, "ada")  # no change: no row
    token = new_token(engine, "bea", "QGIS", "bea")
    number = token_id(engine, token)
    assert number is not None
    revoke_token(engine, number, "bea")
    end_session(engine, secret, "10.0.0.2")
    end_session(engine, secret, "10.0.0.2")  # over already: no second row
    set_password(engine, "bea", "a new password", "bea")
    with engine.begin() as connection:  # a service's export, in its own transaction
        record(connection, "bea", "export", target="sites.csv", detail="commodity=Li",
               records=12, marking="business-proprietary", address="10.0.0.2")
    disable_account(engine, "bea", "ada")

    rows = audit_rows(engine).sort_values("id")
    assert list(zip(rows["actor"], rows["action"], rows["target"], rows["outcome"],
                    strict=True)) == [
        ("cli:root", "account-add", "ada", "ok"),
        ("ada", "account-add", "bea", "ok"),
        ("ada", "sign-in", "ada", "ok"),
        ("bea", "sign-in-failed", "bea", "failed"),
        ("ada", "account-change", "bea", "ok"),
        ("bea", "token-new", "bea", "ok"),
        ("bea", "token-revoke", "bea", "ok"),
        ("bea", "sign-out", "bea", "ok"),
        ("bea", "account-change", "bea", "ok"),
        ("bea", "export", "sites.csv", "ok"),
        ("ada", "account-change", "bea", "ok"),
    ]
    assert list(rows["detail"])[4] == "clearance public -> business-proprietary"
    assert list(rows["detail"])[8:] == ["password set", "commodity=Li", "disabled"]
    export = rows[rows["action"] == "export"].iloc[0]
    assert (export["records"], export["marking"], export["address"]) == (
        12, "business-proprietary", "10.0.0.2")
    assert list(rows["address"])[2:4] == ["10.0.0.1", "10.0.0.2"]
    assert rows["at"].is_monotonic_increasing and str(rows["at"].dt.tz) == "UTC"


def test_a_failed_change_leaves_no_row(engine: Engine) -> None:
    add_account(engine, "ada", "admin", password=PASSWORD, actor="cli:root")
    before = _entries(engine)
    with pytest.raises(ValueError, match="simulated"), Session(engine) as session, \
            session.begin():
        record(session, "ada", "layer-delete", target="claims")
        raise ValueError("simulated failure after the audit row was written")
    with pytest.raises(ValueError, match="not lower-case letters"):
        record_now(engine, "ada", "Delete everything!")
    with pytest.raises(ValueError, match="outcome"):
        record_now(engine, "ada", "export", outcome="maybe")
    assert _entries(engine) == before


# --- reading ---------------------------------------------------------------------------------


def test_filters_by_actor_action_time_and_text(engine: Engine) -> None:
    _at(engine, datetime(2026, 1, 10, 9, 0, tzinfo=UTC), "ada", "export",
        target="sites.geojson", detail="country=Japan")
    _at(engine, datetime(2026, 2, 1, 23, 30, tzinfo=UTC), "bea", "upload",
        target="claims_100%.gpkg", detail="")
    _at(engine, datetime(2026, 3, 5, 12, 0, tzinfo=UTC), "Ada", "layer-delete",
        target="claims", detail="by_mistake", address="10.1.2.3")
    _at(engine, datetime(2026, 4, 1, tzinfo=UTC), "carol", "sign-in", address="192.0.2.1")

    def targets(**filters: object) -> list[str]:
        return list(audit_rows(engine, **filters)["target"])  # type: ignore[arg-type]

    assert targets() == ["", "claims", "claims_100%.gpkg", "sites.geojson"]  # newest first
    assert targets(actor="ada") == ["claims", "sites.geojson"]  # ignoring case
    assert targets(actor="ad") == []  # the whole name
    assert targets(action="upload") == ["claims_100%.gpkg"]
    assert targets(since=date(2026, 2, 1)) == ["", "claims", "claims_100%.gpkg"]
    assert targets(until=date(2026, 2, 1)) == ["claims_100%.gpkg", "sites.geojson"]  # the day
    assert targets(until=datetime(2026, 2, 1, 23, 30, tzinfo=UTC)) == ["sites.geojson"]
    assert targets(since=datetime(2026, 2, 2, 0, 30, tzinfo=UTC).astimezone()) == ["",
                                                                                   "claims"]
    assert targets(since=datetime(2026, 1, 1), until=date(2026, 2, 28)) == [
        "claims_100%.gpkg", "sites.geojson"]  # a time without a zone is UTC
    assert targets(text="JAPAN") == ["sites.geojson"]
    assert targets(text="100%") == ["claims_100%.gpkg"]
    assert targets(text="100_") == []  # _ and % are taken literally
    assert targets(text="by_m") == ["claims"]
    assert targets(text="10.1.2") == ["claims"]
    assert targets(text="claims", action="layer-delete", actor="ADA") == ["claims"]
    assert targets(limit=2) == ["", "claims"]
    assert list(audit_rows(engine).columns) == ["id", "at", "actor", "action", "target",
                                                "detail", "records", "marking", "address",
                                                "outcome"]


def test_csv_bytes(engine: Engine) -> None:
    _at(engine, datetime(2026, 1, 10, 9, 0, 5, 250000, tzinfo=UTC), "ada", "export",
        target="=HYPERLINK(\"http://x\")", detail="pays=Japon, 鉱山", records=3,
        marking="controlled", address="10.0.0.1")
    _at(engine, datetime(2026, 1, 11, 8, 0, tzinfo=UTC), "bea", "sign-in-failed",
        target="bea", detail="wrong password\nsecond line", outcome="failed")
    assert audit_csv(engine) == (
        "id,at,actor,action,target,detail,records,marking,address,outcome\n"
        "2,2026-01-11T08:00:00+00:00,bea,sign-in-failed,bea,\"wrong password\nsecond line\","
        ",,,failed\n"
        "1,2026-01-10T09:00:05+00:00,ada,export,\"'=HYPERLINK(\"\"http://x\"\")\","
        "\"pays=Japon, 鉱山\",3,controlled,10.0.0.1,ok\n").encode()
    assert audit_csv(engine, actor="nobody") == (
        b"id,at,actor,action,target,detail,records,marking,address,outcome\n")
    assert audit_csv(engine, action="export").count(b"\n") == 2


def test_rows_above_the_readers_clearance_are_left_out_and_counted(engine: Engine) -> None:
    _at(engine, datetime(2026, 1, 1, tzinfo=UTC), "ada", "sign-in", target="ada")
    _at(engine, datetime(2026, 1, 2, tzinfo=UTC), "ed", "upload", target="roads.gpkg",
        marking="public")
    _at(engine, datetime(2026, 1, 3, tzinfo=UTC), "ed", "layer-restyle",
        target="drill cores.gpkg", marking="business-proprietary")
    _at(engine, datetime(2026, 1, 4, tzinfo=UTC), "ed", "upload", target="secret seams.gpkg",
        detail="grade 4.2%", marking="controlled")
    _at(engine, datetime(2026, 1, 5, tzinfo=UTC), "ed", "mark", target="site us-x",
        marking="controlled")
    reader = Principal("bea", Role.ADMIN, "business-proprietary", address="192.0.2.9")

    rows = audit_rows(engine, principal=reader)
    assert list(rows["target"]) == ["drill cores.gpkg", "roads.gpkg", "ada"]
    assert rows.attrs[WITHHELD] == 2
    assert audit_rows(engine, action="upload", principal=reader).attrs[WITHHELD] == 1
    public = audit_rows(engine, principal=Principal("pat", Role.ADMIN, "public"))
    assert list(public["target"]) == ["roads.gpkg", "ada"] and public.attrs[WITHHELD] == 3
    everything = audit_rows(engine, principal=Principal("cy", Role.ADMIN, "controlled"))
    assert len(everything) == 5 and everything.attrs[WITHHELD] == 0
    assert len(audit_rows(engine)) == 5  # the command line (no principal) reads them all

    data = audit_csv(engine, principal=reader).decode()
    assert "secret seams" not in data and "grade 4.2" not in data and "site us-x" not in data
    assert "drill cores.gpkg" in data

    # the export starts with the highest marking of the rows it holds (the caller's line:
    # the store writes no export format), and is recorded with it and the reader's address
    exported = audit_export(engine, reader, principal=reader,
                            heading=lambda code: f"# marking {code}\n").decode()
    assert exported.splitlines()[0] == "# marking business-proprietary"
    assert exported.splitlines()[1].startswith("id,at,actor")
    assert "secret seams" not in exported and len(exported.splitlines()) == 5
    export = audit_rows(engine, action="export").iloc[0]
    assert (export["actor"], export["address"], export["records"], export["marking"]) == (
        "bea", "192.0.2.9", 3, "business-proprietary")
    assert audit_export(engine, reader, action="sign-in", principal=reader,
                        heading=lambda code: f"# marking {code}\n").startswith(
        b"# marking public\n")


# --- nothing changes a row -------------------------------------------------------------------


def test_the_database_refuses_to_change_or_delete_a_row(engine: Engine) -> None:
    record_now(engine, "ada", "export", target="sites.csv", records=5)
    record_now(engine, "bea", "upload", target="claims")
    before = _entries(engine)
    attempts = [
        update(AuditEntry).where(AuditEntry.actor == "ada").values(actor="someone else"),
        update(AuditEntry).values(records=None),
        delete(AuditEntry).where(AuditEntry.actor == "bea"),
        delete(AuditEntry),
    ]
    for statement in attempts:
        with pytest.raises(DBAPIError, match=REFUSAL), Session(engine) as session, \
                session.begin():
            session.execute(statement)
    with pytest.raises(DBAPIError, match=REFUSAL), Session(engine) as session, \
            session.begin():  # through the ORM
        entry = session.scalars(select(AuditEntry).where(AuditEntry.actor == "ada")).one()
        entry.detail = "edited"
    with pytest.raises(DBAPIError, match=REFUSAL), Session(engine) as session, \
            session.begin():
        session.delete(session.scalars(select(AuditEntry)).first())
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match=REFUSAL), engine.begin() as connection:
            connection.execute(text("TRUNCATE audit_log"))
    assert _entries(engine) == before


def test_the_audit_module_only_appends_and_reads() -> None:
    """No function of store/audit.py changes or removes a row: none uses UPDATE, DELETE or
    TRUNCATE in any form (SQLAlchemy's update/delete, a Session's delete or merge, SQL
    text), and its public functions are the documented ones."""
    source = Path(inspect.getfile(store.audit)).read_text(encoding="utf-8")
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
                  and node.body and isinstance(node.body[0], ast.Expr)}
    words = {"update", "delete", "truncate", "merge", "execute_update", "bulk_update_mappings"}
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            used.add(node.id.lower())
        elif isinstance(node, ast.Attribute):
            used.add(node.attr.lower())
        elif isinstance(node, ast.alias):
            used.add(node.name.lower().rsplit(".", 1)[-1])
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docstrings:
            used.update(w.lower() for w in node.value.split())
    assert not used & words, used & words
    public = {name for name, value in vars(store.audit).items()
              if callable(value) and not name.startswith("_")
              and getattr(value, "__module__", "") == "store.audit"}
    assert public == {"record", "record_now", "audit_rows", "audit_csv", "audit_export",
                      "clean_action"}


# --- restore and copy replace a whole store, trail included ----------------------------------


def _store_with_trail(url: str, folder: Path, actor: str) -> Engine:
    engine = ensure_store(url, write_data_dir(folder / "data"))
    add_account(engine, f"{actor}-admin", "admin", password=PASSWORD, actor=actor)
    record_now(engine, actor, "export", target="sites.csv", records=5)
    return engine


def _refuses_changes(engine: Engine) -> None:
    with pytest.raises(DBAPIError, match=REFUSAL), engine.begin() as connection:
        connection.execute(update(AuditEntry).values(detail="edited"))
    with pytest.raises(DBAPIError, match=REFUSAL), engine.begin() as connection:
        connection.execute(delete(AuditEntry))


def test_restore_replaces_the_trail_and_keeps_its_guard(database_url: str,
                                                        tmp_path: Path) -> None:
    engine = _store_with_trail(database_url, tmp_path, "before")
    saved = _entries(engine)
    backup_store(database_url, tmp_path / "store.backup")
    record_now(engine, "later", "upload", target="claims")
    assert len(_entries(engine)) == len(saved) + 1

    restore_store(database_url, tmp_path / "store.backup")

    assert _entries(engine) == saved
    _refuses_changes(engine)
    record_now(engine, "after", "export")  # and it takes new rows
    assert len(_entries(engine)) == len(saved) + 1


def test_copy_replace_takes_the_source_trail_and_keeps_the_guard(
        database_url: str, tmp_path: Path, postgres_server: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    target = _store_with_trail(database_url, tmp_path / "target", "target")
    source_url = (f"sqlite:///{tmp_path / 'source' / 'permitmap.db'}"
                  if target.dialect.name == "postgresql" else fresh_database(postgres_server))
    source = _store_with_trail(source_url, tmp_path / "source", "source")
    held = _entries(target)

    # a copy that fails half-way leaves the target, trail and all, as it was
    real = store.transfer.copy._copy_table

    def failing(reading: Connection, writing: Connection, table: Table,
                batch_rows: int) -> int:
        if table.name == "sites":
            raise RuntimeError("the disk is full")
        return real(reading, writing, table, batch_rows)

    monkeypatch.setattr(store.transfer.copy, "_copy_table", failing)
    with pytest.raises(RuntimeError, match="disk is full"):
        copy_store(source_url, database_url, replace=True)
    assert _entries(target) == held
    _refuses_changes(target)
    monkeypatch.setattr(store.transfer.copy, "_copy_table", real)

    copy_store(source_url, database_url, replace=True)

    assert [row[2:] for row in _entries(target)] == [row[2:] for row in _entries(source)]
    assert [row[0] for row in _entries(target)] == [row[0] for row in _entries(source)]
    _refuses_changes(target)
    record_now(target, "after", "export")
    assert [row[2] for row in _entries(target)] == ["source", "source", "after"]
