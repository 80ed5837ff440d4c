"""Analysis that joins the records. ``permitmap chokepoints``: commodity × supply-chain stage
for the United States, Japan, the partner countries and the rest; where a stage has one
producing source or none. ``permitmap crosswalk``: the candidate links between records of one
place."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import date

from sqlalchemy import Engine

from commands.cli_principal import cli_principal
from commands.permits_cli import iso_date
from services.chokepoints import Chokepoints, chokepoints
from services.crosswalk import refresh_crosswalk
from sites.chokepoints import REGION_LABELS, REGIONS
from sites.crosswalk import DEPOSIT_KM, SITE_KM


def add_commands(groups: argparse._SubParsersAction, store: Callable[[], Engine]) -> None:
    """Register ``chokepoints``; ``store`` returns the ready engine."""
    cp = groups.add_parser(
        "chokepoints", help="commodity × supply-chain stage by region: producing, under "
                            "construction and in permitting; one source or none flagged")
    cp.add_argument("--as-of", type=iso_date, default=date.today(), metavar="YYYY-MM-DD",
                    help="the permitting record of this day (sites: as now recorded)")
    cp.add_argument("--projected", action="store_true",
                    help="count a site in permitting or construction as producing once its "
                         "permitting projects' projected completion has passed")
    out = cp.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print JSON")
    out.add_argument("--csv", action="store_true", help="print CSV (the marking line first)")
    cp.set_defaults(run=lambda a: _chokepoints(a, store()))
    cw = groups.add_parser(
        "crosswalk", help="build or refresh the candidate links between records of the same "
                          "place (curated and imported deposits, sites and deposits); "
                          "links confirmed or rejected before are kept")
    cw.add_argument("--deposit-km", type=_positive_km, default=DEPOSIT_KM, metavar="KM",
                    help=f"two deposit records of alike names within this distance "
                         f"(default {DEPOSIT_KM:g})")
    cw.add_argument("--site-km", type=_positive_km, default=SITE_KM, metavar="KM",
                    help=f"a site and a deposit of alike names within this distance "
                         f"(default {SITE_KM:g})")
    cw.add_argument("--json", action="store_true", help="print JSON (an object of counts)")
    cw.set_defaults(run=lambda a: _crosswalk(a, store()))


def _positive_km(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of kilometres") from None
    if not 0 < value <= 500:
        raise argparse.ArgumentTypeError(f"{text} km: give a distance above 0 and at most 500")
    return value


def _crosswalk(args: argparse.Namespace, engine: Engine) -> int:
    summary = refresh_crosswalk(engine, principal=cli_principal(), deposit_km=args.deposit_km,
                                site_km=args.site_km)
    if args.json:
        json.dump(asdict(summary), sys.stdout, indent=2)
        print()
        return 0
    print(f"cross-walk: {summary.found} links found ({summary.new} new, {summary.updated} "
          f"already known); {summary.dropped} candidates no longer found were dropped")
    print(f"  stored: {summary.links} links: " + ", ".join(
        f"{n} {status}" for status, n in summary.by_status.items()))
    print("  by method: " + ", ".join(f"{n} {m}" for m, n in sorted(summary.by_method.items())))
    return 0


def _chokepoints(args: argparse.Namespace, engine: Engine) -> int:
    result = chokepoints(engine, args.as_of, max(args.as_of, date.today()),
                         principal=cli_principal(), projected=args.projected)
    if args.json:
        json.dump(as_json(result), sys.stdout, indent=2, ensure_ascii=False)
        print()
    elif args.csv:
        sys.stdout.write(result.csv().decode("utf-8"))
    else:
        _print_table(result)
    return 0


def as_json(result: Chokepoints) -> dict[str, object]:
    """The table as one object: its date, marking, the counts of flagged cells and every
    cell with its site ids as a list."""
    table = result.table
    cells = [{**row, "site_ids": [i for i in str(row["site_ids"]).split(";") if i]}
             for row in table.to_dict("records")]
    return {
        "as_of": result.as_of.isoformat(), "projected": result.projected,
        "marking": result.marking, "regions": list(REGIONS),
        "cells": len(cells),
        "no_source": int((table["sources"] == "none").sum()),
        "single_source": int((table["sources"] == "one").sum()),
        "moved": int(table["moved"].sum()),
        "table": cells,
    }


def _print_table(result: Chokepoints) -> None:
    table = result.table
    print(f"as of {result.as_of.isoformat()}{', projected' if result.projected else ''}; "
          f"marking: {result.marking}")
    print("each region: producing / under construction / in permitting "
          "(! one source, !! none)")
    print(f"{'commodity':<12} {'stage':<26} "
          + " ".join(f"{REGION_LABELS[r]:<22}" for r in REGIONS))
    for (commodity, stage), cells in table.groupby(["commodity", "stage"], sort=False):
        by_region = cells.set_index("region")
        parts = []
        for region in REGIONS:
            cell = by_region.loc[region]
            flag = {"none": "!!", "one": "!"}.get(str(cell["sources"]), "")
            parts.append(f"{cell['producing']}/{cell['construction']}/{cell['permitting']} "
                         f"{flag}".ljust(22))
        print(f"{commodity:<12} {stage:<26} " + " ".join(parts))
