"""Benchmark the shared deployment (PostgreSQL/PostGIS, app processes, HAProxy in front) against
the single ``permitmap serve`` process on SQLite, in one run; print tables.

Run from the repository root::

    .venv/bin/python benchmarks/shared_bench.py        # 1,000,000 deposits, 25 sessions, 2 min
    .venv/bin/python benchmarks/shared_bench.py --rows 100000 --seconds 30 --sessions 10

1. Setup: N synthetic deposits (dense clusters in Nevada, the western US, Australia, Japan and
   Chile over a uniform background; statuses and commodities from ``domain.vocab``) written as
   an MRDS-style CSV and imported with the real command (``python -m commands deposits import
   FILE --dataset bench``) into the shared deployment's database (``DATABASE_URL``) and,
   separately, into a SQLite file (``PERMITMAP_DB_PATH``).
2. Single requests through HTTP with no other load: ``/api/deposits`` at world, state and city
   views, without a filter, ``commodity=Li`` and ``status=producer``.
3. Load: ``--sessions`` simultaneous sessions for ``--seconds``: ``--browsers`` real Chromium
   pages (each its own browser context: open the map, a site's timeline, the map again, change
   the commodity filter; "page ready" timed per step) and HTTP clients (each with its own
   cookie jar, so the balancer pins it) that pan and zoom ``/api/deposits`` at world, state and
   city level (some with filters), fetch ``/api/sites.geojson`` with filters and
   ``/api/health``, with a think time between actions as a person has.
4. Memory: the resident size (VmRSS) of every app process after that browsing, with the
   largest seen during the load and the process's lifetime peak (VmHWM).

The two setups run one after the other (never at the same time) on the same machine; the load
generator (Python threads and Chromium) shares the machine's CPUs with the servers, and the
tables say how much CPU each part took. Progress goes to stderr, the tables to stdout. Exits 0
when a goal is missed (the ``met?`` column says NO); non-zero only when something crashes.
Everything lives in a temporary folder that is removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime
import functools
import http.cookiejar
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from bench_support import text_table
from playwright.async_api import Browser, Page, Response, async_playwright

from deploy.balancer import SERVED_BY, STICKY_COOKIE
from deploy.processes import free_port, stop, wait_until_healthy
from deploy.shared import SharedDeployment, running_shared
from domain.vocab import COMMODITY_NAMES, DevStatus

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [  # as tests/browser/conftest.py launches it
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 900}
DATASET = "bench"
STARTUP_SECONDS = 180.0
HTTP_TIMEOUT_S = 60.0
BROWSER_TIMEOUT_MS = 60_000
SINGLE_RUNS = 5
MEMORY_GOAL_MB = 300.0
ROUTE_GOAL_S = 0.5
PAGE_READY_GOAL_S = 3.0

# --- synthetic deposits ------------------------------------------------------------------------

# region, country, state, share of the deposits, and its districts: lon, lat, sigma lon, sigma
# lat, weight within the region, lithium-rich
REGIONS: tuple[tuple[str, str, str, float, tuple[tuple[float, ...], ...]], ...] = (
    ("Nevada", "United States", "Nevada", 0.22, (
        (-116.2, 40.8, 0.45, 0.35, 3, 0),   # Carlin trend
        (-117.0, 40.5, 0.40, 0.30, 2, 0),   # Battle Mountain
        (-119.65, 39.35, 0.25, 0.20, 2, 0),  # Comstock, Reno
        (-117.6, 37.85, 0.35, 0.25, 1, 1),  # Clayton Valley, Tonopah
        (-117.9, 41.9, 0.25, 0.20, 1, 1),   # McDermitt caldera
        (-117.0, 38.5, 1.60, 1.80, 3, 0),   # the rest of the state
    )),
    ("western US", "United States", "", 0.18, (
        (-111.0, 33.0, 1.00, 0.80, 3, 0),   # Arizona copper
        (-106.5, 39.0, 0.80, 0.60, 2, 0),   # Colorado mineral belt
        (-114.5, 45.5, 1.20, 0.90, 2, 0),   # Idaho, Montana
        (-120.5, 38.0, 0.50, 0.80, 2, 0),   # Mother Lode, California
        (-112.5, 39.5, 0.70, 0.70, 1, 0),   # Utah
        (-81.3, 35.3, 0.60, 0.50, 1, 1),    # Carolina tin-spodumene belt
    )),
    ("Australia", "Australia", "", 0.22, (
        (121.5, -30.7, 1.00, 0.80, 4, 0),   # Kalgoorlie, Yilgarn
        (118.8, -21.3, 1.20, 0.70, 2, 1),   # Pilbara
        (139.5, -20.7, 0.60, 0.80, 1, 0),   # Mount Isa
        (141.5, -31.9, 0.50, 0.50, 1, 0),   # Broken Hill
        (144.0, -37.0, 0.60, 0.40, 2, 0),   # Victorian goldfields
    )),
    ("Japan", "Japan", "", 0.10, (
        (142.8, 43.3, 1.00, 0.60, 2, 0),    # Hokkaido
        (140.5, 39.8, 0.60, 0.90, 3, 0),    # Tohoku, Akita
        (130.8, 32.8, 0.50, 0.50, 2, 0),    # Kyushu
        (137.5, 36.2, 0.60, 0.50, 2, 0),    # Chubu
    )),
    ("Chile", "Chile", "", 0.08, (
        (-69.5, -24.0, 0.60, 2.00, 3, 1),   # Atacama
        (-70.5, -30.0, 0.50, 1.20, 1, 0),   # Coquimbo
    )),
)
BACKGROUND_SHARE = 0.20  # uniform over lon -180..180, lat -56..72, no country
STATUS_MIX = {
    DevStatus.OCCURRENCE: 0.36, DevStatus.PROSPECT: 0.22, DevStatus.PAST_PRODUCER: 0.14,
    DevStatus.PRODUCER: 0.05, DevStatus.EXPLORATION: 0.06, DevStatus.UNKNOWN: 0.10,
    DevStatus.FEASIBILITY: 0.015, DevStatus.PERMITTING: 0.01, DevStatus.PERMITTED: 0.005,
    DevStatus.CONSTRUCTION: 0.005, DevStatus.CARE_AND_MAINTENANCE: 0.01,
    DevStatus.ON_HOLD: 0.005, DevStatus.CANCELLED: 0.005,
}
COMMODITY_MIX = {"Au": 0.22, "Cu": 0.14, "Ag": 0.12, "Pb": 0.07, "Zn": 0.07, "Fe": 0.05,
                 "Mn": 0.04, "U": 0.04, "W": 0.03, "Mo": 0.03, "Li": 0.03, "Ni": 0.03,
                 "REE": 0.02, "Co": 0.02, "Sn": 0.02, "Sb": 0.02, "graphite": 0.01,
                 "F": 0.02, "Ba": 0.02}
KIND_WORDS = ("mine", "prospect", "claims", "deposit", "occurrence", "workings", "pit")


def districts() -> list[tuple[str, str, str, float, tuple[float, ...]]]:
    """Every district with its share of all deposits (background excluded)."""
    found = []
    for region, country, state, share, parts in REGIONS:
        total = sum(p[4] for p in parts)
        found += [(region, country, state, share * p[4] / total, p) for p in parts]
    return found


def synthetic_deposits(n: int, seed: int = 2026) -> pd.DataFrame:
    """``n`` deposits as an MRDS-style table (the columns ``permitmap deposits import`` reads)."""
    rng = np.random.default_rng(seed)
    parts = districts()
    weights = np.array([BACKGROUND_SHARE, *(p[3] for p in parts)])
    which = rng.choice(len(weights), size=n, p=weights / weights.sum())  # 0 = background
    centre = np.array([(0, 0, 0, 0, 0, 0), *(p[4] for p in parts)], dtype=float)
    lon = rng.normal(centre[which, 0], centre[which, 2])
    lat = rng.normal(centre[which, 1], centre[which, 3])
    background = which == 0
    lon[background] = rng.uniform(-180, 180, background.sum())
    lat[background] = rng.uniform(-56, 72, background.sum())
    lon = (lon + 180) % 360 - 180
    lat = np.clip(lat, -85, 85)
    countries = np.array(["", *(p[1] for p in parts)], dtype=object)
    states = np.array(["", *(p[2] for p in parts)], dtype=object)
    regions = np.array(["World", *(p[0] for p in parts)], dtype=object)
    statuses = list(STATUS_MIX)
    status_p = np.array(list(STATUS_MIX.values()))
    status = np.array([s.value for s in statuses], dtype=object)[
        rng.choice(len(statuses), size=n, p=status_p / status_p.sum())]
    general, lithium = _commodity_pool(rng, 0.0), _commodity_pool(rng, 0.3)
    lithium_rich = centre[which, 5] > 0
    commodities = general[rng.integers(0, len(general), size=n)]
    commodities[lithium_rich] = lithium[rng.integers(0, len(lithium), size=lithium_rich.sum())]
    kinds = rng.integers(0, len(KIND_WORDS), size=n)
    names = [f"{r} {KIND_WORDS[k]} {i}" for i, (r, k) in enumerate(zip(regions[which], kinds,
                                                                        strict=True), start=1)]
    return pd.DataFrame({
        "dep_id": [f"BENCH{i:07d}" for i in range(1, n + 1)],
        "site_name": names,
        "latitude": np.round(lat, 6),
        "longitude": np.round(lon, 6),
        "dev_stat": status,
        "commod1": commodities,
        "country": countries[which],
        "state_or_province": states[which],
    })


def _commodity_pool(rng: np.random.Generator, lithium_first: float) -> np.ndarray:
    """3,000 commodity lists as MRDS writes them ("Gold, Silver"), one to three names each;
    with ``lithium_first`` that share starts with lithium (a lithium district)."""
    codes = list(COMMODITY_MIX)
    weights = np.array(list(COMMODITY_MIX.values()))
    weights = weights / weights.sum()
    pool = []
    for k in rng.choice([1, 2, 3], size=3000, p=[0.5, 0.3, 0.2]):
        chosen = list(rng.choice(codes, size=k, replace=False, p=weights))
        if rng.random() < lithium_first:
            chosen = ["Li", *[c for c in chosen if c != "Li"]][:k]
        pool.append(", ".join(COMMODITY_NAMES[c] for c in chosen))
    return np.array(pool, dtype=object)


def write_deposits_csv(path: Path, n: int) -> Path:
    """The synthetic table as CSV."""
    synthetic_deposits(n).to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL)
    return path


def import_deposits(path: Path, env: dict[str, str]) -> tuple[float, str]:
    """``python -m commands deposits import FILE --dataset bench``: seconds and its summary."""
    command = [sys.executable, "-m", "commands", "deposits", "import", str(path),
               "--dataset", DATASET]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"import failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return seconds, done.stdout.strip().splitlines()[0]


# --- processes: memory and CPU -----------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def status_kb(pid: int, key: str) -> float:
    """A field of /proc/<pid>/status in kB (VmRSS, VmHWM); NaN when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return float(line.split()[1])
    except OSError:
        pass
    return float("nan")


def pss_kb(pid: int) -> float:
    """Proportional set size (shared pages split among their users) of one process, kB."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return float(line.split()[1])
    except OSError:
        pass
    return 0.0


def process_table() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command name, CPU seconds used) of every process now."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        table[int(entry.name)] = (int(fields[1]), name,
                                  (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)
    return table


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (every CPU, every process)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def descendants(table: dict[int, tuple[int, str, float]], root: int) -> set[int]:
    """``root`` and every process below it."""
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (parent, _, _) in table.items():
        children[parent].append(pid)
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid in table and pid not in found:
            found.add(pid)
            todo += children[pid]
    return found


@dataclass
class Backend:
    """One setup under test: its URL, its app processes, its PostgreSQL (if any)."""

    label: str
    url: str
    app_pids: list[int]
    app_names: list[str]
    logs: list[Path]
    postmaster: int | None = None

    def log_tracebacks(self) -> int:
        """Tracebacks the app processes have written to their logs so far."""
        return sum(p.read_text(errors="replace").count("Traceback") for p in self.logs
                   if p.exists())

    def groups(self) -> dict[str, set[int]]:
        """Processes by the part they play, for CPU accounting."""
        table = process_table()
        groups = {name: {pid} for name, pid in zip(self.app_names, self.app_pids, strict=True)}
        servers = set(self.app_pids)
        if self.postmaster is not None:
            groups["PostgreSQL (all its processes)"] = descendants(table, self.postmaster)
            servers |= groups["PostgreSQL (all its processes)"]
        ours = descendants(table, os.getpid()) - servers
        groups["HAProxy"] = {p for p in ours if table[p][1] == "haproxy"}
        groups["load generator: Python (HTTP clients, driver)"] = {os.getpid()}
        groups["load generator: Chromium + Playwright"] = (
            ours - groups["HAProxy"] - {os.getpid()})
        return {k: v for k, v in groups.items() if v}


class Sampler:
    """Samples RSS of the app processes and CPU of every group every ``every`` seconds."""

    def __init__(self, backend: Backend, every: float = 2.0) -> None:
        self.backend, self.every = backend, every
        self.max_rss = dict.fromkeys(backend.app_pids, 0.0)
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.members: dict[str, set[int]] = defaultdict(set)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    def __enter__(self) -> Sampler:
        self.machine_start, self.load_start = machine_busy_seconds(), os.getloadavg()[0]
        self._sample(initial=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.machine_end, self.load_end = machine_busy_seconds(), os.getloadavg()[0]

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._sample()

    def _sample(self, initial: bool = False) -> None:
        for pid in self.backend.app_pids:
            rss = status_kb(pid, "VmRSS")
            if rss == rss:
                self.max_rss[pid] = max(self.max_rss[pid], rss)
        table = process_table()
        for name, pids in self.backend.groups().items():
            for pid in pids:
                self.members[name].add(pid)
                cpu = table[pid][2] if pid in table else None
                if cpu is None:
                    continue
                self.first.setdefault(pid, cpu if initial else 0.0)
                self.last[pid] = cpu

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds used by each group between entering and leaving, the whole machine's
        and what other processes on the machine took (not this benchmark's)."""
        found = {name: sum(self.last.get(p, 0.0) - self.first.get(p, 0.0) for p in pids)
                 for name, pids in self.members.items()}
        machine = self.machine_end - self.machine_start
        return {**found, "other processes on the machine (not this benchmark)":
                max(0.0, machine - sum(found.values())), "the whole machine (busy)": machine}


def postmaster_pid(cluster_folder: Path) -> int | None:
    """The PostgreSQL server's main process, from its ``postmaster.pid``."""
    try:
        return int((cluster_folder / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


# --- HTTP --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One HTTP request: what it asked for, how it ended, how long it took."""

    route: str  # deposits, sites.geojson, health
    level: str  # world, state, city or "-"
    filter: str
    status: int
    seconds: float
    size: int
    served_by: str
    error: str = ""


def fetch(opener: urllib.request.OpenerDirector, url: str) -> tuple[int, bytes, float, str,
                                                                      str]:
    """GET ``url``: status, body, seconds to the last byte, the answering process, error text
    (empty when the status is 2xx)."""
    started = time.perf_counter()
    try:
        with opener.open(url, timeout=HTTP_TIMEOUT_S) as response:
            body = response.read()
            status, served = int(response.status), response.headers.get(SERVED_BY, "")
    except urllib.error.HTTPError as exc:
        body = exc.read()
        seconds = time.perf_counter() - started
        return exc.code, body, seconds, exc.headers.get(SERVED_BY, ""), \
            f"HTTP {exc.code}: {body[:160].decode('utf-8', 'replace')}"
    except Exception as exc:  # noqa: BLE001 - any failure is an error of the run, counted
        return 0, b"", time.perf_counter() - started, "", f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - started
    error = "" if 200 <= status < 300 else f"HTTP {status}"
    return status, body, seconds, served, error


def new_opener() -> urllib.request.OpenerDirector:
    """A client with its own cookie jar (the balancer's cookie pins it to one process)."""
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


# Zoom levels of the three kinds of view; the map box is about 1000 x 640 px.
LEVELS = {"world": (2, 3), "state": (6, 7), "city": (10, 11, 12)}
LEVEL_WEIGHTS = {"world": 0.2, "state": 0.4, "city": 0.4}
MAP_PX = (1000, 640)
DEPOSIT_FILTERS: dict[str, dict[str, str]] = {"none": {}, "status=producer": {"status": "producer"},
                   "commodity=Li": {"commodity": "Li"}}
DEPOSIT_FILTER_WEIGHTS = (0.6, 0.2, 0.2)
SITE_FILTERS: tuple[dict[str, str], ...] = (
    {}, {"commodity": "Li"}, {"status": "producer"}, {"country": "Japan"},
    {"commodity": "REE", "country": "United States"}, {"stage": "mine", "status": "permitting"})


def view_box(lon: float, lat: float, zoom: int) -> str:
    """The ``bbox`` a Leaflet map of MAP_PX centred on (lon, lat) sends at ``zoom`` (as
    common.js's permitmapViewBox writes it: west > east across the 180th meridian)."""
    world_px = 256 * 2 ** zoom
    half_lon = MAP_PX[0] / world_px * 180
    y = np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))
    half_y = MAP_PX[1] / world_px * np.pi
    south = float(np.degrees(2 * np.arctan(np.exp(y - half_y)) - np.pi / 2))
    north = float(np.degrees(2 * np.arctan(np.exp(y + half_y)) - np.pi / 2))
    south, north = max(south, -90.0), min(north, 90.0)
    west, east = lon - half_lon, lon + half_lon
    if east - west >= 360:
        box = (-180.0, south, 180.0, north)
    else:
        start = (west + 180) % 360 - 180
        end = start + (east - west)
        box = (start, south, end - 360 if end > 180 else end, north)
    return ",".join(f"{v:.5f}" for v in box)


class HttpSession:
    """One person at the map, as the browser's requests show it: pans and zooms at world,
    state and city level around the deposit districts, now and then a filter change, a
    site export URL or the health route; a think time between actions."""

    def __init__(self, url: str, number: int, deadline: float, think: float,
                 samples: list[Sample], lock: threading.Lock) -> None:
        self.url, self.deadline, self.think = url, deadline, think
        self.rng = random.Random(1000 + number)
        self.opener = new_opener()
        self.samples, self.lock = samples, lock
        self.served: set[str] = set()
        self.view: tuple[float, float, str, int] | None = None
        self.filter = "none"
        self.hotspots = [(p[4][0], p[4][1], p[3]) for p in districts()]

    def run(self) -> None:
        """Act until the deadline."""
        time.sleep(self.rng.uniform(0, min(3.0, self.think * 2)))
        self._get("health", "-", "-", "/api/health")
        while time.monotonic() < self.deadline:
            choice = self.rng.random()
            if choice < 0.80:
                self._deposits()
            elif choice < 0.92:
                self._sites()
            else:
                self._get("health", "-", "-", "/api/health")
            time.sleep(self.rng.uniform(0.5 * self.think, 1.5 * self.think))

    def _deposits(self) -> None:
        rng = self.rng
        if rng.random() < 0.1 or self.view is None:
            self.filter = rng.choices(list(DEPOSIT_FILTERS), DEPOSIT_FILTER_WEIGHTS)[0]
        if self.view is not None and rng.random() < 0.55:  # pan by a third to most of a view
            lon, lat, level, zoom = self.view
            span = MAP_PX[0] / (256 * 2 ** zoom) * 360
            angle = rng.uniform(0, 2 * np.pi)
            step = rng.uniform(0.3, 0.8) * span
            lon = (lon + step * np.cos(angle) + 180) % 360 - 180
            lat = float(np.clip(lat + 0.6 * step * np.sin(angle), -70, 75))
        else:
            level = rng.choices(list(LEVELS), list(LEVEL_WEIGHTS.values()))[0]
            zoom = rng.choice(LEVELS[level])
            if rng.random() < 0.8:
                hot = rng.choices(self.hotspots, [h[2] for h in self.hotspots])[0]
                lon, lat = rng.gauss(hot[0], 0.7), rng.gauss(hot[1], 0.5)
            else:
                lon, lat = rng.uniform(-180, 180), rng.uniform(-50, 65)
        self.view = (lon, lat, level, zoom)
        query = {"bbox": view_box(lon, lat, zoom), "zoom": str(zoom),
                 **DEPOSIT_FILTERS[self.filter]}
        self._get("deposits", level, self.filter, "/api/deposits?" + urlencode(query))

    def _sites(self) -> None:
        query = dict(self.rng.choice(SITE_FILTERS))
        if self.view is not None and self.rng.random() < 0.5:
            query["bbox"] = view_box(*self.view[:2], self.view[3])
        label = "filtered" if query else "all"
        self._get("sites.geojson", "-", label, "/api/sites.geojson?" + urlencode(query))

    def _get(self, route: str, level: str, filt: str, path: str) -> None:
        status, body, seconds, served, error = fetch(self.opener, self.url + path)
        if served:
            self.served.add(served)
        with self.lock:
            self.samples.append(Sample(route, level, filt, status, seconds, len(body), served,
                                       error))


# --- Chromium ----------------------------------------------------------------------------------

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
# The script is idle and one map iframe is shown (not marked old) with its deposit layer loaded.
MAP_READY_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute("data-test-script-state") !== "notRunning") return false;
  const frames = [...document.querySelectorAll('iframe[title="streamlit_folium.st_folium"]')]
    .filter((f) => f.getBoundingClientRect().width > 0);
  if (frames.length !== 1 || frames[0].dataset.benchOld) return false;
  const doc = frames[0].contentDocument;
  return !!(doc && doc.querySelector(".leaflet-container[data-deposit-loads]"));
}"""
MARK_OLD_JS = """(sel) => document.querySelectorAll(sel)
  .forEach((f) => { f.dataset.benchOld = "1"; })"""
# The timeline page: idle, the site's Gantt chart drawn.
TIMELINE_READY_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute("data-test-script-state") !== "notRunning") return false;
  const chart = document.querySelector('.vega-embed[data-testid="stVegaLiteChart"] canvas, ' +
    '.vega-embed[data-testid="stVegaLiteChart"] svg');
  return !!(chart && chart.getBoundingClientRect().width > 0);
}"""
ONE_OPTION_JS = """(label) => {
  const options = [...document.querySelectorAll('[role="option"]')];
  return options.length === 1 && options[0].textContent.startsWith(label + " (");
}"""
FILTER_LABELS = ("Lithium", "Copper", "Nickel", "Cobalt")


@dataclass(frozen=True)
class Step:
    """One browser step: which, how long until ready, and the error if it failed."""

    step: str  # map, timeline, filter
    seconds: float
    error: str = ""
    parts: dict[str, float] = field(default_factory=dict)  # seconds, see MAP_PARTS_JS


@dataclass
class BrowserLog:
    """What the Chromium sessions did."""

    steps: list[Step] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    served: list[set[str]] = field(default_factory=list)  # processes per session


def timeline_sites() -> list[str]:
    """Ids of the bundled sites that have a permitting record (so a timeline to draw)."""
    projects = pd.read_csv(ROOT / "data" / "permits" / "projects.csv", dtype=str)
    sites = set(pd.read_csv(ROOT / "data" / "sites.csv", dtype=str)["id"])
    return sorted(set(projects["site_id"].dropna()) & sites)


def _watch(page: Page, log: BrowserLog, served: set[str]) -> None:
    def on_response(response: Response) -> None:
        path = response.url.split("?")[0].split("/", 3)[-1]
        if response.request.resource_type == "document":
            served.add(response.headers.get(SERVED_BY.lower(), ""))
        # Streamlit's frontend probes <page>/_stcore/... on a page's own URL, then the root:
        # expected 404s (tests/browser/test_permit_browser.py), not errors.
        if response.status >= 400 and not ("_stcore/" in path and not
                                           path.startswith("_stcore/")):
            log.bad_responses.append(f"{response.status} {response.url}")

    page.on("response", on_response)
    page.on("pageerror", lambda exc: log.script_errors.append(f"{page.url}: {exc}"))


async def _timed(log: BrowserLog, step: str,
                 action: Callable[[], Any]) -> None:
    """Run one step; its time is the action's own "ready" when it gives one (timed from the
    moment the app is asked), else the whole call's."""
    started = time.perf_counter()
    try:
        parts = dict(await action() or {})
    except Exception as exc:  # noqa: BLE001 - a failed step is an error of the run, counted
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        log.steps.append(Step(step, time.perf_counter() - started, text[:160]))
        return
    seconds = parts.pop("ready", time.perf_counter() - started)
    log.steps.append(Step(step, seconds, parts=parts))


# Where the time of a map step went: when the (new) map iframe started loading, i.e. the
# script has run and Streamlit has sent the map (seconds since the page's time origin), and
# the first /api/deposits fetch + draw inside it (deposits.js's own measure).
MAP_PARTS_JS = """(sel) => {
  const frame = [...document.querySelectorAll(sel)]
    .filter((f) => f.getBoundingClientRect().width > 0 && !f.dataset.benchOld)[0];
  const w = frame.contentWindow;
  return {iframe: (w.performance.timeOrigin - performance.timeOrigin) / 1000,
          deposits: w.permitmapDeposits ? w.permitmapDeposits.ms / 1000 : NaN};
}"""


async def open_map(page: Page, url: str) -> dict[str, float]:
    """The map page, until the script is idle and the map shows its deposit layer."""
    await page.goto(url + "/", wait_until="commit")
    await page.wait_for_function(MAP_READY_JS, timeout=BROWSER_TIMEOUT_MS)
    return dict(await page.evaluate(MAP_PARTS_JS, MAP_IFRAME))


async def open_timeline(page: Page, url: str, site: str) -> None:
    """A site's timeline page, until the script is idle and its Gantt chart is drawn."""
    await page.goto(f"{url}/timeline?site={site}", wait_until="commit")
    await page.wait_for_function(TIMELINE_READY_JS, timeout=BROWSER_TIMEOUT_MS)


async def change_filter(page: Page, label: str) -> dict[str, float]:
    """Choose a commodity in the sidebar; ready when the new map shows its deposits. Timed
    from the key press: the typing before it is the person's, not the app's."""
    box = page.get_by_role("combobox", name="Commodity")
    await box.fill(label, timeout=BROWSER_TIMEOUT_MS)
    await page.wait_for_function(ONE_OPTION_JS, arg=label, timeout=BROWSER_TIMEOUT_MS)
    await page.evaluate(MARK_OLD_JS, MAP_IFRAME)
    pressed = float(await page.evaluate("() => performance.now() / 1000"))
    started = time.perf_counter()
    await page.keyboard.press("Enter")
    await page.wait_for_function(MAP_READY_JS, timeout=BROWSER_TIMEOUT_MS)
    ready = time.perf_counter() - started
    parts = dict(await page.evaluate(MAP_PARTS_JS, MAP_IFRAME))
    return {"ready": ready, "iframe": parts["iframe"] - pressed, "deposits": parts["deposits"]}


async def browser_session(browser: Browser, url: str, number: int, deadline: float,
                          think: float, log: BrowserLog) -> None:
    """Open the map, a timeline, the map again and change a filter, until the deadline."""
    rng = random.Random(500 + number)
    sites = timeline_sites()
    context = await browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    served: set[str] = set()
    log.served.append(served)
    try:
        page = await context.new_page()
        _watch(page, log, served)
        await asyncio.sleep(number * 1.5)
        while time.monotonic() < deadline:
            await _timed(log, "map", lambda: open_map(page, url))
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
            if time.monotonic() >= deadline:
                break
            site = rng.choice(sites)
            await _timed(log, "timeline", functools.partial(open_timeline, page, url, site))
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
            if time.monotonic() >= deadline:
                break
            await _timed(log, "map", lambda: open_map(page, url))
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
            if time.monotonic() >= deadline:
                break
            label = rng.choice(FILTER_LABELS)
            await _timed(log, "filter", functools.partial(change_filter, page, label))
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
    finally:
        await context.close()


def niced_chromium(folder: Path, nice: int) -> str:
    """Chromium started at niceness ``nice``: a wrapper script, as Playwright takes one program
    to run. Playwright starts the browser in a session of its own, and Linux schedules each
    session as one group (autogroup) weighted by the group's nice value, so the wrapper sets
    that too; a process's own nice only orders it inside its group."""
    if nice == 0:
        return CHROMIUM
    wrapper = folder / f"chromium-nice-{nice}"
    wrapper.write_text(f"#!/bin/sh\necho {nice} > /proc/self/autogroup 2>/dev/null\n"
                       f'exec nice -n {nice} {CHROMIUM} "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    return str(wrapper)


async def _browsers(url: str, count: int, deadline: float, think: float,
                    log: BrowserLog, chromium: str) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            await asyncio.gather(*(browser_session(browser, url, k, deadline, think, log)
                                   for k in range(count)))
        finally:
            await browser.close()


async def _first_loads(url: str, pins: list[str]) -> list[tuple[str, float, float, float,
                                                                 str]]:
    """A map page (twice) and a timeline in a fresh context per process (pinned by the
    balancer's cookie when there is a balancer): the first visit of a just-started process,
    then the same page warm, with nothing else running."""
    found = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for pin in pins:
                context = await browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
                if pin:
                    host = url.split("//", 1)[1].split(":")[0]
                    await context.add_cookies([{"name": STICKY_COOKIE, "value": pin,
                                                "domain": host, "path": "/"}])
                page = await context.new_page()
                log = BrowserLog()
                _watch(page, log, set())
                await _timed(log, "map", functools.partial(open_map, page, url))
                await _timed(log, "map", functools.partial(open_map, page, url))
                await _timed(log, "timeline", functools.partial(open_timeline, page, url,
                                                                "us-thacker-pass"))
                errors = "; ".join(s.error for s in log.steps if s.error)
                cold, warm, timeline = (s.seconds for s in log.steps)
                found.append((pin or "single", cold, warm, timeline, errors))
                await context.close()
        finally:
            await browser.close()
    return found


# --- one load run ------------------------------------------------------------------------------


@dataclass
class LoadResult:
    """Everything one load run recorded."""

    sessions: int
    http_clients: int
    browsers: int
    seconds: float
    samples: list[Sample]
    browser: BrowserLog
    client_served: list[set[str]]
    cpu: dict[str, float]
    max_rss: dict[int, float]
    load_average: tuple[float, float]  # 1-minute load average when the load began and ended
    tracebacks: int  # new tracebacks in the app processes' logs during the load


def run_load(backend: Backend, sessions: int, browsers: int, seconds: float,
             think: float, chromium: str = CHROMIUM) -> LoadResult:
    """``sessions`` simultaneous sessions (``browsers`` of them Chromium, the program
    ``chromium``) for ``seconds``."""
    browsers = min(browsers, sessions)
    clients = sessions - browsers
    samples: list[Sample] = []
    lock = threading.Lock()
    log = BrowserLog()
    deadline = time.monotonic() + seconds
    people = [HttpSession(backend.url, k, deadline, think, samples, lock)
              for k in range(clients)]
    threads = [threading.Thread(target=p.run, name=f"client-{k}") for k, p in enumerate(people)]
    failures: list[BaseException] = []

    def browse() -> None:
        try:
            asyncio.run(_browsers(backend.url, browsers, deadline, think, log, chromium))
        except BaseException as exc:  # noqa: BLE001 - reported after the run
            failures.append(exc)

    if browsers:
        threads.append(threading.Thread(target=browse, name="browsers"))
    started = time.monotonic()
    tracebacks = backend.log_tracebacks()
    with Sampler(backend) as sampler:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    elapsed = time.monotonic() - started
    if failures:
        raise RuntimeError(f"the Chromium sessions failed: {failures[0]!r}") from failures[0]
    return LoadResult(sessions, clients, browsers, elapsed, samples, log,
                      [p.served for p in people], sampler.cpu_seconds(), sampler.max_rss,
                      (sampler.load_start, sampler.load_end),
                      backend.log_tracebacks() - tracebacks)


# --- single requests ---------------------------------------------------------------------------

SINGLE_VIEWS = (
    ("world", "-180,-85,180,85", 2),
    ("state (Nevada)", "-120,35,-114,42", 6),
    ("city (Reno)", "-120.1,39.35,-119.6,39.7", 10),
)


def single_requests(url: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Each view and filter asked ``SINGLE_RUNS`` + 1 times in a row with nothing else
    running: the first answer, the median of the rest, features and bytes."""
    opener = new_opener()
    found = {}
    for view, bbox, zoom in SINGLE_VIEWS:
        for label, extra in DEPOSIT_FILTERS.items():
            path = "/api/deposits?" + urlencode({"bbox": bbox, "zoom": zoom, **extra})
            times, body, errors = [], b"", []
            for _ in range(SINGLE_RUNS + 1):
                _, body, seconds, _, error = fetch(opener, url + path)
                times.append(seconds)
                if error:
                    errors.append(error)
            meta = json.loads(body).get("meta", {}) if not errors else {}
            found[(view, label)] = {
                "first": times[0], "median": float(np.median(times[1:])),
                "features": f"{meta.get('returned', 0):,} {meta.get('mode', '?')}",
                "size": len(body), "errors": errors}
    return found


# --- the two setups ----------------------------------------------------------------------------


@dataclass
class Measured:
    """What was measured on one setup."""

    backend: Backend
    import_s: float = 0.0
    import_summary: str = ""
    first_loads: list[tuple[str, float, float, float, str]] = field(default_factory=list)
    first_view_s: float = 0.0
    single: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    rss_before: dict[int, float] = field(default_factory=dict)
    rss_after: dict[int, float] = field(default_factory=dict)
    hwm_after: dict[int, float] = field(default_factory=dict)
    anon_after: dict[int, float] = field(default_factory=dict)
    pss_after: dict[int, float] = field(default_factory=dict)
    postgres_pss_kb: float = 0.0
    load: LoadResult | None = None


def clean_env() -> dict[str, str]:
    """This process's environment without any store setting (each setup sets its own)."""
    for name in list(os.environ):
        if name == "DATABASE_URL" or name.startswith("PERMITMAP_"):
            del os.environ[name]
    return dict(os.environ)


def measure(backend: Backend, measured: Measured, args: argparse.Namespace,
            sessions: int) -> None:
    """Warm-up visits, single requests, the load, memory: the same on every setup."""
    _progress(f"{backend.label}: first visits (one per process)")
    measured.first_view_s = fetch(new_opener(), backend.url + "/api/deposits?bbox=-180,-85,180,"
                                  "85&zoom=2")[2]
    pins = backend.app_names if len(backend.app_pids) > 1 else [""]
    measured.first_loads = asyncio.run(_first_loads(backend.url, pins))
    _progress(f"{backend.label}: single requests")
    measured.single = single_requests(backend.url)
    measured.rss_before = {p: status_kb(p, "VmRSS") for p in backend.app_pids}
    _progress(f"{backend.label}: load, {sessions} sessions for {args.seconds:.0f} s")
    measured.load = run_load(backend, sessions, args.browsers, args.seconds, args.think,
                             args.chromium)
    measured.rss_after = {p: status_kb(p, "VmRSS") for p in backend.app_pids}
    measured.hwm_after = {p: status_kb(p, "VmHWM") for p in backend.app_pids}
    measured.anon_after = {p: status_kb(p, "RssAnon") for p in backend.app_pids}
    measured.pss_after = {p: pss_kb(p) for p in backend.app_pids}
    if backend.postmaster is not None:
        table = process_table()
        measured.postgres_pss_kb = sum(pss_kb(p) for p in descendants(table,
                                                                        backend.postmaster))


def run_shared(folder: Path, csv_path: Path, args: argparse.Namespace) -> Measured:
    """The shared deployment: start it, import the deposits through its database, measure."""
    env = clean_env()
    _progress(f"shared: starting PostgreSQL, {args.processes} app processes and HAProxy")
    with running_shared(folder, processes=args.processes, port=free_port(),
                        durable=True) as shared:
        backend = _shared_backend(shared, folder)
        measured = Measured(backend)
        _progress("shared: importing the deposits into PostGIS")
        measured.import_s, measured.import_summary = import_deposits(
            csv_path, {**env, "DATABASE_URL": shared.database_url})
        measure(backend, measured, args, args.sessions)
    return measured


def _shared_backend(shared: SharedDeployment, folder: Path) -> Backend:
    names = [f"app{k}" for k in range(1, len(shared.processes) + 1)]
    logs = [folder / f"app{k}.log" for k in range(1, len(shared.processes) + 1)]
    return Backend("shared", shared.url, [p.pid for p in shared.processes], names, logs,
                   postmaster_pid(folder / "postgres"))


def run_single(folder: Path, csv_path: Path, args: argparse.Namespace) -> Measured:
    """One ``permitmap serve`` on a SQLite store holding the same deposits."""
    env = {**clean_env(), "PERMITMAP_DB_PATH": str(folder / "single.db"),
           "PYTHONUNBUFFERED": "1"}
    _progress("single: importing the deposits into SQLite")
    import_s, summary = import_deposits(csv_path, env)
    port = free_port()
    log = folder / "single.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "commands", "serve", "--port", str(port), "--address",
             "127.0.0.1"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, process, log, STARTUP_SECONDS)
        backend = Backend("single", url, [process.pid], ["single process"], [log])
        measured = Measured(backend, import_s, summary)
        measure(backend, measured, args, args.single_sessions or args.sessions)
    finally:
        stop(process)
    return measured


# --- tables ------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    """Milliseconds: ``12.3 ms``, ``512 ms``, ``1,234 ms``."""
    value = seconds * 1e3
    if value != value:
        return "-"
    return f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"


def secs(seconds: float) -> str:
    """Seconds with two decimals."""
    return "-" if seconds != seconds else f"{seconds:.2f} s"


def mb(kb: float) -> str:
    """kB as MB (1 MB = 1,048,576 bytes, as the kernel's kB are KiB)."""
    return "-" if kb != kb else f"{kb / 1024:,.0f} MB"


def size(value: float) -> str:
    """Bytes in B, kB or MB."""
    if value >= 1e6:
        return f"{value / 1e6:.2f} MB"
    return f"{value / 1e3:.1f} kB" if value >= 1e3 else f"{value:.0f} B"


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (NaN for none)."""
    return float(np.percentile(values, q)) if values else float("nan")


def met(value: float, goal: float) -> str:
    """yes / NO against ``value <= goal``; "-" when there is no value."""
    if value != value:
        return "-"
    return "yes" if value <= goal else "NO"


def setup_table(shared: Measured, single: Measured | None, rows: int, csv_s: float,
                csv_bytes: int) -> str:
    """The data and the two imports."""
    lines = [("synthetic deposits", f"{rows:,}", f"{rows:,}"),
             ("CSV written (numpy + pandas)", f"{secs(csv_s)}, {size(csv_bytes)}", "same file"),
             ("import (python -m commands deposits import)", secs(shared.import_s),
              secs(single.import_s) if single else "-"),
             ("  import rate", f"{rows / shared.import_s:,.0f} rows/s",
              f"{rows / single.import_s:,.0f} rows/s" if single else "-")]
    text = text_table("1. Setup: the same CSV imported into each store",
                 ("measure", "shared (PostGIS)", "single (SQLite)"), lines)
    text += f"\n  shared: {shared.import_summary}"
    if single:
        text += f"\n  single: {single.import_summary}"
    return text


def single_table(shared: Measured, single: Measured | None) -> str:
    """Viewport answers with nothing else running."""
    rows = []
    for view, _, zoom in SINGLE_VIEWS:
        for label in DEPOSIT_FILTERS:
            a = shared.single[(view, label)]
            b = single.single[(view, label)] if single else None
            rows.append((f"{view} z{zoom}, {label}",
                         f"{ms(a['median'])} ({ms(a['first'])})", a["features"], size(a["size"]),
                         f"{ms(b['median'])} ({ms(b['first'])})" if b else "-",
                         b["features"] if b else "-", size(b["size"]) if b else "-"))
    rows.append(("first world view once /api/health answers ok",
                 ms(shared.first_view_s), "", "", ms(single.first_view_s) if single else "-",
                 "", ""))
    errors = [e for m in (shared, single) if m for v in m.single.values() for e in v["errors"]]
    text = text_table(f"2. /api/deposits, one request at a time, no other load: median of "
                 f"{SINGLE_RUNS} (first); shared through HAProxy",
                 ("view, filter", "shared", "features", "JSON", "single", "features", "JSON"),
                 rows)
    if errors:
        text += "\n  errors: " + "; ".join(sorted(set(errors))[:5])
    return text


def _route_key(s: Sample) -> tuple[str, str, str]:
    return s.route, s.level, s.filter


ROUTE_ORDER = [("deposits", level, f) for level in LEVELS for f in DEPOSIT_FILTERS] + [
    ("sites.geojson", "-", "all"), ("sites.geojson", "-", "filtered"), ("health", "-", "-")]


def _route_cells(samples: list[Sample]) -> tuple[str, ...]:
    times = [s.seconds for s in samples]
    errors = sum(1 for s in samples if s.error)
    return (f"{len(samples):,}", f"{errors}", ms(pct(times, 50)), ms(pct(times, 95)),
            ms(max(times) if times else float("nan")))


def routes_table(shared: Measured, single: Measured | None) -> str:
    """Route answer times under load, per route kind, zoom level and filter."""
    assert shared.load is not None
    by = {m.backend.label: _grouped(m.load.samples) for m in (shared, single) if m and m.load}
    rows = []
    for key in ROUTE_ORDER:
        a = by["shared"].get(key, [])
        b = by.get("single", {}).get(key, [])
        p95 = pct([s.seconds for s in a], 95)
        rows.append((_level_label(key), *_route_cells(a), *(_route_cells(b) if single else
                                                             ("-",) * 5),
                     met(p95, ROUTE_GOAL_S)))
    all_a = shared.load.samples
    all_b = single.load.samples if single and single.load else []
    rows.append(("all routes", *_route_cells(all_a), *(_route_cells(all_b) if single else
                                                       ("-",) * 5),
                 met(pct([s.seconds for s in all_a], 95), ROUTE_GOAL_S)))
    header = ("route, level, filter", "shared n", "err", "p50", "p95", "max",
              "single n", "err", "p50", "p95", "max", "shared p95 <= 500 ms?")
    return text_table("3a. Load: HTTP route answer times (request to last byte, per client)",
                 header, rows)


def _level_label(key: tuple[str, str, str]) -> str:
    route, level, filt = key
    if route == "deposits":
        zooms = "/".join(str(z) for z in LEVELS[level])
        return f"deposits {level} (z{zooms}), {filt}"
    return f"{route}, {filt}" if filt != "-" else route


def _grouped(samples: list[Sample]) -> dict[tuple[str, str, str], list[Sample]]:
    groups: dict[tuple[str, str, str], list[Sample]] = defaultdict(list)
    for s in samples:
        groups[_route_key(s)].append(s)
    return groups


STEP_NAMES = {"map": "map page '/' ready (idle + deposit layer drawn)",
              "timeline": "timeline page ready (idle + Gantt chart drawn)",
              "filter": "commodity filter changed -> new map ready"}


def _step_cells(steps: list[Step], part: str = "") -> tuple[str, ...]:
    if part:  # one part of the successful steps: no count of its own
        found = (s.parts.get(part) for s in steps if not s.error)
        times = [float(t) for t in found if t is not None and t == t]  # t == t: not NaN
        return ("", "", secs(pct(times, 50)), secs(pct(times, 95)),
                secs(max(times) if times else float("nan")))
    times = [s.seconds for s in steps if not s.error]
    errors = sum(1 for s in steps if s.error)
    return (f"{len(steps)}", f"{errors}", secs(pct(times, 50)), secs(pct(times, 95)),
            secs(max(times) if times else float("nan")))


STEP_PARTS = {"map": (("iframe", "  of which: navigation -> map iframe starts (script ran)"),
                      ("deposits", "  first /api/deposits fetch + draw in the map")),
              "filter": (("iframe", "  of which: key press -> new map iframe starts"),
                         ("deposits", "  first /api/deposits fetch + draw in the new map"))}


def browser_table(shared: Measured, single: Measured | None) -> str:
    """Page-ready times of the Chromium sessions under load."""
    assert shared.load is not None
    logs = {"shared": shared.load.browser}
    if single and single.load:
        logs["single"] = single.load.browser
    rows = []
    for step, name in STEP_NAMES.items():
        a = [s for s in logs["shared"].steps if s.step == step]
        b = [s for s in logs.get("single", BrowserLog()).steps if s.step == step]
        rows.append((name, *_step_cells(a), *(_step_cells(b) if single else ("-",) * 5),
                     met(pct([s.seconds for s in a if not s.error], 95), PAGE_READY_GOAL_S)))
        for part, label in STEP_PARTS.get(step, ()):
            rows.append((label, *_step_cells(a, part),
                         *(_step_cells(b, part) if single else ("-",) * 5), ""))
    every_a = logs["shared"].steps
    every_b = logs.get("single", BrowserLog()).steps
    rows.append(("every step", *_step_cells(every_a), *(_step_cells(every_b) if single else
                                                        ("-",) * 5),
                 met(pct([s.seconds for s in every_a if not s.error], 95), PAGE_READY_GOAL_S)))
    header = ("Chromium step", "shared n", "err", "p50", "p95", "max", "single n", "err", "p50",
              "p95", "max", "shared p95 <= 3 s?")
    return text_table("3b. Load: page ready in the Chromium sessions", header, rows)


def load_summary_table(shared: Measured, single: Measured | None) -> str:
    """Totals: sessions, requests, errors, pinning, CPU."""
    cols = [m for m in (shared, single) if m and m.load]
    rows: list[tuple[str, ...]] = []

    def row(name: str, value: Callable[[Measured, LoadResult], str]) -> None:
        rows.append((name, *(value(m, m.load) for m in cols)))  # type: ignore[arg-type]

    row("sessions: HTTP clients + Chromium pages",
        lambda m, r: f"{r.sessions} = {r.http_clients} + {r.browsers}")
    row("duration", lambda m, r: secs(r.seconds))
    row("HTTP requests (rate)",
        lambda m, r: f"{len(r.samples):,} ({len(r.samples) / r.seconds:.1f}/s)")
    row("HTTP errors (non-2xx or exception)",
        lambda m, r: f"{sum(1 for s in r.samples if s.error)}")
    row("bytes received by the HTTP clients", lambda m, r: size(sum(s.size for s in r.samples)))
    row("Chromium steps / failed", lambda m, r: f"{len(r.browser.steps)} / "
        f"{sum(1 for s in r.browser.steps if s.error)}")
    row("Chromium responses >= 400", lambda m, r: f"{len(r.browser.bad_responses)}")
    row("Chromium script errors", lambda m, r: f"{len(r.browser.script_errors)}")
    row("HTTP clients per process", lambda m, r: ", ".join(
        f"{k or 'no header'} {v}" for k, v in sorted(Counter(
            "+".join(sorted(s)) for s in r.client_served).items())))
    row("sessions that changed process", lambda m, r: str(sum(
        1 for s in [*r.client_served, *r.browser.served] if len(s) > 1)))
    row("tracebacks in the app processes' logs", lambda m, r: str(r.tracebacks))
    row("1-minute load average at start / end of the load",
        lambda m, r: f"{r.load_average[0]:.1f} / {r.load_average[1]:.1f}")
    names = []
    for m in cols:
        for name in m.load.cpu:  # type: ignore[union-attr]
            if name not in names:
                names.append(name)
    for name in names:
        rows.append((f"CPU s during the load: {name}",
                     *(f"{m.load.cpu.get(name, 0.0):.0f} s" if name in m.load.cpu  # type: ignore[union-attr]
                       else "-" for m in cols)))
    header = ("measure", *(("shared (PostGIS)" if m.backend.label == "shared" else
                            "single (SQLite)") for m in cols))
    return text_table(f"3c. Load: totals (CPU seconds: {os.cpu_count()} CPUs give at most "
                 f"{os.cpu_count()} s per second)",
                 header, rows)


def memory_table(shared: Measured, single: Measured | None) -> str:
    """Resident memory of each app process after the browsing."""
    rows = []
    for m in (shared, single):
        if m is None:
            continue
        for pid, name in zip(m.backend.app_pids, m.backend.app_names, strict=True):
            store = "PostGIS" if m.backend.label == "shared" else "SQLite, in-memory index"
            after = m.rss_after.get(pid, float("nan"))
            rows.append((f"{m.backend.label}: {name} ({store})", mb(m.rss_before.get(pid, 0)),
                         mb(after), mb(m.load.max_rss.get(pid, float("nan"))) if m.load else "-",
                         mb(m.hwm_after.get(pid, float("nan"))),
                         mb(m.anon_after.get(pid, float("nan"))),
                         mb(m.pss_after.get(pid, float("nan"))),
                         met(after / 1024, MEMORY_GOAL_MB) if m.backend.label == "shared"
                         else "(issue: 765 MB)"))
    if shared.postgres_pss_kb:
        rows.append(("shared: PostgreSQL, all its processes", "", "", "", "", "",
                     mb(shared.postgres_pss_kb), "-"))
    return text_table("4. Memory of the app processes: VmRSS (before the load, after it, largest "
                 "sampled every 2 s, lifetime peak VmHWM); after the load also RssAnon (not "
                 "file-backed) and PSS (shared pages split among the processes using them)",
                 ("process", "RSS before", "RSS after", "max in load", "VmHWM",
                  "RssAnon after", "PSS after", "RSS after <= 300 MB?"), rows)


def first_visit_table(shared: Measured, single: Measured | None) -> str:
    """The first visit of each just-started process (not in the load's figures)."""
    rows = []
    for m in (shared, single):
        if m is None:
            continue
        for pin, cold_s, warm_s, timeline_s, errors in m.first_loads:
            rows.append((f"{m.backend.label}: {pin}", secs(cold_s), secs(warm_s),
                         secs(timeline_s), errors or "-"))
    return text_table("5. Chromium alone, nothing else running: the first visit of each process "
                 "after its start, the map again, a timeline (not in 3b)",
                 ("process", "map ready, first", "map ready, again", "timeline ready",
                  "errors"), rows)


def targets_table(shared: Measured, single: Measured | None) -> str:
    """Each goal of the issue, met or not, on the shared deployment (single beside it)."""
    def figures(m: Measured | None) -> dict[str, float]:
        if m is None or m.load is None:
            return {}
        r = m.load
        ready = [s.seconds for s in r.browser.steps if not s.error]
        return {
            "errors": float(sum(1 for s in r.samples if s.error)
                            + sum(1 for s in r.browser.steps if s.error)
                            + len(r.browser.bad_responses)),
            "ready": pct(ready, 95),
            "route": pct([s.seconds for s in r.samples], 95),
            "worst_route": max((pct([s.seconds for s in g], 95) for g in
                                _grouped(r.samples).values()), default=float("nan")),
            "rss": max(m.rss_after.values()) / 1024,
        }

    a, b = figures(shared), figures(single)

    def cell(f: dict[str, float], key: str, shown: Callable[[float], str]) -> str:
        return shown(f[key]) if key in f else "-"

    rows = [
        ("errors under load (HTTP + Chromium steps + responses >= 400)", "0",
         cell(a, "errors", lambda v: f"{v:.0f}"), cell(b, "errors", lambda v: f"{v:.0f}"),
         "yes" if a.get("errors") == 0 else "NO"),
        ("p95 page ready (every Chromium step)", "<= 3 s", cell(a, "ready", secs),
         cell(b, "ready", secs), met(a["ready"], PAGE_READY_GOAL_S)),
        ("p95 route answer (all HTTP requests)", "<= 0.5 s", cell(a, "route", secs),
         cell(b, "route", secs), met(a["route"], ROUTE_GOAL_S)),
        ("  worst p95 of one route kind / level / filter", "<= 0.5 s",
         cell(a, "worst_route", secs), cell(b, "worst_route", secs),
         met(a["worst_route"], ROUTE_GOAL_S)),
        ("largest app process after browsing (VmRSS)", "<= 300 MB",
         cell(a, "rss", lambda v: f"{v:,.0f} MB"), cell(b, "rss", lambda v: f"{v:,.0f} MB"),
         met(a["rss"], MEMORY_GOAL_MB)),
    ]
    return text_table("6. Goals (judged on the shared deployment; single for comparison)",
                 ("goal", "target", "shared", "single", "met?"), rows)


def error_details(m: Measured | None) -> str:
    """The distinct errors of one setup's load, most frequent first."""
    if m is None or m.load is None:
        return ""
    found: Counter[str] = Counter()
    for s in m.load.samples:
        if s.error:
            found[f"{s.route} {s.level} {s.filter}: {s.error}"[:200]] += 1
    for step in m.load.browser.steps:
        if step.error:
            found[f"Chromium {step.step}: {step.error}"] += 1
    for text in [*m.load.browser.bad_responses, *m.load.browser.script_errors]:
        found[f"Chromium: {text}"[:200]] += 1
    if not found:
        return f"{m.backend.label}: no errors"
    lines = [f"{m.backend.label}: errors, most frequent first"]
    lines += [f"  {n:>5} x {text}" for text, n in found.most_common(12)]
    return "\n".join(lines)


def heading(args: argparse.Namespace, seconds: float, load_before: tuple[float, ...]) -> str:
    """When, where, with what, how long, and how busy the machine was."""
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    load = f"{load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after"
    browsers = min(args.browsers, args.sessions)
    return (f"permitmap shared-deployment benchmark, {now}, {platform.node()} "
            f"({os.cpu_count()} CPUs, Python {platform.python_version()}), {seconds:.0f} s in "
            f"all, load average {load}\n"
            f"shared = PostgreSQL/PostGIS + {args.processes} x `permitmap serve` + HAProxy "
            f"(sticky cookie); single = 1 x `permitmap serve` on SQLite (in-memory index).\n"
            f"{args.rows:,} deposits; load: {args.sessions} sessions ({args.sessions - browsers} "
            f"HTTP clients + {browsers} Chromium pages) for {args.seconds:.0f} s per setup "
            f"(single: {args.single_sessions or args.sessions} sessions), think time "
            f"{0.5 * args.think:.1f}-{1.5 * args.think:.1f} s between actions; the load "
            f"generator runs on the same machine, its Chromium at nice {args.browser_nice}.\n")


# --- main --------------------------------------------------------------------------------------


def _progress(step: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {step} ...", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="synthetic deposits")
    parser.add_argument("--seconds", type=float, default=120.0, help="load duration per setup")
    parser.add_argument("--sessions", type=int, default=25,
                        help="simultaneous sessions (Chromium pages + HTTP clients)")
    parser.add_argument("--browsers", type=int, default=4,
                        help="how many of the sessions are real Chromium pages")
    parser.add_argument("--single-sessions", type=int, default=0,
                        help="sessions against the single SQLite process (default: --sessions)")
    parser.add_argument("--processes", type=int, default=2, help="app processes (shared)")
    parser.add_argument("--think", type=float, default=2.0,
                        help="mean think time between a session's actions, seconds (each "
                             "pause is uniform in 0.5x..1.5x)")
    parser.add_argument("--browser-nice", type=int, default=10,
                        help="niceness of the Chromium sessions (default 10): the servers get "
                             "the CPU first, as when staff's browsers run on their own "
                             "machines; 0 shares it equally")
    parser.add_argument("--no-single", action="store_true",
                        help="measure the shared deployment only")
    return parser.parse_args(argv)


@contextmanager
def temporary_folder() -> Iterator[Path]:
    """A folder the ``postgres`` user can enter (PostgreSQL runs as that user), removed after."""
    folder = Path(tempfile.mkdtemp(prefix="permitmap-shared-bench-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Set up, measure both setups one after the other, print the tables."""
    args = parse_args(argv)
    started = time.perf_counter()
    load_before = os.getloadavg()
    with temporary_folder() as folder:
        args.chromium = niced_chromium(folder, args.browser_nice)
        _progress(f"writing {args.rows:,} synthetic deposits")
        csv_started = time.perf_counter()
        csv_path = write_deposits_csv(folder / "deposits.csv", args.rows)
        csv_s = time.perf_counter() - csv_started
        shared = run_shared(folder / "shared", csv_path, args)
        single = None if args.no_single else run_single(folder, csv_path, args)
        csv_bytes = csv_path.stat().st_size
    print(heading(args, time.perf_counter() - started, load_before))
    for text in (setup_table(shared, single, args.rows, csv_s, csv_bytes),
                 single_table(shared, single), routes_table(shared, single),
                 browser_table(shared, single), load_summary_table(shared, single),
                 memory_table(shared, single), first_visit_table(shared, single),
                 targets_table(shared, single)):
        print(text)
        print()
    print(error_details(shared))
    if single:
        print(error_details(single))
    return 0


if __name__ == "__main__":
    sys.exit(main())
