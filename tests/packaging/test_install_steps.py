"""The pieces the installed app stands on, checked in the checkout (fast; the wheel itself is
tested in ``test_wheel.py``): the entry scripts Streamlit discovers, the one copy of the
Streamlit settings, the ``permitmap serve`` command line and ``assets --copy-from``."""

from __future__ import annotations

import shutil
import sys
import tomllib
from pathlib import Path

import pytest
from streamlit.web.server.app_discovery import discover_asgi_app

from commands.main import main
from commands.serve_cli import entry_script, serve_environment, streamlit_command
from mapping.webmap import assets

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("script", ["app.py", "mapping/serve.py"])
def test_streamlit_finds_the_app_in_both_entry_scripts(script: str) -> None:
    found = discover_asgi_app(ROOT / script)
    assert (found.is_asgi_app, found.app_name) == (True, "app")
    source = (ROOT / script).read_text(encoding="utf-8")
    assert ("from mapping.web.routes import EXCEPTION_HANDLERS, MIDDLEWARE, ROUTES, lifespan"
            in source) and "middleware=MIDDLEWARE" in source


def test_one_copy_of_the_streamlit_settings_shipped_beside_the_entry() -> None:
    packaged = ROOT / "mapping" / ".streamlit" / "config.toml"
    assert (ROOT / ".streamlit").is_symlink()
    assert (ROOT / ".streamlit" / "config.toml").resolve() == packaged.resolve()
    server = tomllib.loads(packaged.read_text(encoding="utf-8"))["server"]
    assert server["enableStaticServing"] is True and server["enableXsrfProtection"] is True


def test_serve_runs_streamlit_on_the_packaged_entry() -> None:
    assert entry_script() == ROOT / "mapping" / "serve.py"
    assert streamlit_command(8600, "127.0.0.1", 123) == [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "mapping" / "serve.py"),
        "--server.maxUploadSize", "123", "--server.port", "8600",
        "--server.address", "127.0.0.1",
    ]
    assert streamlit_command(None, None, 500)[-2:] == ["--server.maxUploadSize", "500"]


def test_serve_environment_shares_the_cookie_secret_and_caps_heap_arenas() -> None:
    env = serve_environment({"PATH": "/bin", "PERMITMAP_COOKIE_SECRET": " s3cret "})
    assert env["STREAMLIT_SERVER_COOKIE_SECRET"] == "s3cret" and env["PATH"] == "/bin"
    assert env["MALLOC_ARENA_MAX"] == "2"
    assert "STREAMLIT_SERVER_COOKIE_SECRET" not in serve_environment({})
    assert serve_environment({"MALLOC_ARENA_MAX": "8"})["MALLOC_ARENA_MAX"] == "8"


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_serve_refuses_a_bad_port(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--port", port])
    assert exit_.value.code == 2
    assert "is not a port (1 to 65535)" in capsys.readouterr().err


@pytest.fixture
def checkout_vendor() -> Path:
    """The checkout's installed assets (a no-op when present); fails, never skips."""
    try:
        assets.install(log=lambda _line: None)
    except assets.AssetError as exc:
        pytest.fail(f"vendored assets missing and not installable: {exc}")
    return assets.VENDOR_DIR


@pytest.fixture
def other_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``assets`` pointed at an empty vendor folder, as in a freshly installed package."""
    vendor = tmp_path / "installed" / "static" / "vendor"
    monkeypatch.setattr(assets, "STATIC_DIR", vendor.parent)
    monkeypatch.setattr(assets, "VENDOR_DIR", vendor)
    monkeypatch.setattr(assets, "MANIFEST_PATH", vendor / "MANIFEST.json")
    return vendor


def test_copy_from_installs_every_bundle_checked(checkout_vendor: Path,
                                                 other_install: Path) -> None:
    assert len(assets.pending()) == len(assets.BUNDLES)
    lines: list[str] = []
    assert assets.install(copy_from=checkout_vendor, log=lines.append) == [
        b.name for b in assets.BUNDLES]
    assert assets.pending() == []
    leaflet = "leaflet/leaflet.js"
    assert (other_install / leaflet).read_bytes() == (checkout_vendor / leaflet).read_bytes()
    assert any("originally pypi:XStatic-Leaflet" in line for line in lines)
    assert assets.install(copy_from=checkout_vendor, log=lines.append) == []  # up to date


def test_copy_from_a_damaged_folder_writes_nothing(checkout_vendor: Path, other_install: Path,
                                                   tmp_path: Path) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(checkout_vendor, damaged)
    measure = damaged / "leaflet-measure" / "leaflet-measure.min.js"
    measure.write_bytes(measure.read_bytes() + b"alert(1);")
    with pytest.raises(assets.AssetError, match=r"leaflet-measure\.min\.js differs from its "
                                                r"checksum in .*MANIFEST\.json"):
        assets.install(copy_from=damaged)
    assert not other_install.exists()
    assert assets.main(["--copy-from", str(tmp_path / "nowhere")]) == 1
    assert not other_install.exists()
