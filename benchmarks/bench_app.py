"""Table A: the app on its bundled data: cold start to the first map, and a rerun after a
filter change (in Chromium, and in-process with AppTest)."""

from __future__ import annotations

import contextlib
import functools
import math
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench_support import (
    BIN,
    ROOT,
    VIEWPORT,
    Row,
    Server,
    goal_row,
    median,
    secs,
    streamlit_server,
    timed,
)
from playwright.sync_api import Browser, Page, ViewportSize
from streamlit.testing.v1 import AppTest

from domain.vocab import commodity_label
from mapping.store_access import engine
from sites.filters import facet_counts, located
from store.records import load_sites

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
START_RUNS = 3
RERUN_CHOICES = 4
START_GOAL_S = 3.0
RERUN_GOAL_S = 0.3
IDLE_APP = '[data-testid="stApp"][data-test-script-state="notRunning"]'

# Main page: mark the current map iframe as old, then from the next key press (the one that
# changes a filter) watch for the script to run and stop and for a new map iframe with sites.
RERUN_WATCH_JS = """(sel) => {
  const watch = {running: null, idle: null, done: null};
  let start = null, ran = false;
  window.benchRerun = watch;
  document.querySelectorAll(sel).forEach((f) => { f.dataset.benchOld = "1"; });
  document.addEventListener("keydown", () => { start = performance.now(); },
                            {capture: true, once: true});
  const app = document.querySelector('[data-testid="stApp"]');
  const tick = () => {
    if (start !== null) {
      const now = performance.now(), state = app.getAttribute("data-test-script-state");
      if (state === "running" && !ran) { ran = true; watch.running = now - start; }
      if (ran && state === "notRunning" && watch.idle === null) { watch.idle = now - start; }
      const frames = document.querySelectorAll(sel);
      const doc = frames.length === 1 && !frames[0].dataset.benchOld && frames[0].contentDocument;
      if (state === "notRunning" && doc &&
          doc.querySelector(".leaflet-overlay-pane path.leaflet-interactive")) {
        watch.done = now - start;
        if (watch.idle === null) { watch.idle = watch.done; }
        return;
      }
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""

# Every app page, from its first frame: when the Streamlit shell, the map iframe, the site
# markers and the first deposit load appear (ms since navigation start).
PAGE_MARKS_JS = """if (window.top === window) {
  const marks = {};
  window.benchMarks = marks;
  const sel = 'iframe[title="streamlit_folium.st_folium"]';
  const tick = () => {
    const now = performance.now(), frame = document.querySelector(sel);
    const doc = frame && frame.contentDocument;
    if (!marks.shell && document.querySelector('[data-testid="stApp"]')) marks.shell = now;
    if (!marks.title && document.querySelector("h1")) marks.title = now;
    if (!marks.iframe && frame) marks.iframe = now;
    const sites = doc && doc.querySelector(".leaflet-overlay-pane path.leaflet-interactive");
    if (!marks.sites && sites) marks.sites = now;
    if (marks.sites && doc.querySelector(".leaflet-container[data-deposit-loads]")) {
      marks.deposits = now;
      return;
    }
    if (now < 120000) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""

ONE_OPTION_JS = """(label) => {
  const options = [...document.querySelectorAll('[role="option"]')];
  return options.length === 1 && options[0].textContent.startsWith(label + " (");
}"""


@dataclass
class BenchRun:
    """What every measurement needs: the browser, the store's environment, a temp folder."""

    browser: Browser
    env: dict[str, str]
    tmp: Path
    errors: list[str] = field(default_factory=list)

    @contextlib.contextmanager
    def page(self, viewport: ViewportSize | None = None, marks: bool = True) -> Iterator[Page]:
        """A page in a fresh browser context that records script errors (and load marks)."""
        context = self.browser.new_context(viewport=viewport or VIEWPORT)
        if marks:
            context.add_init_script(PAGE_MARKS_JS)
        try:
            page = context.new_page()
            page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
            yield page
        finally:
            context.close()


def use_store(db_path: Path) -> dict[str, str]:
    """Point this process at a SQLite store in ``db_path`` with default settings; its env."""
    for name in list(os.environ):
        if name == "DATABASE_URL" or name.startswith("PERMITMAP_"):
            del os.environ[name]
    os.environ["PERMITMAP_DB_PATH"] = str(db_path)
    return dict(os.environ)


def seed_store(env: dict[str, str]) -> float:
    """Seconds for ``permitmap db init`` (create, migrate, seed the bundled data)."""
    command = [str(BIN / "permitmap"), "db", "init"]
    return timed(lambda: subprocess.run(command, cwd=ROOT, env=env, check=True,
                                        capture_output=True))


def start_rows(run: BenchRun) -> list[Row]:
    """Cold starts of ``streamlit run app.py`` until the site markers are drawn."""
    ready, visible, marks = [], [], []
    for n in range(START_RUNS):
        with run.page() as page:
            started = time.perf_counter()
            with streamlit_server(run.env, run.tmp / f"start{n}.log") as server:
                server.wait_healthy()
                ready.append(time.perf_counter() - started)
                marks.append(wait_for_mark(page, server.url, "sites"))
                visible.append(time.perf_counter() - started - ready[-1])
    totals = [r + v for r, v in zip(ready, visible, strict=True)]
    spread = f" ({min(totals):.2f}-{max(totals):.2f})"
    return [
        goal_row(f"start to first map, median of {START_RUNS} (range)", median(totals), secs,
                 START_GOAL_S, ours=secs(median(totals)) + spread),
        Row("  server ready (/_stcore/health ok)", secs(median(ready))),
        Row("  then page load to site markers drawn", secs(median(visible))),
        *mark_rows(marks, ("shell", "title", "iframe", "sites")),
    ]


MARK_NAMES = {
    "shell": "Streamlit frontend up (stApp drawn)",
    "title": "script started (page title drawn)",
    "iframe": "script ran, map iframe mounted",
    "sites": "Leaflet loaded, site markers drawn",
    "deposits": "first /api/deposits load drawn",
}


def wait_for_mark(page: Page, url: str, mark: str) -> dict[str, float]:
    """Open the app and wait until ``window.benchMarks`` has ``mark``; all marks (ms)."""
    page.goto(url, wait_until="commit")
    page.wait_for_function(f"() => window.benchMarks && window.benchMarks.{mark}",
                           timeout=60_000)
    return dict(page.evaluate("() => window.benchMarks"))


def mark_rows(marks: list[dict[str, float]], names: tuple[str, ...]) -> list[Row]:
    """Median milestones of page loads, in seconds since navigation start."""
    return [Row(f"    at: {MARK_NAMES[name]}", secs(median([m[name] for m in marks]) / 1e3))
            for name in names]


def rerun_rows(run: BenchRun, server: Server) -> list[Row]:
    """A commodity chosen in the sidebar (new map) and the filters cleared (cached map)."""
    labels = [commodity_label(code) for code in rerun_codes()]
    new, cleared = [], []
    with run.page() as page:
        wait_for_mark(page, server.url, "sites")
        page.wait_for_selector(IDLE_APP)
        for label in labels:
            new.append(_choose_commodity(page, label))
            cleared.append(_clear_filters(page))
    return [
        _rerun_row("rerun in Chromium: new commodity (map built)", new),
        _rerun_row("rerun in Chromium: filters cleared (cached map)", cleared),
    ]


def apptest_rows() -> list[Row]:
    """The same filter changes run in-process by AppTest on mapping/main.py."""
    at = AppTest.from_file(str(ROOT / "mapping" / "main.py"), default_timeout=60)
    warm_up = timed(at.run)
    new, cleared = [], []
    for code in rerun_codes():
        new.append(timed(functools.partial(_set_commodities, at, [code])))
        cleared.append(timed(functools.partial(_set_commodities, at, [])))
        if at.exception:
            raise RuntimeError(f"AppTest run failed: {at.exception}")
    n = len(new)
    return [
        Row("AppTest first run (warm-up, not a rerun)", secs(warm_up)),
        goal_row(f"rerun in AppTest: new commodity (map built), median of {n}", median(new),
                 secs, RERUN_GOAL_S),
        goal_row(f"rerun in AppTest: commodity removed (cached map), median of {n}",
                 median(cleared), secs, RERUN_GOAL_S),
    ]


def _set_commodities(at: AppTest, codes: list[str]) -> AppTest:
    """Set the sidebar commodity filter and rerun the script."""
    return at.multiselect(key="f_commodity").set_value(codes).run()


def rerun_codes() -> list[str]:
    """The commodities carried by most located sites (each gives a different, non-empty map)."""
    counts = facet_counts(located(load_sites(engine())), "commodities", multi=True)
    return sorted(counts, key=lambda c: (-counts[c], c))[:RERUN_CHOICES]


def _choose_commodity(page: Page, label: str) -> dict[str, float]:
    """Type a commodity into the sidebar multiselect and time the rerun its Enter starts."""
    page.get_by_role("combobox", name="Commodity").fill(label)
    page.wait_for_function(ONE_OPTION_JS, arg=label)
    return _timed_rerun(page, lambda: page.keyboard.press("Enter"))


def _clear_filters(page: Page) -> dict[str, float]:
    """Close the commodity list, press "Clear filters" with the keyboard, time the rerun."""
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Clear filters").focus()
    return _timed_rerun(page, lambda: page.keyboard.press("Enter"))


def _timed_rerun(page: Page, press: Callable[[], None]) -> dict[str, float]:
    """Seconds from the key press to the script running, idle again, and the new map drawn."""
    page.evaluate(RERUN_WATCH_JS, MAP_IFRAME)
    press()
    page.wait_for_function("() => window.benchRerun.done !== null", timeout=60_000)
    watch = page.evaluate("() => window.benchRerun")
    return {k: (v if v is not None else math.nan) / 1e3 for k, v in watch.items()}


def _rerun_row(measure: str, times: list[dict[str, float]]) -> Row:
    """Median time to the new map drawn (the goal), with when the script ran."""
    running, idle, done = (median([t[k] for t in times]) for k in ("running", "idle", "done"))
    shown = f"{secs(done)} (script ran {running:.2f}-{idle:.2f} s)"
    return goal_row(f"{measure}, median of {len(times)}", done, secs, RERUN_GOAL_S, ours=shown)
