"""``permitmap export sites``: the same sites the page and ``/api/sites.geojson`` give for the
same filters, written in any export format."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine

from catalog.site_export import site_export
from domain.errors import InputError
from layers.export_formats import ExportFormat, export_features
from layers.site_export import parse_selection
from store.records import load_sites

FILTERS = ("commodity", "stage", "status", "country", "q", "bbox", "as_of")


def add_commands(groups: argparse._SubParsersAction, store: Callable[[], Engine]) -> None:
    """Register the ``export`` command group; ``store`` returns the ready engine."""
    export = groups.add_parser("export", help="export sites").add_subparsers(
        required=True, metavar="WHAT")
    sites = export.add_parser("sites", help="the selected sites with their permitting state")
    sites.add_argument("--format", required=True, choices=[f.value for f in ExportFormat])
    sites.add_argument("--out", type=Path, required=True,
                       help="file to write; a folder gets the file name that says what it holds")
    sites.add_argument("--commodity", help="symbols or names, comma-separated (Li,lithium)")
    sites.add_argument("--stage", help="supply-chain stages, comma-separated")
    sites.add_argument("--status", help="development statuses, comma-separated")
    sites.add_argument("--country", help="countries, comma-separated")
    sites.add_argument("--q", help="name or operator contains")
    sites.add_argument("--bbox", help="minx,miny,maxx,maxy in degrees; write --bbox=-125,24,-66,50 "
                                      "when it starts with a minus sign")
    sites.add_argument("--as-of", dest="as_of", metavar="YYYY-MM-DD",
                       help="the permitting state as it stood that day (default today)")
    sites.set_defaults(run=lambda a: _sites(a, store()))


def _sites(args: argparse.Namespace, engine: Engine) -> int:
    params = {name: value for name in FILTERS if (value := getattr(args, name))}
    countries = tuple(sorted(load_sites(engine)["country"].dropna().unique()))
    selection = parse_selection(params, date.today(), countries)
    frame = site_export(engine, selection, date.today(), datetime.now(UTC))
    written = export_features(frame, ExportFormat(args.format), stem=selection.file_stem())
    target: Path = args.out / written.file_name if args.out.is_dir() else args.out
    if not target.parent.is_dir():
        raise InputError(f"Folder {target.parent} does not exist; create it or choose another "
                         "--out.")
    target.write_bytes(written.data)
    print(f"wrote {len(frame):,} sites ({selection.describe()}) to {target}")
    for note in written.notes:
        print(f"  note: {note}", file=sys.stderr)
    return 0
