"""``permitmap db ...``: create the store; back it up, restore it, copy it to another database.

Backup, restore and copy handle the database only: raster layers are COG files in the layer
folder (``PERMITMAP_LAYER_DIR``), named by ``survey_layers.raster_file``; each command says
where they are, and never moves them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from pathlib import Path

from sqlalchemy import Engine, make_url
from sqlalchemy.engine import URL

from commands.cli_principal import cli_principal
from domain.settings import load_settings
from store.audit import record_now
from store.db import get_engine, schema_revision
from store.layer_repo import list_layers
from store.records import store_counts
from store.transfer.backup import backup_store, restore_store
from store.transfer.copy import copy_store
from store.transfer.urls import store_url


def add_commands(groups: argparse._SubParsersAction, store: Callable[[], Engine]) -> None:
    """Register the ``db`` command group; ``store`` returns the ready engine."""
    db = groups.add_parser("db", help="the store").add_subparsers(required=True, metavar="ACTION")
    db.add_parser("init", help="create, migrate and seed the store").set_defaults(
        run=lambda a: _init(store()))
    backup = db.add_parser(
        "backup", help="write a backup of the store to FILE (SQLite: a database file, safe "
                       "while the app runs; PostgreSQL: a pg_dump custom-format file)")
    backup.add_argument("file", type=Path)
    backup.set_defaults(run=_backup)
    restore = db.add_parser(
        "restore", help="replace the store with a backup made by `db backup` (an older "
                        "backup is migrated; a newer one is refused)")
    restore.add_argument("file", type=Path)
    restore.set_defaults(run=_restore)
    copy = db.add_parser(
        "copy", help="copy every table of the store into another database (e.g. from the "
                     "embedded SQLite store to PostGIS), created and migrated first")
    copy.add_argument("--to", required=True, metavar="URL", dest="target",
                      help="sqlite:///PATH or postgresql://USER:PASSWORD@HOST/NAME")
    copy.add_argument("--replace", action="store_true",
                      help="empty a target that already holds data (in the copy's transaction)")
    copy.set_defaults(run=_copy)


def _init(engine: Engine) -> int:
    counts = store_counts(engine)
    print(
        f"store ready at {_where(engine.url)} (schema {schema_revision(engine)}): "
        f"{counts['sites']} sites, {counts['deposits']} deposits"
    )
    return 0


def _backup(args: argparse.Namespace) -> int:
    url = load_settings().database_url
    summary = backup_store(url, args.file)
    print(f"backed up {_where(url)} (schema {summary.revision}) to {summary.path}: "
          f"{_size(summary.size_bytes)} in {summary.seconds:.1f} s")
    print(f"  {_counts(summary.counts)}")
    rasters = _raster_files(get_engine(url))
    if rasters:
        print(f"The backup holds the database only: the files of the raster layers "
              f"({len(rasters)}) are in {load_settings().layer_dir}; back up that folder too.")
    return 0


def _restore(args: argparse.Namespace) -> int:
    url = load_settings().database_url
    summary = restore_store(url, args.file)
    # Recorded in the restored store: its own trail ends at the backup, this row says why.
    record_now(get_engine(url), cli_principal().name, "restore", target=str(args.file),
               detail=f"schema {summary.backup_revision}", records=sum(summary.counts.values()))
    migrated = "" if summary.backup_revision == summary.revision else \
        f", migrated to {summary.revision}"
    print(f"restored {args.file} (schema {summary.backup_revision}{migrated}) into "
          f"{_where(url)} in {summary.seconds:.1f} s")
    print(f"  {_counts(summary.counts)}")
    rasters = _raster_files(get_engine(url))
    if rasters:
        missing = [name for name, path in rasters.items() if not path.is_file()]
        print(f"The files of the raster layers ({len(rasters)}) are not in the backup; they are "
              f"read from {load_settings().layer_dir}"
              + (f": {len(missing)} missing ({', '.join(missing[:5])}), copy them back there."
                 if missing else " (all there)."))
    return 0


def _copy(args: argparse.Namespace) -> int:
    settings = load_settings()
    store_url(args.target)  # a URL that is not one is told before anything is printed
    print(f"copying {_where(settings.database_url)} to {_where(args.target)}")

    def told(table: str, rows: int, seconds: float) -> None:
        print(f"  {table}: {rows:,} rows ({seconds:.1f} s)", flush=True)

    summary = copy_store(settings.database_url, args.target, replace=args.replace,
                         progress=told)
    record_now(get_engine(args.target), cli_principal().name, "copy",
               target=_where(settings.database_url), detail=f"into {_where(args.target)}",
               records=sum(summary.counts.values()))
    if summary.replaced:
        print(f"  (emptied first: {_counts(summary.replaced)})")
    print(f"copied {sum(summary.counts.values()):,} rows in {summary.seconds:.1f} s")
    rasters = _raster_files(get_engine(args.target))
    print(f"Raster layers ({len(rasters)}) are COG files in {settings.layer_dir}, not rows: "
          "copying the database does not move them; the app using the new database must read "
          "the same folder (PERMITMAP_LAYER_DIR).")
    hidden = " (password not shown)" if make_url(args.target).password else ""
    print(f"To use it: DATABASE_URL={_where(args.target)}{hidden}")
    return 0


def _raster_files(engine: Engine) -> dict[str, Path]:
    """Raster layer id -> its COG file in the configured layer folder."""
    folder = load_settings().layer_dir
    return {layer.id: folder / layer.raster_file for layer in list_layers(engine)
            if layer.kind == "raster" and layer.raster_file}


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{n:,} {name}" for name, n in counts.items())


def _size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"


def _where(url: str | URL) -> str:
    return make_url(url).render_as_string(hide_password=True)
