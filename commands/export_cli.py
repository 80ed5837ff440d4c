"""``permitmap export sites`` and ``export briefing``: the same sites the page and
``/api/sites.geojson`` give for the same filters, in any export format or as a briefing pack.

The command line exports as ``cli:<user>`` (:mod:`commands.cli_principal`), audited like any
export."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine

from commands.cli_principal import cli_principal
from domain.errors import InputError
from domain.settings import load_settings
from exports.export_file import ExportFile, ExportFormat
from exports.formats import export_features
from exports.output_crs import OFFERED, output_crs, refuse_crs
from services.briefing import PackOptions, briefing_pack
from services.grid_columns import parse_grid_ids
from services.site_export import format_detail, released_marking, site_export
from sites.selection import SiteSelection, parse_selection
from store.records import load_sites

FILTERS = ("commodity", "stage", "status", "country", "jointly_selected", "q", "bbox", "as_of")


def add_commands(groups: argparse._SubParsersAction, store: Callable[[], Engine]) -> None:
    """Register the ``export`` command group; ``store`` returns the ready engine."""
    export = groups.add_parser("export", help="export sites").add_subparsers(
        required=True, metavar="WHAT")
    sites = export.add_parser("sites", help="the selected sites with their permitting state")
    sites.add_argument("--format", required=True, choices=[f.value for f in ExportFormat])
    sites.add_argument("--grid", action="append", default=[], metavar="LAYER",
                       help="a raster survey layer (id) whose value at each site becomes a "
                            "column; repeat for more")
    sites.add_argument("--crs", default="EPSG:4326", metavar="EPSG:CODE",
                       help="the coordinate system of the file (default WGS 84, EPSG:4326): "
                            "JGD2011 EPSG:6668, its plane rectangular zones I–XIX "
                            "EPSG:6669–6687, UTM 51N–55N EPSG:6688–6692; Tokyo datum "
                            "EPSG:4301, 30161–30179, 3092–3096. Not for geojson or kml "
                            f"({len(OFFERED)} systems offered)")
    _selection_options(sites)
    sites.set_defaults(run=lambda a: _sites(a, store()))
    pack = export.add_parser("briefing", help="a briefing pack (zip): sites, timetables, "
                                              "change history, map picture, layers, README")
    pack.add_argument("--since", type=date.fromisoformat, metavar="YYYY-MM-DD",
                      help="change history from this day (default: 90 days before --as-of)")
    _selection_options(pack)
    pack.set_defaults(run=lambda a: _briefing(a, store()))


def _selection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True,
                        help="file to write; a folder gets the file name that says what it "
                             "holds")
    parser.add_argument("--commodity", help="symbols or names, comma-separated (Li,lithium)")
    parser.add_argument("--stage", help="supply-chain stages, comma-separated")
    parser.add_argument("--status", help="development statuses, comma-separated")
    parser.add_argument("--country", help="countries, comma-separated")
    parser.add_argument("--jointly-selected", dest="jointly_selected", action="store_const",
                        const="true", help="only projects jointly selected under the framework")
    parser.add_argument("--q", help="name or operator contains")
    parser.add_argument("--bbox", help="minx,miny,maxx,maxy in degrees; write "
                                       "--bbox=-125,24,-66,50 when it starts with a minus sign")
    parser.add_argument("--as-of", dest="as_of", metavar="YYYY-MM-DD",
                        help="the permitting state as it stood that day (default today)")


def _selection(args: argparse.Namespace, engine: Engine) -> SiteSelection:
    params = {name: value for name in FILTERS if (value := getattr(args, name))}
    countries = tuple(sorted(load_sites(engine)["country"].dropna().unique()))
    return parse_selection(params, date.today(), countries)


def _sites(args: argparse.Namespace, engine: Engine) -> int:
    fmt, crs = ExportFormat(args.format), output_crs(args.crs)
    refuse_crs(fmt, crs)  # before the export is made and audited
    selection = _selection(args, engine)
    sites = site_export(engine, selection, date.today(), datetime.now(UTC),
                        principal=cli_principal(), detail=format_detail(args.format, crs),
                        grids=parse_grid_ids(args.grid), layer_dir=load_settings().layer_dir)
    written = export_features(sites, fmt, stem=selection.file_stem(),
                              marking=released_marking(sites), crs=crs)
    target = _write(args.out, written)
    print(f"wrote {len(sites.columns):,} sites ({selection.describe()}) to {target}")
    return 0


def _briefing(args: argparse.Namespace, engine: Engine) -> int:
    selection = _selection(args, engine)
    written = briefing_pack(engine, selection, date.today(), datetime.now(UTC),
                            PackOptions.bundled(args.since), principal=cli_principal())
    target = _write(args.out, written)
    print(f"wrote the briefing pack ({selection.describe()}) to {target}")
    return 0


def _write(given: str, written: ExportFile) -> Path:
    out = Path(given)
    if given.endswith(("/", "\\")) and not out.is_dir():
        raise InputError(f"Folder {out} does not exist; create it or choose another --out.")
    target = out / written.file_name if out.is_dir() else out
    if not target.parent.is_dir():
        raise InputError(f"Folder {target.parent} does not exist; create it or choose another "
                         "--out.")
    try:
        target.write_bytes(written.data)
    except OSError as exc:
        raise InputError(f"Cannot write {target}: {exc.strerror}. Choose a folder you may "
                         "write to with --out.") from exc
    for note in written.notes:
        print(f"  note: {note}", file=sys.stderr)
    return target
