"""The wheel built from the repository holds what the app needs and nothing of others' code,
and installed into a fresh virtualenv outside the checkout it runs: the map's assets are
installed beside it, ``permitmap db init`` seeds a store from the bundled data, and
``permitmap serve`` serves the pages, our scripts, Leaflet and the basemap.

The wheel is built (``pip wheel --no-deps .``) from a snapshot of the working tree without
what git ignores (virtualenvs, ``build/``, ``*.egg-info``, caches, ``var/``) but with the
checkout's ``mapping/static/vendor``, so that a stale ``build/lib`` cannot add files and the
check that no vendor file is shipped means something; nothing is written into the checkout.
Dependencies come from the package index (pip's cache and configuration).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory

from deploy.processes import free_port, http_get, stop, wait_until_healthy
from mapping.webmap import assets

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "store", "layers", "sites", "exports", "services", "mapping", "permits",
            "commands", "deploy")
OWN_STATIC = ROOT / "mapping" / "static" / "permitmap"
CHECKOUT_VENDOR = ROOT / "mapping" / "static" / "vendor"
# What git ignores, and the git folder itself: not part of what a build may read.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "var", "__pycache__", "*.pyc",
    ".pytest_cache", ".mypy_cache", ".ruff_cache", ".import_linter_cache", ".hypothesis",
    "node_modules", "test-results",
)
STARTUP_SECONDS = 120.0
INSTALL_TIMEOUT_S = 900


def _run(command: list[str], timeout: float, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run ``command``; fail the test with its output when it exits non-zero."""
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                            check=False, **kwargs)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited {result.returncode}:\n"
                    f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a snapshot of the working tree."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE, symlinks=True)
    out = base / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "-q", "-w",
          str(out), "."], timeout=600, cwd=source)
    wheels = list(out.glob("permitmap-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def _checkout_files(folder: Path, pattern: str = "*") -> dict[str, Path]:
    """Files under ``folder`` by their path relative to it, without Python's caches."""
    return {p.relative_to(folder).as_posix(): p for p in folder.rglob(pattern)
            if p.is_file() and "__pycache__" not in p.parts}


def test_wheel_holds_our_code_scripts_settings_and_data_only(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        read = archive.read

        # Every module of the checkout (a subpackage missing from pyproject's list fails here).
        modules = {f"{package}/{name}" for package in PACKAGES
                   for name in _checkout_files(ROOT / package, "*.py")}
        assert modules - names == set()
        assert {"store/migrations/env.py", "store/migrations/versions/0001_sites_deposits.py",
                "mapping/main.py", "mapping/serve.py", "mapping/pages/map_page.py"} <= names

        # Our own scripts and style sheets, byte for byte; no other script or style sheet.
        own = {f"mapping/static/permitmap/{name}": path
               for name, path in _checkout_files(OWN_STATIC).items()}
        assert {"mapping/static/permitmap/export_view.js",
                "mapping/static/permitmap/map.css"} <= set(own)
        assert set(own) - names == set()
        for name, path in own.items():
            assert read(name) == path.read_bytes(), name
        assert {n for n in names if n.endswith((".js", ".css", ".png", ".svg"))} == set(own)

        # The Streamlit settings beside the entry script, the same file the checkout uses.
        assert "mapping/.streamlit/config.toml" in names
        config = read("mapping/.streamlit/config.toml")
        assert config == (ROOT / ".streamlit" / "config.toml").read_bytes()
        assert b"enableStaticServing = true" in config

        # The bundled data, every file, byte for byte, under permitmap_data/.
        data = _checkout_files(ROOT / "data")
        assert {"sites.csv", "deposits.csv", "basemap/countries-110m.geojson",
                "rulesets/nepa-2023.toml", "permits/milestones.csv"} <= set(data)
        assert {f"permitmap_data/{name}" for name in data} - names == set()
        for name, path in data.items():
            assert read(f"permitmap_data/{name}") == path.read_bytes(), name

        # Nothing else: no vendor copies of others' code, no tests, no caches, no store.
        dist_info = "-".join(wheel.name.split("-")[:2]) + ".dist-info"
        tops = {n.split("/", 1)[0] for n in names}
        assert tops == {*PACKAGES, "permitmap_data", dist_info}
        assert not [n for n in names if "/vendor/" in n or "__pycache__" in n
                    or n.endswith((".pyc", ".db", ".tgz"))]
        entry_points = read(f"{dist_info}/entry_points.txt").decode()
        assert "permitmap = commands.main:main" in entry_points


# --- installed -----------------------------------------------------------------------------




def _bundled_rows(name: str) -> int:
    with (ROOT / "data" / name).open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A fresh virtualenv outside the checkout with the wheel installed, and the environment
    and working folder (also outside the checkout) the commands run with."""
    base = tmp_path_factory.mktemp("installed")
    assert ROOT not in base.resolve().parents
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], timeout=120)
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", str(wheel)], timeout=INSTALL_TIMEOUT_S)
    work = base / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PERMITMAP_", "PYTHON", "STREAMLIT_"))
           and k not in {"DATABASE_URL", "VIRTUAL_ENV"}}
    env |= {"PERMITMAP_DB_PATH": str(base / "store" / "permitmap.db"),
            "PERMITMAP_MAX_UPLOAD_MB": "123", "PYTHONUNBUFFERED": "1"}
    yield {"venv": venv, "python": python, "bin": venv / "bin", "work": work, "env": env,
           "db": base / "store" / "permitmap.db"}


def test_installed_wheel_runs_outside_the_checkout(installed: dict) -> None:
    python, bin_dir, work, env = (installed["python"], installed["bin"], installed["work"],
                                  installed["env"])
    kwargs = {"cwd": work, "env": env}

    # The code, the data and the default store folder are the installed ones.
    where = json.loads(_run([str(python), "-c", (
        "import json, domain.settings as s, mapping, store.db as d; print(json.dumps("
        "[mapping.__file__, str(s.DATA_DIR), s.IN_CHECKOUT, str(s.var_dir()),"
        " str(d.MIGRATIONS_DIR)]))")], timeout=120, **kwargs).stdout)
    site_packages = Path(where[0]).parent.parent
    assert installed["venv"] in site_packages.parents
    assert where[1:] == [str(site_packages / "permitmap_data"), False, str(work / "var"),
                         str(site_packages / "store" / "migrations")]

    # The map's assets: refused before they are installed, then copied from the checkout.
    port = free_port()
    refused = subprocess.run([str(bin_dir / "permitmap"), "serve", "--port", str(port)],
                             capture_output=True, text=True, timeout=120, check=False, **kwargs)
    assert refused.returncode == 1
    assert "python -m mapping.webmap.assets" in refused.stderr
    try:  # the checkout's own copy (a no-op when present); fails, never skips, without npm
        assets.install(log=lambda _line: None)
    except assets.AssetError as exc:
        pytest.fail(f"the checkout's assets are missing and not installable: {exc}")
    copied = _run([str(python), "-m", "mapping.webmap.assets", "--copy-from",
                   str(CHECKOUT_VENDOR)], timeout=120, **kwargs)
    assert copied.stdout.count("installed ") == len(assets.BUNDLES)
    _run([str(python), "-m", "mapping.webmap.assets", "--check"], timeout=60, **kwargs)

    # The store: created, migrated to the newest revision and seeded from the bundled data.
    sites, deposits = _bundled_rows("sites.csv"), _bundled_rows("deposits.csv")
    head = ScriptDirectory(str(ROOT / "store" / "migrations")).get_current_head()
    init = _run([str(bin_dir / "permitmap"), "db", "init"], timeout=300, **kwargs)
    assert f"sqlite:///{installed['db']}" in init.stdout
    assert f"(schema {head}): {sites} sites, {deposits} deposits" in init.stdout
    assert installed["db"].is_file() and not (work / "var").exists()

    # The app, with the packaged command, until the end of the test.
    log_path = work / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [str(bin_dir / "permitmap"), "serve", "--port", str(port), "--address",
             "127.0.0.1"], cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        health = wait_until_healthy(base_url, server, log_path, STARTUP_SECONDS)
        assert health["status"] == "ok" and health["schema_revision"] == head
        assert health["counts"]["sites"] == sites > 0
        assert health["counts"]["deposits"] == deposits > 0

        # Streamlit runs the installed entry with the upload limit from the environment.
        cmdline = Path(f"/proc/{server.pid}/cmdline")
        if cmdline.exists():  # Linux: the command took its process over (exec)
            argv = cmdline.read_bytes().decode().split("\0")
            assert argv[argv.index("run") + 1] == str(
                Path(where[0]).parent / "serve.py")
            assert argv[argv.index("--server.maxUploadSize") + 1] == "123"

        # Our scripts (static serving on: the packaged settings apply), Leaflet, the basemap.
        for name, path in _checkout_files(OWN_STATIC).items():
            assert http_get(f"{base_url}/app/static/permitmap/{name}") == (200, path.read_bytes())
        leaflet = CHECKOUT_VENDOR / "leaflet" / "leaflet.js"
        assert http_get(f"{base_url}/app/static/vendor/leaflet/leaflet.js") == (
            200, leaflet.read_bytes())
        status, body = http_get(f"{base_url}/api/basemap/countries-110m.geojson")
        assert status == 200
        bundled = json.loads((ROOT / "data" / "basemap" / "countries-110m.geojson").read_bytes())
        assert len(json.loads(body)["features"]) == len(bundled["features"]) > 100
        status, page = http_get(f"{base_url}/")
        assert status == 200 and b"<html" in page.lower()
    finally:
        stop(server, seconds=20)
