"""Benchmark the permitmap map against the naive folium approach, in one run; print tables.

Run from the repository root: ``.venv/bin/python benchmarks/map_bench.py`` (``make bench``).
A. bundled data: cold start to the first map, filter changes and a site opened from the
   sidebar in Chromium (sites redrawn in the map already shown), the script rerun in AppTest;
B. 8,079 MRDS deposits imported: first visit, filter changes (to the new site markers and the
   deposits' next load), sites opened, pans, bytes sent; the same with a naive map;
C. the view index alone on 1,000,000 synthetic points against a pandas filter per view
   (left out when ``MAP_BENCH_SKIP_INDEX=1``, for a quick run).
The "before" column holds the figures of the code before the map was kept across reruns.
Exits 0 when a goal is missed (the table says so); non-zero only when something crashes.
"""

from __future__ import annotations

import datetime
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import bench_app
import bench_deposits
import bench_index
from bench_support import Row, chromium, format_table, secs, streamlit_server


def main() -> int:
    """Run the three parts and print their tables."""
    started = time.perf_counter()
    load_before = os.getloadavg()
    with_index = os.environ.get("MAP_BENCH_SKIP_INDEX", "") != "1"
    with tempfile.TemporaryDirectory(prefix="permitmap-bench-") as tmp_name:
        tmp = Path(tmp_name)
        env = bench_app.use_store(tmp / "bench.db")  # for the server and in-process measures
        table_a, table_b, data_label = _browser_tables(tmp, env)
    table_c: list[Row] = []
    if with_index:
        _progress("C. index on synthetic points")
        table_c = bench_index.index_table()
    print(_heading(time.perf_counter() - started, load_before))
    print(format_table("A. Bundled data (data/ seeded into a temporary SQLite store)", table_a))
    print()
    print(format_table(f"B. With {data_label} imported; naive = folium.GeoJson of every "
                       "deposit", table_b))
    if with_index:
        print()
        print(format_table(f"C. View index alone, {bench_index.POINTS:,} synthetic points "
                           "(naive = pandas filter of the frame + every feature)", table_c))
    else:
        print("\n(C. view index left out: MAP_BENCH_SKIP_INDEX=1)")
    return 0


def _browser_tables(tmp: Path, env: dict[str, str]) -> tuple[list[Row], list[Row], str]:
    """Tables A and B: everything that needs the store, a Streamlit server and Chromium."""
    seed_s = bench_app.seed_store(env)
    with chromium() as browser:
        run = bench_app.BenchRun(browser, env, tmp)
        try:
            _progress("A1. cold starts")
            table_a = [Row("seed the store (permitmap db init)", secs(seed_s)),
                       *bench_app.start_rows(run)]
            with streamlit_server(env, tmp / "app.log") as server:
                server.wait_healthy()
                _progress("A2. filter changes, sites opened, AppTest reruns")
                table_a += bench_app.filter_change_rows(run, server)
                table_a += bench_app.selection_rows(run, server)
                table_a += bench_app.apptest_rows()
                _progress("B. import, first visit, filter changes, sites opened, pans, naive")
                data_label, import_s = bench_deposits.import_deposits(run)
                table_b = [Row(f"import ({data_label})", secs(import_s)),
                           *bench_deposits.deposit_rows(run, server)]
        finally:
            for error in run.errors[:10]:
                print(f"browser script error: {error}", file=sys.stderr)
    if run.errors:
        table_b.append(Row("browser script errors (printed on stderr)", str(len(run.errors))))
    return table_a, table_b, data_label


def _heading(seconds: float, load_before: tuple[float, float, float]) -> str:
    """When, where, how long, and how busy the machine was."""
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    load = f"{load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after"
    return (f"permitmap map benchmark, {now}, {platform.node()} ({os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}), {seconds:.0f} s in all, load average {load}\n")


def _progress(step: str) -> None:
    """One line on stderr so a long run shows where it is."""
    print(f"{step} ...", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
