"""Table C: the deposit view index alone on a million synthetic points, against a pandas filter
of the whole frame per view that sends every matching point."""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from bench_support import Row, median, millis, secs, size, timed

from domain.bbox import BBox
from domain.deposit_view import PointFilter
from domain.vocab import COMMODITY_NAMES
from sites.point_index import PointIndex

POINTS = 1_000_000
POINT_LIMIT = 2000
RUNS = 5
SAMPLE_ABOVE = 100_000  # naive JSON sizes above this many features are estimated
# name, share of the points, west, south, east, north
REGIONS = (
    ("United States", 0.60, -124.5, 25.0, -67.0, 49.0),
    ("Japan", 0.10, 129.5, 31.0, 145.5, 45.5),
    ("Australia", 0.30, 113.5, -43.5, 153.5, -11.0),
)
STATUS_MIX = {"occurrence": 0.38, "prospect": 0.24, "past producer": 0.16, "producer": 0.05,
              "exploration": 0.05, "unknown": 0.12}
COMMODITY_MIX = {"Au": 0.22, "Cu": 0.14, "Ag": 0.12, "Pb": 0.07, "Zn": 0.07, "Fe": 0.05,
                 "Mn": 0.04, "U": 0.04, "W": 0.03, "Mo": 0.03, "Li": 0.03, "Ni": 0.03,
                 "REE": 0.02, "Co": 0.02, "Sn": 0.02, "Sb": 0.02, "graphite": 0.01,
                 "F": 0.02, "Ba": 0.02}
# name, bbox, zoom: what a browser window of about 1000 x 600 pixels shows
VIEWS = (
    ("world", BBox(-180, -85, 180, 85), 2),
    ("state (Nevada)", BBox(-120.0, 35.0, -114.0, 42.0), 6),
    ("city (Reno)", BBox(-120.1, 39.35, -119.6, 39.7), 10),
)
# label, commodity, markings the asker may receive (none: every marking, the full clearance)
FILTERS = (("all", "", ()), ("Li", "Li", ()), ("all, public clearance", "", ("public",)))
MARKED_EVERY = 100  # one point in a hundred is business-proprietary


def synthetic_points(n: int, seed: int = 7) -> pd.DataFrame:
    """``n`` deposits spread over the US, Japan and Australia with MRDS-like mixes."""
    rng = np.random.default_rng(seed)
    shares = np.array([r[1] for r in REGIONS])
    region = rng.choice(len(REGIONS), size=n, p=shares / shares.sum())
    west, south, east, north = (np.array([r[k] for r in REGIONS]) for k in range(2, 6))
    statuses = list(STATUS_MIX)
    status_p = np.array(list(STATUS_MIX.values()))
    return pd.DataFrame({
        "id": np.arange(1, n + 1, dtype=np.int64),
        "lat": rng.uniform(south[region], north[region]),
        "lon": rng.uniform(west[region], east[region]),
        "dev_status": np.array(statuses, dtype=object)[
            rng.choice(len(statuses), size=n, p=status_p / status_p.sum())],
        "commodities": _commodity_lists(rng, n),
        "country": np.array([r[0] for r in REGIONS], dtype=object)[region],
        "name": [f"Synthetic deposit {i}" for i in range(1, n + 1)],
        "marking_rank": (np.arange(n) % MARKED_EVERY == 0).astype(np.int8),
    })


def _commodity_lists(rng: np.random.Generator, n: int) -> np.ndarray:
    """One to three codes per point (``Au;Ag``), drawn from a pool of weighted combinations."""
    codes = list(COMMODITY_MIX)
    weights = np.array(list(COMMODITY_MIX.values()))
    weights = weights / weights.sum()
    pool = np.array([
        ";".join(rng.choice(codes, size=k, replace=False, p=weights))
        for k in rng.choice([1, 2, 3], size=3000, p=[0.5, 0.3, 0.2])
    ], dtype=object)
    return pool[rng.integers(0, len(pool), size=n)]


def write_synthetic_mrds_csv(path: Path, n: int) -> Path:
    """A synthetic table in the MRDS WKT layout the importer reads (when real data is absent)."""
    frame = synthetic_points(n, seed=11)
    columns = ["country", "ms_uri", "record_id", "state_or_province", "location", "crs",
               "other_names", "site_name", "commodity", "deposit_type"]
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        columns_used = (frame[c].tolist() for c in ("id", "lon", "lat", "country", "name",
                                                     "commodities"))
        for i, lon, lat, country, name, codes in zip(*columns_used, strict=True):
            names = ",".join(COMMODITY_NAMES[c] for c in codes.split(";"))
            writer.writerow([country, f"synthetic:{i}", f"SYN{i}", "", f"POINT ({lon} {lat})",
                             "EPSG:4326", "", name, names, "synthetic"])
    return path


def index_table() -> list[Row]:
    """Build the index on a million points and time each view against the naive filter."""
    frame = synthetic_points(POINTS)
    build_s = timed(lambda: PointIndex.from_frame(frame))
    index = PointIndex.from_frame(frame)
    rows = [
        Row(f"build index ({len(index):,} points)", secs(build_s), "- (uses the frame)"),
        Row("memory (index arrays / pandas frame)", size(index_bytes(index)),
            size(frame.memory_usage(deep=True).sum())),
    ]
    for view, bbox, zoom in VIEWS:
        for label, code, markings in FILTERS:
            rows += _view_rows(index, frame, f"{view}, {label}", bbox, zoom, code, markings)
    return rows


def index_bytes(index: PointIndex) -> int:
    """Approximate bytes held by the index: arrays, category codes, strings, inverted index."""
    arrays = [index.ids, index.lat, index.lon, index.status.codes, index.country.codes,
              *index._by_commodity.values()]
    total = sum(a.nbytes for a in arrays)
    for strings in (index.names, index.commodities):
        step = max(1, len(strings) // 10_000)
        sample = sum(sys.getsizeof(s) for s in strings[::step])
        total += strings.nbytes + sample * step
    return int(total)


def _view_rows(index: PointIndex, frame: pd.DataFrame, name: str, bbox: BBox, zoom: int,
               code: str, markings: tuple[str, ...] = ()) -> list[Row]:
    """Rows for one view: query time first and cached, features returned, JSON bytes."""
    filters = PointFilter(commodities=(code,) if code else (), markings=markings)
    first = []
    for _ in range(RUNS):
        PointIndex._cached_mask.cache_clear()
        first.append(timed(lambda: index.query(bbox, zoom, filters, POINT_LIMIT)))
    cached = [timed(lambda: index.query(bbox, zoom, filters, POINT_LIMIT)) for _ in range(RUNS)]
    body = index.query(bbox, zoom, filters, POINT_LIMIT)
    naive_s, naive_features, naive_bytes = _naive_view(frame, bbox, code, bool(markings))
    meta = body["meta"]
    return [
        Row(f"{name}: query ms (first / cached mask)",
            f"{millis(median(first) * 1e3)} / {millis(median(cached) * 1e3)}",
            millis(naive_s * 1e3)),
        Row(f"{name}: features returned", f"{meta['returned']:,} {meta['mode']}",
            f"{naive_features:,} points"),
        Row(f"{name}: JSON response", size(len(_json(body))), naive_bytes),
    ]


def _naive_view(frame: pd.DataFrame, bbox: BBox, code: str,
                public_only: bool = False) -> tuple[float, int, str]:
    """Median seconds to filter the whole frame and build every feature; features; bytes."""
    runs = 1 if bbox.east - bbox.west > 100 else RUNS
    times = []
    features: list[dict[str, Any]] = []
    for _ in range(runs):
        started = time.perf_counter()
        features = naive_features(frame, bbox, code, public_only)
        times.append(time.perf_counter() - started)
    return median(times), len(features), _json_size(features)


def naive_features(frame: pd.DataFrame, bbox: BBox, code: str,
                   public_only: bool = False) -> list[dict[str, Any]]:
    """What a plain pandas endpoint does: filter the frame, send every matching point."""
    inside = frame.lon.between(bbox.west, bbox.east) & frame.lat.between(bbox.south, bbox.north)
    if public_only:
        inside &= frame.marking_rank == 0
    if code:
        inside &= frame.commodities.str.contains(rf"(?:^|;){code}(?:;|$)", regex=True)
    chosen = frame[inside]
    columns = (chosen[c].tolist() for c in ("id", "lon", "lat", "name", "dev_status",
                                            "commodities"))
    return [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
         "properties": {"kind": "deposit", "id": i, "name": name, "status": status,
                        "commodities": commodities}}
        for i, lon, lat, name, status, commodities in zip(*columns, strict=True)
    ]


def _json_size(features: list[dict[str, Any]]) -> str:
    """Bytes of the FeatureCollection; past 100,000 features estimated from a 20,000 sample."""
    if len(features) <= SAMPLE_ABOVE:
        return size(len(_json({"type": "FeatureCollection", "features": features})))
    step = len(features) // 20_000
    sample = len(_json({"type": "FeatureCollection", "features": features[::step]}))
    return f"~{size(sample * len(features) / len(features[::step]))} (est.)"


def _json(body: dict[str, Any]) -> bytes:
    """The response body as /api/deposits encodes it."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
