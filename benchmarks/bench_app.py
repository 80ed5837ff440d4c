"""Table A: the app on its bundled data: cold start to the first map, a filter change in
Chromium (the sites redrawn in the map already shown), a site opened from the sidebar, and
the script's rerun in-process with AppTest. Table B uses the same filter-change watch."""

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
    millis,
    percentile,
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
SITE_MARKERS = ".leaflet-pmSites-pane path.pm-site"
START_RUNS = 3
RERUN_CHOICES = 5
FILTER_CHANGES = 10  # a commodity chosen, then the filters cleared, five times
SELECTIONS = 5
START_GOAL_S = 3.0
RERUN_GOAL_S = 0.3
IDLE_APP = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# Figures of the code before the map was kept across reruns (issue 17; README, 2026-11-25).
BEFORE_START = "6.36 s"
BEFORE_FILTER = "0.54-0.78 s"  # medians as seen in Chromium, the map rebuilt in a new iframe
BEFORE_APPTEST = "0.12-0.14 s"

# Every app page, from its first frame: when the Streamlit shell, the map iframe, the site
# markers and the first deposit load appear (ms since navigation start). For the watch
# below, it also notes in the top page when the frontend first sends on its websocket, first
# hears back after that and last hears before the new site group reaches the map (the
# message that carried it, or one soon after), and in the map iframe when it arrives.
PAGE_MARKS_JS = """if (window.top === window) {
  const marks = {};
  window.benchMarks = marks;
  const sel = 'iframe[title="streamlit_folium.st_folium"]';
  const drawn = '[data-testid="stSidebarNav"], [data-testid="stMarkdown"]';
  const tick = () => {
    const now = performance.now(), frame = document.querySelector(sel);
    const doc = frame && frame.contentDocument;
    if (!marks.shell && document.querySelector('[data-testid="stApp"]')) marks.shell = now;
    if (!marks.title && document.querySelector(drawn)) marks.title = now;
    if (!marks.iframe && frame) marks.iframe = now;
    const sites = doc && doc.querySelector(".leaflet-pmSites-pane path.pm-site");
    if (!marks.sites && sites) marks.sites = now;
    if (marks.sites && doc.querySelector(".leaflet-container[data-deposit-loads]")) {
      marks.deposits = now;
      return;
    }
    if (now < 120000) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  // the Streamlit frontend's websocket: when a watched change first sends, first hears back
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    const watch = window.benchWatch, now = performance.now();
    if (watch && watch.start !== null && watch.sent === null) watch.sent = now - watch.start;
    if (!this.benchHeard) {
      this.benchHeard = true;
      this.addEventListener("message", () => {
        const w = window.benchWatch;
        if (!w || w.sent === null) return;
        const now = performance.now() - w.start;
        if (w.heard === null) w.heard = now;
        if (w.args === null) w.lastHeard = now;  // the last before the site group arrived
      });
    }
    return send.call(this, data);
  };
} else {
  // Every frame, st_folium's map iframe among them: a listener registered before the
  // component's own notes when a render message with a new site group arrives (the
  // component handles it, evaluating the group, inside its own listener).
  window.addEventListener("message", (event) => {
    let watch = null;
    try { watch = window.top.benchWatch; } catch (err) { return; }  // another origin
    const data = event.data || {};
    if (watch && watch.start !== null && watch.args === null &&
        data.type === "streamlit:render" && data.args &&
        data.args.feature_group !== watch.group) {
      watch.args = window.top.performance.now() - watch.start;
    }
  });
}"""

# Main page, before a key press or click that changes a filter or the selection: watch the
# map iframe (the same element and the same Leaflet map throughout, or it says so) from that
# input until its sites are redrawn (``data-site-updates`` incremented) and, for a filter
# change, the marker count changed; for a selection, until ``data-selected`` is the site and
# its marker is ringed (``pm-selected``), counted at the first animation frame after (what
# the eye can see). On the way it notes when the rerun request went out and the first answer
# came back and when the new site group reached the iframe (PAGE_MARKS_JS), when the frontend
# showed the script running and finished, when sites.js ran inside st_folium's eval of the
# group, and when st_folium had handled that render message (the group added to the map, so
# the view request applied, which redraws the basemap and asks for deposits); optionally the
# deposits' next load. Times are ms since the input, on the top page's clock.
WATCH_JS = """([sel, markers, selected, deposits]) => {
  const frame = document.querySelector(sel), win = frame.contentWindow;
  const doc = frame.contentDocument, box = doc.querySelector(".leaflet-container");
  const app = document.querySelector('[data-testid="stApp"]');
  const count = () => doc.querySelectorAll(markers).length;
  const attr = (name) => Number(box.getAttribute(name) || 0);
  const token = String(Math.random()), leaflet = win.map_div;
  frame.benchNode = token;
  const before = {count: count(), updates: attr("data-site-updates"),
                  loads: attr("data-deposit-loads"),
                  group: win.__GLOBAL_DATA__.last_feature_group};
  const watch = {start: null, sent: null, heard: null, lastHeard: null, running: null,
                 idle: null, args: null,
                 evalStart: null, evalEnd: null, handled: null, done: null, centred: null,
                 deposits: null, finished: false, same: null, count: null,
                 before: before.count, offset: null, group: before.group};
  window.benchWatch = watch;
  const since = () => performance.now() - watch.start;
  if (!win.benchHooked) {  // once per iframe: they read the current watch when they fire
    win.benchHooked = true;
    const top = window;
    // registered after st_folium's own listener: runs once st_folium has handled the message
    win.addEventListener("message", (event) => {
      const w = top.benchWatch, data = event.data || {};
      if (w && w.start !== null && w.handled === null && data.type === "streamlit:render" &&
          data.args && data.args.feature_group !== w.group) {
        w.handled = performance.now() - w.start;
      }
    });
    const draw = win.permitmapSites;
    win.permitmapSites = function () {
      const w = top.benchWatch, started = performance.now();
      try { return draw.apply(this, arguments); } finally {
        if (w && w.start !== null && w.evalStart === null) {
          w.evalStart = started - w.start;
          w.evalEnd = performance.now() - w.start;
        }
      }
    };
  }
  const begin = () => { if (watch.start === null) watch.start = performance.now(); };
  const states = new MutationObserver(() => {  // the frontend's script state, as it changes
    if (watch.start === null) return;
    const state = app.getAttribute("data-test-script-state");
    if (state === "running" && watch.running === null) watch.running = since();
    if (state === "notRunning" && watch.running !== null && watch.idle === null) {
      watch.idle = since();
      states.disconnect();
    }
  });
  states.observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
  document.addEventListener("keydown", begin, {capture: true, once: true});
  document.addEventListener("pointerdown", begin, {capture: true, once: true});
  const offCentre = () => {  // the selected marker from the centre of the map's clear part
    let found = null;
    leaflet.eachLayer((layer) => {
      const p = layer.feature && layer.feature.properties;
      if (p && p.kind === "site" && p.id === selected && layer.getLatLng) found = layer;
    });
    if (!found) return null;
    const point = leaflet.latLngToContainerPoint(found.getLatLng()), size = leaflet.getSize();
    const panel = parseFloat(box.style.getPropertyValue("--pm-panel")) || 0;
    const clear = size.x - panel;
    return Math.max(Math.abs(point.x - clear / 2) / clear,
                    Math.abs(point.y - size.y / 2) / size.y);
  };
  const tick = () => {
    if (watch.start !== null) {
      const now = since();
      const redrawn = attr("data-site-updates") > before.updates;
      if (watch.done === null && redrawn && (selected === null
          ? count() !== before.count
          : box.getAttribute("data-selected") === selected &&
            doc.querySelector(markers + ".pm-selected") !== null)) {
        watch.done = now;
        watch.count = count();
        const frames = document.querySelectorAll(sel);
        watch.same = frames.length === 1 && frames[0] === frame &&
                     frame.benchNode === token && frame.contentWindow.map_div === leaflet;
      }
      if (watch.done !== null && selected !== null && watch.centred === null) {
        const off = offCentre();
        watch.offset = off;
        if (off !== null && off < 0.2) watch.centred = now;
      }
      if (deposits && watch.deposits === null && attr("data-deposit-loads") > before.loads) {
        watch.deposits = now;
      }
      const settled = watch.done !== null && (watch.idle !== null || now > watch.done + 5000) &&
        (selected === null || watch.centred !== null || now > watch.done + 3000) &&
        (!deposits || watch.deposits !== null || now > watch.done + 10000);
      if (settled) { watch.finished = true; states.disconnect(); return; }
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""

ONE_OPTION_JS = """(label) => {
  const options = [...document.querySelectorAll('[role="option"]')];
  return options.length === 1 && options[0].textContent.startsWith(label + " (");
}"""

# The phases of a watched change, in the order they happen, and how the table names them.
PHASES = (
    ("sent", "rerun request sent on the websocket"),
    ("heard", "first message back from the server"),
    ("running", "frontend shows the script running"),
    ("lastHeard", "last websocket message before the new site group arrived"),
    ("args", "new site group reaches the map iframe"),
    ("evalStart", "st_folium evaluates it: sites.js starts"),
    ("evalEnd", "sites.js returns (markers drawn into the group)"),
    ("handled", "st_folium done: group on the map, view applied"),
    ("done", "next frame: new markers counted (the measure)"),
    ("idle", "frontend shows the script finished"),
)


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
                 START_GOAL_S, ours=secs(median(totals)) + spread, before=BEFORE_START),
        Row("  server ready (/_stcore/health ok)", secs(median(ready)), before="1.31 s"),
        Row("  then page load to site markers drawn", secs(median(visible)), before="4.96 s"),
        *mark_rows(marks, ("shell", "title", "iframe", "sites")),
    ]


MARK_NAMES = {
    "shell": "Streamlit frontend up (stApp drawn)",
    "title": "script started (first element drawn)",
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


def filter_change_rows(run: BenchRun, server: Server, deposits: bool = False) -> list[Row]:
    """FILTER_CHANGES filter changes in Chromium: a commodity chosen in the sidebar, then the
    filters cleared, in turn; from the key press to the new site markers in the same map
    (and, with ``deposits``, to the deposits' next load)."""
    labels = [commodity_label(code) for code in rerun_codes()]
    times = []
    with run.page() as page:
        wait_for_mark(page, server.url, "deposits" if deposits else "sites")
        page.wait_for_selector(IDLE_APP)
        for n in range(FILTER_CHANGES):
            if n % 2 == 0:
                times.append(_choose_commodity(page, labels[n // 2 % len(labels)], deposits))
            else:
                times.append(_clear_filters(page, deposits))
            page.wait_for_selector(IDLE_APP)
    done = [t["done"] for t in times]
    n = len(times)
    same = sum(bool(t["same"]) for t in times)
    counts = sorted({int(t["count"]) for t in times})
    rows = [
        goal_row(f"filter change in Chromium: key press to new site markers, median of {n}",
                 median(done), secs, RERUN_GOAL_S, before=BEFORE_FILTER),
        goal_row(f"  the same: p95 of {n}", percentile(done, 95), secs, RERUN_GOAL_S),
        Row("  same map (no reload): same iframe element and Leaflet map after",
            f"{same} of {n}", before="0 (new iframe)"),
        Row("  site markers drawn after the changes",
            ", ".join(str(c) for c in counts)),
        *phase_rows(times),
    ]
    if deposits:
        loads = [t["deposits"] for t in times if not math.isnan(t["deposits"])]
        shown = (f"{secs(median(loads))} / {secs(percentile(loads, 95))}" if loads else "-")
        rows.append(Row(f"  then the deposits' next load drawn: median / p95 of {len(loads)}",
                        shown + ("" if len(loads) == n else f" (none after {n - len(loads)})")))
    return rows


def selection_rows(run: BenchRun, server: Server, phases: bool = True) -> list[Row]:
    """SELECTIONS different sites opened with "Open a matching site": from the click on the
    option to ``data-selected`` being the site and its marker ringed (``pm-selected``);
    ``phases``: with the phase rows."""
    times = []
    with run.page() as page:
        wait_for_mark(page, server.url, "sites")
        page.wait_for_selector(IDLE_APP)
        for ident, name in selection_sites():
            times.append(_open_site(page, ident, name))
            page.wait_for_selector(IDLE_APP)
    done = [t["done"] for t in times]
    n = len(times)
    centred = [t["centred"] for t in times if not math.isnan(t["centred"])]
    same = sum(bool(t["same"]) for t in times)
    return [
        Row(f"selection to centred map: 'Open a matching site' to the ringed marker, "
            f"median of {n} sites (max)",
            f"{secs(median(done))} ({secs(max(done))})", before="- (new)"),
        Row("  marker within 20 % of the clear map's centre / when (median)",
            f"{len(centred)} of {n} / " + (secs(median(centred)) if centred else "-")),
        Row("  same map (no reload)", f"{same} of {n}"),
        *(phase_rows(times) if phases else []),
    ]


def phase_rows(times: list[dict[str, float]]) -> list[Row]:
    """When each phase of a watched change was reached (median, s since the input), and how
    long sites.js itself took."""
    rows = []
    for key, name in PHASES:
        values = [t[key] for t in times if not math.isnan(t[key])]
        seen = "" if len(values) == len(times) else f" (seen in {len(values)})"
        rows.append(Row(f"    at: {name}", (secs(median(values)) if values else "-") + seen))
    drawing = [t["evalEnd"] - t["evalStart"] for t in times
               if not math.isnan(t["evalEnd"] - t["evalStart"])]
    if drawing:
        rows.append(Row("    sites.js alone (median)", millis(median(drawing) * 1e3)))
    return rows


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
        Row("AppTest first run (warm-up, not a rerun)", secs(warm_up), before="0.58 s"),
        goal_row(f"rerun in AppTest (the script alone): commodity chosen, median of {n}",
                 median(new), secs, RERUN_GOAL_S, before=BEFORE_APPTEST),
        goal_row(f"rerun in AppTest (the script alone): commodity removed, median of {n}",
                 median(cleared), secs, RERUN_GOAL_S, before=BEFORE_APPTEST),
    ]


def _set_commodities(at: AppTest, codes: list[str]) -> AppTest:
    """Set the sidebar commodity filter and rerun the script."""
    return at.multiselect(key="f_commodity").set_value(codes).run()


def rerun_codes() -> list[str]:
    """The commodities carried by most located sites, but not by all (each gives a different,
    non-empty set of markers)."""
    sites = located(load_sites(engine()))
    counts = facet_counts(sites, "commodities", multi=True)
    fewer = [c for c in counts if counts[c] < len(sites)]
    return sorted(fewer, key=lambda c: (-counts[c], c))[:RERUN_CHOICES]


def selection_sites() -> list[tuple[str, str]]:
    """SELECTIONS located sites spread through the table (by id), each with a name no other
    site's name contains, as (id, name)."""
    sites = located(load_sites(engine())).sort_values("id")
    names = list(sites["name"])
    unique = [(str(i), str(n)) for i, n in zip(sites["id"], sites["name"], strict=True)
              if sum(n.lower() in other.lower() for other in names) == 1]
    step = max(1, len(unique) // SELECTIONS)
    return unique[::step][:SELECTIONS]


def _choose_commodity(page: Page, label: str, deposits: bool) -> dict[str, float]:
    """Type a commodity into the sidebar multiselect and time what its Enter starts."""
    box = page.get_by_role("combobox", name="Commodity")
    box.click()  # the list opens on a click; typing alone may leave it closed
    box.fill(label)
    page.wait_for_function(ONE_OPTION_JS, arg=label)
    return _watched(page, lambda: page.keyboard.press("Enter"), None, deposits)


def _clear_filters(page: Page, deposits: bool) -> dict[str, float]:
    """Close the commodity list, press "Clear filters" with the keyboard, time what follows."""
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Clear filters").focus()
    return _watched(page, lambda: page.keyboard.press("Enter"), None, deposits)


def _open_site(page: Page, ident: str, name: str) -> dict[str, float]:
    """Type a site's name into "Open a matching site", click its option, time what follows."""
    picker = page.locator('[data-testid="stSidebar"]').get_by_role(
        "combobox", name="Open a matching site")
    picker.click()
    picker.fill(name)
    option = page.get_by_role("option", name=name, exact=True)
    option.wait_for()
    return _watched(page, option.click, ident, False)


def _watched(page: Page, act: Callable[[], None], selected: str | None,
             deposits: bool) -> dict[str, float]:
    """Seconds from the input ``act`` gives to each phase of WATCH_JS, NaN for one not seen;
    ``same`` and ``count`` as the watch found them."""
    page.evaluate(WATCH_JS, [MAP_IFRAME, SITE_MARKERS, selected, deposits])
    act()
    page.wait_for_function("() => window.benchWatch.finished", timeout=60_000)
    watch = page.evaluate("() => window.benchWatch")
    times = {key: (math.nan if watch[key] is None else watch[key] / 1e3)
             for key in ("done", "centred", "deposits", *(k for k, _ in PHASES))}
    times["same"] = float(bool(watch["same"]))
    times["count"] = float(watch["count"])
    return times
