"""Benchmark exporting a site selection: every format, against the plain geopandas calls.

Run from the repository root: ``.venv/bin/python benchmarks/export_bench.py``.
100,000 synthetic sites (points, 12 attributes including a list column, a date, a
time-zoned timestamp, Japanese names, missing values) go through ``export_features`` for each
format. GeoJSON is compared with ``GeoDataFrame.to_json()`` and GeoPackage with
``GeoDataFrame.to_file(..., driver="GPKG")`` (both given the same frame with the list column
joined to text, as they cannot write lists; ``to_json(default=str)`` for the dates). Best
of 3.
Exits 0 when a goal is missed (the table says so); non-zero only when something crashes.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

# isort: off
import layers  # noqa: F401  (first: sets GDAL_SKIP before pyogrio is imported)

# isort: on
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from bench_support import Row, format_table, goal_row, secs, size, timed

from domain.access import OPEN_ACCESS
from exports.export_file import ExportFormat
from exports.formats import export_features
from layers.features import Features

N = int(os.environ.get("PERMITMAP_BENCH_FEATURES", "100000"))
VIEW_SITES = 10_000
RUNS = 3
GOALS = {ExportFormat.GEOJSON: 3.0, ExportFormat.GPKG: 2.0}
NAMES = np.array(["秋田製錬所", "Thacker Pass", "Mountain Pass", "=HYPERLINK(x)", "Rhyolite Ridge"])
COMMODITIES = [["Li"], ["REE", "Nd"], ["Cu", "Au", "Ag"], [], ["Ni", "Co"]]


def main() -> int:
    """Build the sites once, time each format (ours and, where there is one, plain), print."""
    frame = _sites(N)
    plain = frame.assign(commodities=frame["commodities"].str.join("; "))
    with tempfile.TemporaryDirectory(prefix="permitmap-export-bench-") as tmp:
        naive = {ExportFormat.GEOJSON: lambda: plain.to_json(default=str),
                 ExportFormat.GPKG: lambda: plain.to_file(Path(tmp) / "plain.gpkg",
                                                          driver="GPKG", engine="pyogrio")}
        features = Features.of(frame)
        rows = [_row(features, fmt, naive.get(fmt)) for fmt in ExportFormat]
        rows += _endpoint_rows(Path(tmp))
    print(format_table(f"Exports: {N:,} sites, 12 attributes (best of {RUNS}); "
                       f"the URL endpoint over {VIEW_SITES:,} stored sites", rows))
    return 0


def _endpoint_rows(tmp: Path) -> list[Row]:
    """``GET /api/sites.geojson`` and ``.gpkg`` for a view holding all of 10,000 stored sites
    (warm caches, median of 5) against the same selection written with
    ``GeoDataFrame.to_json`` / ``to_file``; and the briefing pack of that view (no goal)."""
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    from starlette.testclient import TestClient

    from mapping import export_files
    from mapping.web import export_api
    from mapping.web.routes import starlette_app
    from tests.support.fixtures_data import SAMPLE_SITES, write_data_dir

    _progress(f"endpoint: seeding {VIEW_SITES:,} sites")
    rng = np.random.default_rng(3)
    template = SAMPLE_SITES[0]
    sites = [{**template, "id": f"us-site-{i}", "name": f"Site {i}",
              "lat": f"{rng.uniform(32, 45):.5f}", "lon": f"{rng.uniform(-120, -100):.5f}"}
             for i in range(VIEW_SITES)] + SAMPLE_SITES  # the permit record names these
    os.environ["PERMITMAP_DB_PATH"] = str(tmp / "endpoint.db")
    os.environ["PERMITMAP_DATA_DIR"] = str(write_data_dir(tmp / "data", sites=sites))
    os.environ.pop("DATABASE_URL", None)
    client = TestClient(starlette_app())
    url = "/api/sites.geojson?bbox=-125,30,-95,46"
    first = client.get(url).json()  # warms the caches
    assert len(first.get("features", [])) >= VIEW_SITES, first
    ours = _median(lambda: client.get(url))
    selection = export_api.selection_from({"bbox": "-125,30,-95,46"}, dt.date.today(),
                                          OPEN_ACCESS)

    def naive() -> None:
        frame = export_files.selected_frame(selection, OPEN_ACCESS).to_geodataframe()
        frame.assign(**{c: frame[c].map(str) for c in ("commodities", "commodity_names",
                                                       "other_stages")}).to_json(default=str)

    def naive_gpkg() -> None:
        frame = export_files.selected_frame(selection, OPEN_ACCESS).to_geodataframe()
        frame.assign(**{c: frame[c].map(str) for c in ("commodities", "commodity_names",
                                                       "other_stages")}).to_file(
            tmp / "naive.gpkg", driver="GPKG", engine="pyogrio")

    gpkg_url = url.replace("sites.geojson", "sites.gpkg")
    assert client.get(gpkg_url).status_code == 200
    briefing_url = url.replace("sites.geojson", "briefing.zip")
    assert client.get(briefing_url).status_code == 200
    return [
        goal_row(f"GET /api/sites.geojson, view of {VIEW_SITES:,} sites", ours, secs, 0.5,
                 naive=secs(_median(naive))),
        Row(f"GET /api/sites.gpkg, view of {VIEW_SITES:,} sites",
            secs(_median(lambda: client.get(gpkg_url))), naive=secs(_median(naive_gpkg))),
        Row(f"GET /api/briefing.zip, view of {VIEW_SITES:,} sites",
            secs(_median(lambda: client.get(briefing_url)))),
    ]


def _median(action: Callable[[], object]) -> float:
    return sorted(timed(action) for _ in range(5))[2]


def _row(features: Features, fmt: ExportFormat, naive: object) -> Row:
    sizes: list[int] = []

    def ours() -> None:
        sizes.append(len(export_features(features, fmt, stem="sites").data))

    ours_s = min(timed(ours) for _ in range(RUNS))
    plain_s = secs(min(timed(naive) for _ in range(RUNS))) if callable(naive) else "-"
    _progress(f"{fmt}: {secs(ours_s)}, {size(sizes[-1])}")
    label = f"{fmt.value} ({size(sizes[-1])})"
    if fmt in GOALS:
        return goal_row(label, ours_s, secs, GOALS[fmt], naive=plain_s)
    return Row(label, secs(ours_s), plain_s)


def _sites(n: int) -> gpd.GeoDataFrame:
    """``n`` sites over the world; every 50th without a location."""
    rng = np.random.default_rng(11)
    points = shapely.points(rng.uniform(-180, 180, n), rng.uniform(-85, 85, n))
    points[::50] = None
    days = rng.integers(0, 3650, n)
    grade = rng.uniform(0, 5, n)
    grade[::7] = np.nan
    return gpd.GeoDataFrame({
        "id": [f"site-{i:06d}" for i in range(n)],
        "name": NAMES[np.arange(n) % len(NAMES)],
        "operator": np.array(["Alpha Lithium", "Beta Rare Earths", "ガンマ鉱業"])[np.arange(n) % 3],
        "state": np.array(["NV", "CA", "AK", "秋田県"])[np.arange(n) % 4],
        "commodities": pd.Series([COMMODITIES[i % 5] for i in range(n)], dtype=object),
        "stage": np.array(["exploration", "permitting", "construction"])[np.arange(n) % 3],
        "next_milestone_date": [dt.date(2024, 1, 1) + dt.timedelta(days=int(d)) for d in days],
        "updated": pd.Timestamp("2026-01-01", tz="Asia/Tokyo") + pd.to_timedelta(days, "h"),
        "grade": grade,
        "tonnes": rng.integers(0, 10_000_000, n),
        "area_ha": rng.uniform(1, 1000, n).round(2),
        "federal_land": rng.random(n) > 0.5,
    }, geometry=points, crs="EPSG:4326")


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
