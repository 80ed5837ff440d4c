"""Benchmark the cross-walk (issue 18: the 8,079 MRDS records against the curated data
<= 5 s) against the naive way, in one run.

Run from the repository root: ``.venv/bin/python benchmarks/crosswalk_bench.py``.
Ours: record ids looked up, names compared only within the distance (one vectorised
haversine per curated record), as ``sites.crosswalk`` does. Naive: every curated deposit's
and site's name compared with every record's (then the distance checked), as a first
version would. Both find the same links. Also the whole refresh in a store: import the MRDS
table into a fresh SQLite store, then ``refresh_crosswalk`` (links stored, same places
marked, caches told). Needs ``../shared/realdata`` (the real MRDS extract).
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date
from pathlib import Path

import pandas as pd
from bench_support import Row, format_table, goal_row, median, repeat, secs, timed

from domain.access import OPEN_ACCESS
from domain.settings import DATA_DIR
from permits.site_links import NAME_THRESHOLD, distances_km
from sites.crosswalk import (
    DEPOSIT_KM,
    SITE_KM,
    best_similarity,
    deposit_links,
    site_deposit_links,
    spellings,
)

MRDS = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "deposits" / \
    "minmod_mrds_sites_8079.csv"
GOAL_S = 5.0
RUNS = 3


def naive(curated: pd.DataFrame, records: pd.DataFrame, sites: pd.DataFrame) -> int:
    """Every name against every name, then the distance: how many alike pairs are close."""
    theirs = [spellings(n, o) for n, o in zip(records["name"], records["other_names"],
                                                  strict=True)]
    found = 0
    for frame, max_km in ((curated, DEPOSIT_KM), (sites, SITE_KM)):
        for row in frame.to_dict("records"):
            mine = spellings(row["name"], row.get("other_names"))
            for i, variants in enumerate(theirs):
                if best_similarity(mine, variants)[0] >= NAME_THRESHOLD:
                    km = distances_km(float(row["lat"]), float(row["lon"]),
                                      records["lat"].to_numpy(float)[i:i + 1],
                                      records["lon"].to_numpy(float)[i:i + 1])[0]
                    found += bool(km <= max_km)
    return found


def main() -> int:
    if not MRDS.is_file():
        print(f"needs {MRDS} (the real-data folder beside the repository)")
        return 1
    from sites.deposit_tables import read_deposit_table

    table = read_deposit_table(MRDS).records
    curated = pd.read_csv(DATA_DIR / "deposits.csv", dtype=str, keep_default_na=False)
    sites = pd.read_csv(DATA_DIR / "sites.csv", dtype=str, keep_default_na=False)
    sites = sites[(sites["lat"] != "") & (sites["lon"] != "")]
    table = table.assign(dataset="usgs-mrds")
    every = pd.concat([curated, table], ignore_index=True)
    ours = repeat(lambda: deposit_links(curated, table) + site_deposit_links(sites, every), RUNS)
    links = deposit_links(curated, table) + site_deposit_links(sites, every)
    naive_s = timed(lambda: naive(curated, table, sites))
    rows = [goal_row(f"links of {len(table):,} MRDS records, {len(curated)} curated deposits "
                     f"and {len(sites)} located sites ({len(links)} found), median of {RUNS}",
                     median(ours), secs, GOAL_S, naive=f"{secs(naive_s)} (every name pair)")]
    with tempfile.TemporaryDirectory() as folder:
        os.environ["PERMITMAP_DB_PATH"] = str(Path(folder) / "bench.db")
        os.environ.pop("DATABASE_URL", None)
        from commands.main import main as permitmap
        from services.crosswalk import refresh_crosswalk
        from store.startup import ensure_store

        engine = ensure_store(f"sqlite:///{Path(folder) / 'bench.db'}", DATA_DIR)
        permitmap(["deposits", "import", str(MRDS)])
        first = timed(lambda: refresh_crosswalk(engine, principal=OPEN_ACCESS))
        again = timed(lambda: refresh_crosswalk(engine, principal=OPEN_ACCESS))
    rows += [goal_row("the whole refresh in a SQLite store (find, store, mark same places)",
                      first, secs, GOAL_S),
             Row("  the same again (nothing new)", secs(again))]
    print(f"cross-walk benchmark, {date.today().isoformat()}, load {os.getloadavg()[0]:.2f}")
    print(format_table("Cross-walk: ours (distance first) against every name pair", rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
