"""Benchmark the chokepoint view (issue 18: <= 0.3 s) against the naive way, in one run.

Run from the repository root: ``.venv/bin/python benchmarks/chokepoints_bench.py``.
Ours: one mask per commodity, stage, region and status, cells as their intersections
(``sites.chokepoints.chokepoint_table``). Naive: the map's filter run once per cell and status
(``sites.filters.filter_sites``). Both on the bundled sites and on synthetic tables of 10,000
and 100,000 sites drawn from the bundled ones' vocabularies; the two answers are compared
(the naive way not on 100,000: it takes minutes).
Also the page itself: the chokepoints page's rerun in AppTest on the bundled data.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from bench_support import Row, format_table, goal_row, median, repeat, secs

from domain.settings import DATA_DIR
from sites.chokepoints import (
    CHAIN_STAGES,
    COUNTED,
    REGIONS,
    STATES,
    cell_filter,
    chokepoint_table,
    read_regions,
)
from sites.filters import SiteFilter, filter_sites

GOAL_S = 0.3
RUNS = 5


def synthetic(sites: pd.DataFrame, n: int, seed: int = 18) -> pd.DataFrame:
    """``n`` sites whose commodities, stages, statuses and countries are drawn from the
    bundled sites' own rows (so the mix of vocabularies is the real one)."""
    rows = sites[["commodities", "stage", "other_stages", "status", "country"]].fillna("")
    picks = np.random.default_rng(seed).integers(0, len(rows), n)
    frame = rows.iloc[picks].reset_index(drop=True)
    frame.insert(0, "id", [f"s{i}" for i in range(n)])
    return frame


def naive_table(sites: pd.DataFrame, regions: dict[str, str]) -> pd.DataFrame:
    """Every cell by the map's filter: one filter per commodity, stage, region and state."""
    sites = sites.fillna("")
    counted = sites[sites["status"].isin(COUNTED)]
    codes = sorted({c for t in counted["commodities"] for c in t.split(";") if c})
    rows = []
    for code in codes:
        for stage in CHAIN_STAGES:
            anywhere = filter_sites(sites, SiteFilter(commodities=(code,), stages=(stage.value,),
                                                      statuses=COUNTED))
            if anywhere.empty:
                continue
            for region in REGIONS:
                found = cell_filter(code, stage.value, region, sites, regions)
                counts = {state: len(filter_sites(sites, SiteFilter(
                    commodities=(code,), stages=(stage.value,), statuses=tuple(statuses),
                    countries=found.countries))) if found.countries else 0
                    for state, statuses in STATES.items()}
                rows.append({"commodity": code, "stage": stage.value, "region": region,
                             **counts})
    return pd.DataFrame(rows)


def table_rows(label: str, sites: pd.DataFrame, regions: dict[str, str],
               naive_runs: int) -> list[Row]:
    """Ours (median of RUNS) and, when ``naive_runs``, the naive way and whether both agree
    (the naive way takes minutes on 100,000 sites: left out there)."""
    ours = repeat(lambda: chokepoint_table(sites, regions), RUNS)
    a = chokepoint_table(sites, regions)[["commodity", "stage", "region", "producing",
                                          "construction", "permitting"]]
    if not naive_runs:
        return [goal_row(f"{label}: the table ({len(a)} cells), median of {RUNS}",
                         median(ours), secs, GOAL_S, naive="- (minutes)")]
    naive = repeat(lambda: naive_table(sites, regions), naive_runs)
    b = naive_table(sites, regions)
    same = a.reset_index(drop=True).equals(b[a.columns].reset_index(drop=True))
    return [
        goal_row(f"{label}: the table ({len(a)} cells), median of {RUNS}", median(ours), secs,
                 GOAL_S, naive=f"{secs(median(naive))} (median of {naive_runs})"),
        Row(f"{label}: the same counts as the naive way", "yes" if same else "NO"),
    ]


def page_rows() -> list[Row]:
    """The chokepoints page's rerun in AppTest (region switched), bundled data."""
    from streamlit.testing.v1 import AppTest

    with tempfile.TemporaryDirectory() as folder:
        os.environ["PERMITMAP_DB_PATH"] = str(Path(folder) / "bench.db")
        os.environ.pop("DATABASE_URL", None)
        at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "mapping" / "main.py"),
                               default_timeout=120).run()
        at.switch_page("pages/chokepoints_page.py").run()
        times = []
        for region in ("Japan", "partner", "United States", "rest") * 2:
            times += repeat(lambda r=region: at.radio(key="chokepoint_region").set_value(r).run(),
                            1)
        if at.exception:
            raise RuntimeError(f"the page failed: {at.exception}")
    return [goal_row("the page's rerun in AppTest (region switched), median of 8",
                     median(times), secs, GOAL_S)]


def main() -> int:
    sites = pd.read_csv(DATA_DIR / "sites.csv", dtype=str, keep_default_na=False)
    regions = read_regions(DATA_DIR / "regions.csv")
    rows = table_rows(f"bundled {len(sites)} sites", sites, regions, RUNS)
    rows += table_rows("10,000 synthetic sites", synthetic(sites, 10_000), regions, 1)
    rows += table_rows("100,000 synthetic sites", synthetic(sites, 100_000), regions, 0)
    rows += page_rows()
    print(f"chokepoints benchmark, {date.today().isoformat()}, load {os.getloadavg()[0]:.2f}")
    print(format_table("Chokepoint view: ours (masks) against the map's filter per cell", rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
