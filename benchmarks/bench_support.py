"""Shared pieces of the map benchmark: result rows and tables, timing, a Streamlit server,
headless Chromium."""

from __future__ import annotations

import contextlib
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, ViewportSize, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
VIEWPORT: ViewportSize = {"width": 1400, "height": 900}
HEALTH_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Row:
    """One line of a result table; ``met`` is "yes", "no" or "-" (no goal); ``before`` is
    the figure an earlier version of the code gave for the same measure, if any."""

    measure: str
    ours: str
    naive: str = "-"
    goal: str = "-"
    met: str = "-"
    before: str = "-"


def goal_row(measure: str, value: float, shown: Callable[[float], str], limit: float,
             naive: str = "-", ours: str | None = None, before: str = "-") -> Row:
    """A row whose goal is ``value <= limit``, both shown with ``shown``."""
    met = "yes" if value <= limit else "NO"
    return Row(measure, ours or shown(value), naive, f"<= {shown(limit)}", met, before)


def format_table(title: str, rows: list[Row]) -> str:
    """The rows as a plain-text table with aligned columns under a title; a "before"
    column beside "ours" when any row has an earlier figure."""
    if all(r.before == "-" for r in rows):
        header: tuple[str, ...] = ("measure", "ours", "naive", "goal", "met?")
        return text_table(title, header,
                          [(r.measure, r.ours, r.naive, r.goal, r.met) for r in rows],
                          left=(0, 4))
    header = ("measure", "ours", "before", "naive", "goal", "met?")
    return text_table(title, header,
                      [(r.measure, r.ours, r.before, r.naive, r.goal, r.met) for r in rows],
                      left=(0, 5))


def text_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]],
               notes: Sequence[str] = (), left: Sequence[int] = (0,)) -> str:
    """Rows under a title as plain text: the ``left`` columns left-aligned, the others right,
    then the notes, indented."""
    cells = [list(header), *(list(r) for r in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    lines = [title, "=" * len(title)]
    for n, line in enumerate(cells):
        parts = [c.ljust(w) if i in left else c.rjust(w)
                 for i, (c, w) in enumerate(zip(line, widths, strict=True))]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join([*lines, *(f"  {note}" for note in notes)])


def secs(value: float) -> str:
    """Seconds with two decimals: ``1.23 s``."""
    return f"{value:.2f} s"


def millis(value: float) -> str:
    """Milliseconds, given in milliseconds: ``12.3 ms``."""
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def size(value: float) -> str:
    """A byte count in B, kB or MB (decimal units)."""
    if value >= 1e6:
        return f"{value / 1e6:.2f} MB"
    return f"{value / 1e3:.1f} kB" if value >= 1e3 else f"{value:.0f} B"


def median(values: list[float]) -> float:
    """The median of a non-empty list."""
    return float(statistics.median(values))


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile (0-100) of a non-empty list, interpolated between the two
    nearest ranks (the 95th of 10 values lies between the 9th and the 10th)."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * share / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def timed(action: Callable[[], object]) -> float:
    """Seconds that ``action()`` takes."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def repeat(action: Callable[[], object], runs: int) -> list[float]:
    """Seconds of ``runs`` calls of ``action``."""
    return [timed(action) for _ in range(runs)]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    """A running ``streamlit run app.py``."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        """The app's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> bytes:
        """The body of a GET on the app (raises on HTTP errors)."""
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return bytes(response.read())

    def wait_healthy(self) -> None:
        """Return once ``/_stcore/health`` says ok; raise if the server dies or never does."""
        deadline = time.perf_counter() + HEALTH_TIMEOUT_S
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited early:\n{self.log.read_text()[-2000:]}")
            with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError):
                if self.get("/_stcore/health") == b"ok":
                    return
            time.sleep(0.02)
        raise RuntimeError(f"streamlit not healthy after {HEALTH_TIMEOUT_S} s")


@contextlib.contextmanager
def streamlit_server(env: dict[str, str], log: Path) -> Iterator[Server]:
    """Start ``streamlit run app.py`` on a free port; stop it on exit."""
    port = free_port()
    command = [str(BIN / "streamlit"), "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        yield Server(process, port, log)
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate one process we started, killing it if it does not exit in time."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's headless Chromium driven by Playwright."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox", "--disable-gpu"])
        try:
            yield browser
        finally:
            browser.close()
