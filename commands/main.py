"""``permitmap``: create, seed, back up, restore and copy the store; import deposit tables,
permitting data and layers; export sites; manage accounts; serve the web app.

Errors a user can cause print one plain line to stderr and exit 1; never a traceback.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import signal
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import Engine

from commands.analysis_cli import add_commands as add_analysis_commands
from commands.cli_principal import cli_principal
from commands.db_cli import add_commands as add_db_commands
from commands.export_cli import add_commands as add_export_commands
from commands.layers_cli import add_commands as add_layer_commands
from commands.mark_cli import add_commands as add_mark_commands
from commands.permits_cli import add_commands as add_permit_commands
from commands.serve_cli import add_commands as add_serve_commands
from commands.users_cli import add_commands as add_user_commands
from domain.errors import PermitmapError
from domain.settings import load_settings
from sites.deposit_tables import read_deposit_table
from store.records import dataset_counts, import_deposits, remove_dataset
from store.startup import ensure_store


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    # `permitmap ... | head` ends quietly. Only while the command runs: a process that calls
    # main() and goes on (a test run, `serve` returning) gets Python's own handling back, or
    # its next write to a closed socket or pipe would kill it outright.
    previous = signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        args = _parser().parse_args(argv)
        return int(args.run(args))
    except PermitmapError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGPIPE, previous)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="permitmap",
        description="Create and seed the store; import deposit tables and permitting data; "
                    "serve the web app."
    )
    groups = parser.add_subparsers(required=True, metavar="COMMAND")
    add_db_commands(groups, _store)
    deposits = groups.add_parser("deposits", help="deposit tables").add_subparsers(
        required=True, metavar="ACTION"
    )
    imp = deposits.add_parser("import", help="import a USGS MRDS-style or lithium CSV table")
    imp.add_argument("file", type=Path)
    imp.add_argument("--dataset", help="dataset name to file the records under")
    imp.set_defaults(run=_deposits_import)
    deposits.add_parser("list", help="datasets in the store, with their deposit counts") \
        .set_defaults(run=_deposits_list)
    rm = deposits.add_parser("remove", help="delete every deposit of one imported dataset")
    rm.add_argument("dataset")
    rm.set_defaults(run=_deposits_remove)
    add_permit_commands(groups, _store)
    add_layer_commands(groups, _store)
    add_export_commands(groups, _store)
    add_serve_commands(groups)
    add_user_commands(groups, _store)
    add_mark_commands(groups, _store)
    add_analysis_commands(groups, _store)
    return parser


def _store() -> Engine:
    """The configured store, created, migrated and seeded if need be."""
    settings = load_settings()
    return ensure_store(settings.database_url, settings.data_dir)


def _deposits_import(args: argparse.Namespace) -> int:
    path: Path = args.file
    if not path.is_file():
        raise PermitmapError(f"{path} does not exist or is not a file.")
    table = read_deposit_table(path, dataset=args.dataset)
    engine = _store()
    reasons = Counter(_reason_kind(s.reason) for s in table.skipped)
    report = {
        "layout": table.layout,
        "skipped": [
            {"row": s.row_number, "record_id": s.record_id, "reason": s.reason}
            for s in table.skipped
        ],
        "unrecognised_commodities": dict(table.unrecognised_commodities),
    }
    summary = import_deposits(
        engine,
        table.records,
        principal=cli_principal(),
        dataset=table.dataset,
        file_name=path.name,
        checksum=hashlib.sha256(path.read_bytes()).hexdigest(),
        rows_read=table.rows_read,
        report=report,
    )
    print(
        f"{path.name}: {table.layout} table, {summary.rows_read} rows read, "
        f"{summary.rows_loaded} loaded into dataset {summary.dataset!r} "
        f"({summary.inserted} new, {summary.updated} updated), {summary.rows_skipped} skipped"
    )
    for reason, count in reasons.most_common():
        print(f"  skipped {count}: {reason}")
    for skipped in table.skipped[:10]:
        print(f"    row {skipped.row_number} ({skipped.record_id or 'no id'}): {skipped.reason}")
    if table.unrecognised_commodities:
        top = ", ".join(f"{k!r} x{v}" for k, v in Counter(table.unrecognised_commodities)
                        .most_common(8))
        print(f"  commodity text not recognised (kept in commodities_original): {top}")
    return 0


def _deposits_list(_args: argparse.Namespace) -> int:
    for name, count in dataset_counts(_store()).items():
        print(f"{count:>9,}  {name}")
    return 0


def _deposits_remove(args: argparse.Namespace) -> int:
    removed = remove_dataset(_store(), args.dataset, principal=cli_principal())
    print(f"removed {removed:,} deposits of dataset {args.dataset!r}")
    return 0


def _reason_kind(reason: str) -> str:
    """Group reasons that differ only in a row's own value; stated ranges stay.

    >>> _reason_kind("latitude 96.2 is outside -90..90")
    'latitude … is outside -90..90'
    """
    return _OWN_NUMBER.sub("…", reason)


_OWN_NUMBER = re.compile(r"(?<![\d.])-?\d+(?:\.\d+)?(?![\d.])")


if __name__ == "__main__":
    sys.exit(main())
