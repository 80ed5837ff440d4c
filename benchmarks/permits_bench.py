"""Benchmark the permitting timelines on 10,000 projects / 500,000 milestones; print tables.

Run from the repository root: ``.venv/bin/python benchmarks/permits_bench.py`` (``make bench``).
A. derived state of every milestone and project, against a Python loop over records;
B. what the portfolio page computes on each render, and the page itself (AppTest);
C. import of 500,000 Permitting Dashboard CSV rows into a fresh SQLite store, and a re-import,
   against row-by-row ORM inserts.
Exits 0 when a goal is missed (the table says so); non-zero only when something crashes.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd
from bench_permits_data import synthetic_record
from bench_permits_naive import naive_derive
from bench_support import Row, format_table, goal_row, median, repeat, secs, timed
from sqlalchemy import Engine

from domain.access import OPEN_ACCESS
from domain.settings import DATA_DIR
from permits.dashboard import read_dashboard
from permits.dashboard_columns import FIELDS
from permits.frames import PermitData
from permits.portfolio import GROUPINGS, milestone_facts, portfolio_measures, status_counts, trend
from permits.schedule import derive_milestones
from permits.site_links import link_projects
from permits.summary import project_summary
from store.db import bump_revision, get_engine, migrate
from store.permits_repo import import_permit_data
from store.seed import read_sites

AS_OF = date(2026, 11, 25)
N_PROJECTS = int(os.environ.get("PERMITMAP_BENCH_PROJECTS", "10000"))
NAIVE_IMPORT_ROWS = 5_000


def main() -> int:
    """Build the record once, run the three parts, print their tables."""
    started = time.perf_counter()
    data, sites = synthetic_record(N_PROJECTS)
    n = len(data.milestones)
    label = f"{N_PROJECTS:,} projects, {len(data.actions):,} actions, {n:,} milestones"
    _progress(f"A. derived state on {label}")
    table_a = _derive_table(data)
    _progress("B. portfolio measures")
    table_b = _portfolio_table(data, sites)
    with tempfile.TemporaryDirectory(prefix="permitmap-permits-bench-") as tmp_name:
        _progress("B. portfolio page (AppTest)")
        table_b += _portfolio_page_rows(data, Path(tmp_name))
        _progress("C. dashboard import")
        table_c = _import_table(data, Path(tmp_name))
    print(f"permitmap permitting benchmark, {time.strftime('%Y-%m-%d %H:%M')}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}, "
          f"{time.perf_counter() - started:.0f} s in all\n")
    print(format_table(f"A. Derived state ({label}); naive = Python loop over records",
                       table_a))
    print()
    print(format_table("B. Portfolio page computation on the same record", table_b))
    print()
    print(format_table(f"C. Import of {n:,} dashboard CSV rows into a fresh SQLite store; "
                       "naive = one ORM insert per row", table_c))
    return 0


def _derive_table(data: PermitData) -> list[Row]:
    times = repeat(lambda: derive_milestones(data, AS_OF), 3)
    derived = derive_milestones(data, AS_OF)
    summary_times = repeat(lambda: project_summary(derived, data), 3)
    naive_started = time.perf_counter()
    naive = naive_derive(data, AS_OF)
    naive_s = time.perf_counter() - naive_started
    ours_states = derived["state"].astype(str).value_counts().to_dict()
    naive_states = pd.Series([r["state"] for r in naive]).value_counts().to_dict()
    agree = "same" if ours_states == naive_states else f"DIFFER: {naive_states}"
    both = median(times) + median(summary_times)
    return [
        goal_row("milestone state, slip, late days, flags, projection, critical path",
                 median(times), secs, 1.0, naive=secs(naive_s)),
        Row("project figures (percent complete, next, health)", secs(median(summary_times))),
        goal_row("both together (what a page needs)", both, secs, 1.0),
        Row("state counts, ours vs naive", agree),
    ]


def _portfolio_table(data: PermitData, sites: pd.DataFrame) -> list[Row]:
    derived = derive_milestones(data, AS_OF)

    def render() -> None:
        facts = milestone_facts(derived, data, sites)
        for by in GROUPINGS[:-1]:
            portfolio_measures(facts, data, by, AS_OF)
        trend(facts)
        status_counts(data)

    def one_grouping() -> None:
        facts = milestone_facts(derived, data, sites)
        portfolio_measures(facts, data, "agency", AS_OF)
        trend(facts)
        status_counts(data)

    return [
        goal_row("one render: facts + one grouping + trend + status counts",
                 median(repeat(one_grouping, 3)), secs, 1.0),
        Row("all five groupings at once", secs(median(repeat(render, 3)))),
    ]


def _portfolio_page_rows(data: PermitData, tmp: Path) -> list[Row]:
    """The portfolio page itself over a store holding the record: first and warm renders."""
    from sqlalchemy.orm import Session
    from streamlit.testing.v1 import AppTest

    from store.permits_repo import upsert_record
    from store.startup import ensure_store

    os.environ["PERMITMAP_DB_PATH"] = str(tmp / "page.db")
    os.environ["PERMITMAP_DATA_DIR"] = str(DATA_DIR)
    os.environ.pop("DATABASE_URL", None)
    engine = ensure_store(f"sqlite:///{tmp / 'page.db'}", DATA_DIR)
    with Session(engine) as session, session.begin():
        upsert_record(session, data, keep_edited=False)
        bump_revision(session)
    main = str(Path(__file__).resolve().parents[1] / "mapping" / "main.py")
    app = AppTest.from_file(main, default_timeout=600)
    first = timed(lambda: app.switch_page("pages/portfolio_page.py").run())
    if app.exception:
        raise RuntimeError(f"portfolio page failed: {app.exception}")
    warm = [timed(lambda: app.run()) for _ in range(3)]
    return [
        Row(f"portfolio page, first render (loads, derives {len(data.milestones):,})",
            secs(first)),
        goal_row("portfolio page, rerun (AppTest, record cached)", median(warm), secs, 1.0),
    ]


def _import_table(data: PermitData, tmp: Path) -> list[Row]:
    csv_path = tmp / "dashboard.csv"
    write_s = timed(lambda: _dashboard_csv(data).to_csv(csv_path, index=False))
    engine = _empty_store(tmp / "import.db")
    rows: dict[str, float] = {}
    bundled_sites = pd.DataFrame(read_sites(DATA_DIR / "sites.csv"))

    def run_import() -> None:
        t0 = time.perf_counter()
        batch = read_dashboard(csv_path)
        rows["read"] = time.perf_counter() - t0
        # Against the bundled sites, as a real import would be.
        links = link_projects(batch.projects, bundled_sites)
        rows["link"] = time.perf_counter() - t0 - rows["read"]
        site_ids = batch.projects["project_id"].map(links.site_ids).astype(object).fillna("")
        record = PermitData.from_frames(batch.projects.assign(site_id=site_ids), batch.actions,
                                        batch.milestones)
        import_permit_data(engine, record, principal=OPEN_ACCESS, who="bench",
                           file_name=csv_path.name, checksum="b", rows_read=batch.rows_read,
                           report={})

    first = timed(run_import)
    read_s, link_s = rows["read"], rows["link"]
    again = timed(run_import)
    naive_s = _naive_import(tmp, data)
    n = len(data.milestones)
    scaled = naive_s * n / NAIVE_IMPORT_ROWS
    return [
        Row("write the CSV (setup, not timed below)",
            f"{csv_path.stat().st_size / 1e6:.0f} MB, {secs(write_s)}"),
        goal_row("import into an empty store (read + link + diff + write)", first, secs, 30.0,
                 naive=f"{secs(scaled)} (est.)"),
        Row("  of which reading and checking the file", secs(read_s)),
        Row("  of which linking projects to sites", secs(link_s)),
        goal_row("re-import of the same file (nothing changed, nothing written)", again, secs,
                 30.0),
        Row(f"naive: {NAIVE_IMPORT_ROWS:,} rows one ORM insert each, measured", secs(naive_s)),
    ]


def _dashboard_csv(data: PermitData) -> pd.DataFrame:
    """The record as the dashboard's CSV export: one row per project × action × milestone."""
    ms = data.milestones.merge(data.actions, on=["action_id", "project_id"],
                               suffixes=("", "_action"))
    ms = ms.merge(data.projects, on="project_id", suffixes=("", "_project"))
    raw = {
        "project_id": ms["project_id"], "project_title": ms["title"],
        "project_field_project_status": ms["status_project"], "project_sector": "Mining",
        "action_id": ms["action_id"], "action_type": ms["action_type"],
        "action_status": ms["status"], "action_agency": ms["agency"],
        "milestone_id": ms["milestone_id"], "action_milestone_name": ms["name"],
        "milestone_type": ms["milestone_type"],
        "action_milestone_baseline_target": ms["baseline_target"].dt.strftime("%m/%d/%Y"),
        "action_milestone_completion_target": ms["current_target"].dt.strftime("%m/%d/%Y"),
        "action_milestone_completion_actual": ms["actual_completion"].dt.strftime("%m/%d/%Y"),
        "action_milestone_complete": ms["complete"].map({True: "Yes", False: "No"}),
        "dependency_milestone_id": ms["depends_on"],
        "milestone_reason_for_date_change": ms["reason_for_change"],
    }
    return pd.DataFrame({FIELDS.get(k) or k: v for k, v in raw.items()})


def _naive_import(tmp: Path, data: PermitData) -> float:
    """Row-by-row ORM-style inserts of the first NAIVE_IMPORT_ROWS milestones."""
    from sqlalchemy.orm import Session

    from store.permit_tables import permit_milestones

    engine = _empty_store(tmp / "naive.db")
    rows = data.milestones.head(NAIVE_IMPORT_ROWS).to_dict("records")
    started = time.perf_counter()
    with Session(engine) as session:
        for row in rows:
            values = {k: (None if pd.isna(v) else (v.date() if isinstance(v, pd.Timestamp)
                                                    else v))
                      for k, v in row.items() if k in permit_milestones.c}
            values["version"] = 1
            session.execute(permit_milestones.insert().values(**values))
            session.commit()
    return time.perf_counter() - started


def _empty_store(path: Path) -> Engine:
    engine = get_engine(f"sqlite:///{path}")
    migrate(engine)
    return engine


def _progress(text: str) -> None:
    print(f"… {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
