"""``permitmap permits ...``: import the Permitting Dashboard dataset, report, export history."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from commands.cli_principal import cli_principal
from domain.errors import InputError
from domain.settings import load_settings
from permits.as_of import record_on
from permits.dashboard import read_dashboard
from permits.frames import PermitData
from permits.rules import load_rulesets
from permits.site_links import link_projects
from services.site_export import change_history
from store.audit import record_now
from store.crosswalk_repo import rejected_project_links
from store.permits_repo import (
    import_permit_data,
    load_changes,
    load_permit_data,
    project_site_links,
    unlinked_reasons,
)
from store.records import load_sites
from store.site_distances import site_distance_km


def add_commands(groups: argparse._SubParsersAction, store: Callable[[], Engine]) -> None:
    """Register the ``permits`` command group; ``store`` returns the ready engine."""
    permits = groups.add_parser("permits", help="permitting timelines").add_subparsers(
        required=True, metavar="ACTION")
    imp = permits.add_parser("import", help="import the Permitting Dashboard full dataset "
                                            "(CSV export or API JSON rows)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--max-km", type=float, default=50.0,
                     help="link a project to a site of similar name within this distance")
    imp.add_argument("--accept-approximate", action="store_true",
                     help="also link to sites whose position is only approximate")
    imp.add_argument("--link", action="append", default=[], metavar="PROJECT=SITE",
                     help="link a dashboard project id to a site id (repeatable)")
    imp.set_defaults(run=lambda a: _import(a, store()))
    rep = permits.add_parser("report", help="per-site and portfolio figures on a date")
    rep.add_argument("--as-of", type=iso_date, default=date.today(), metavar="YYYY-MM-DD")
    rep.add_argument("--json", action="store_true", help="print JSON")
    rep.set_defaults(run=lambda a: _report(a, store()))
    his = permits.add_parser("history", help="the change history as CSV (audited as an "
                                             "export)")
    his.add_argument("--site", help="only the projects of this site id")
    his.set_defaults(run=lambda a: _history(a, store()))


def _import(args: argparse.Namespace, engine: Engine) -> int:
    path: Path = args.file
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file.")
    batch = read_dashboard(path)
    links = {**project_site_links(engine), **_given_links(args.link)}
    linked = link_projects(batch.projects, load_sites(engine), known_links=links,
                           max_km=args.max_km, accept_approximate=args.accept_approximate,
                           site_distance_km=site_distance_km(engine),
                           rejected=rejected_project_links(engine))
    site_ids = batch.projects["project_id"].map(linked.site_ids).astype(object)
    projects = batch.projects.assign(site_id=site_ids.fillna(""))
    data = replace(batch, projects=projects)
    report = {"shape": batch.shape, "problems": [vars(p) for p in batch.problems],
              "links": [vars(r) for r in linked.rows],
              "last_data_fetched": batch.last_data_fetched}
    principal = cli_principal()
    summary = import_permit_data(
        engine, PermitData.from_frames(data.projects, data.actions, data.milestones),
        principal=principal, who=principal.name, file_name=path.name,
        checksum=hashlib.sha256(path.read_bytes()).hexdigest(), rows_read=batch.rows_read,
        report=report, data_as_of=batch.fetched_at())
    print(f"{path.name}: {batch.shape}, {batch.rows_read:,} rows read, "
          f"{len(batch.problems):,} skipped")
    if batch.fetched_at() is not None:
        print(f"  the data was fetched {batch.last_data_fetched}: past views count its records "
              "and changes from then (not from this import)")
    for kind in ("project", "action", "milestone"):
        print(f"  {kind}s: {summary.inserted[kind]:,} new, {summary.updated[kind]:,} updated, "
              f"{summary.unchanged[kind]:,} unchanged")
    print(f"  history: {summary.changes_recorded:,} field changes recorded")
    for problem in batch.problems[:10]:
        print(f"    row {problem.row_number}: {problem.reason}")
    methods = Counter(r.method or "not linked" for r in linked.rows)
    print("  links to sites: " + ", ".join(f"{n} {m}" for m, n in methods.most_common()))
    for row in [r for r in linked.rows if not r.site_id][:20]:
        print(f"    {row.project_id} {row.title!r}: {row.detail}")
    return 0


def _report(args: argparse.Namespace, engine: Engine) -> int:
    from permits.status_report import permit_report

    rulesets = load_rulesets(load_settings().data_dir / "rulesets")
    today = date.today()
    data = record_on(load_permit_data(engine), args.as_of, today, lambda: load_changes(engine))
    report = permit_report(data, load_sites(engine), rulesets, args.as_of,
                           today=max(args.as_of, today),
                           unlinked_reasons=unlinked_reasons(engine))
    record_now(engine, cli_principal().name, "export", target=f"as_of={args.as_of}",
               detail="permits report", records=len(report["sites"]))
    if args.json:
        json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
        print()
        return 0
    p = report["portfolio"]
    print(f"as of {report['as_of']}: {p['projects']} projects, {p['actions']} actions, "
          f"{p['milestones']} milestones; {p['overdue_milestones']} overdue; "
          f"{p['rule_breaches']} rule-set breaches")
    print(f"  slip (days): {p['slip_days']}")
    print(f"  sites by health: {p['sites_by_health']}")
    for site in report["sites"]:
        print(f"  {site['site_id']:<32} {site['health']:<20} {site['milestones']:>4} milestones, "
              f"{len(site['overdue'])} overdue, {site['percent_complete']}% complete")
    unlinked = report["not_linked_to_a_site"]
    if unlinked:
        print(f"  not linked to a site: {len(unlinked)} project"
              f"{'' if len(unlinked) == 1 else 's'}")
        for project in unlinked:
            print(f"    {project['project_id']} {project['title']}: {project['reason']}")
    return 0


def _history(args: argparse.Namespace, engine: Engine) -> int:
    changes = change_history(engine, principal=cli_principal(), site_id=args.site)
    changes.to_csv(sys.stdout, index=False)
    return 0


def _given_links(pairs: list[str]) -> dict[str, str]:
    links = {}
    for pair in pairs:
        project, sep, site = pair.partition("=")
        if not sep or not project or not site:
            raise InputError(f"--link {pair!r} must look like PROJECT_ID=SITE_ID.")
        project = project.strip()
        links[project if project.startswith("fpd-") else f"fpd-{project}"] = site.strip()
    return links


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD") from exc
