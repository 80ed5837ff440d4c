"""Downloads as a user makes them, in Chromium against a real ``streamlit run``: the map's
"Export this view" control (a file of the sites in view, in a chosen format, and a briefing
pack framed on the view) and the "Export these sites" buttons beside the map. Every file is
read back with the library its users have; no request leaves localhost."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pyogrio
import pytest
from playwright.sync_api import Locator, expect

from tests.browser.conftest import MapPage, is_local
from tests.support.fixtures_data import SAMPLE_SITES

pytestmark = pytest.mark.browser

TODAY = date.today().isoformat()


def _view(map_page: MapPage, lat: float, lon: float, zoom: int) -> None:
    map_page.map_frame().evaluate(
        "([lat, lon, zoom]) => window.map_div.setView([lat, lon], zoom, {animate: false})",
        [lat, lon, zoom])


def _bbox(href: str | None) -> list[float]:
    assert href is not None
    return [float(v) for v in parse_qs(urlparse(href).query)["bbox"][0].split(",")]


def _narrow_bbox(link: Locator, wider_than: float = 90.0) -> list[float]:
    """The link's box once it frames a zoomed-in view: the links follow the view on
    "moveend", and a rerun that redraws the map shows the opening (world) view a moment
    before the saved one, so the first href read can still be the world's."""
    deadline = time.monotonic() + 10
    while True:
        box = _bbox(link.get_attribute("href"))
        if (box[2] - box[0]) % 360 < wider_than or time.monotonic() > deadline:
            return box
        time.sleep(0.1)


def _no_trouble(map_page: MapPage) -> None:
    assert [u for u in map_page.requests if not is_local(u)] == []
    assert map_page.page_errors == [] and map_page.console_errors == []


def test_the_map_downloads_the_sites_in_its_view(map_page: MapPage, tmp_path: Path) -> None:
    map_page.open()
    _view(map_page, 36.0, 137.0, 6)  # central Japan: only the magnet works is in view
    control = map_page.map.locator(".pm-export-view")
    expect(control.locator(".pm-export-title")).to_have_text("Export this view (1 site)")
    control.locator(".pm-export-title").click()  # it opens from its title
    control.get_by_label("Export format").select_option("gpkg")
    link = control.get_by_role("link", name="Download")
    west, south, east, north = _narrow_bbox(link)
    assert west < 136.17 < east and south < 35.9 < north and east - west < 40
    with map_page.page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == f"sites_bbox_{TODAY}.gpkg"
    _view(map_page, 30.0, 0.0, 1)  # the world: every located site
    expect(control.locator(".pm-export-title")).to_have_text(
        f"Export this view ({len([s for s in SAMPLE_SITES if s['lat'] != ''])} sites)")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    sites = pyogrio.read_dataframe(path)
    assert sites["id"].tolist() == ["jp-gamma"]
    assert sites["schedule_health"].tolist() == ["no permitting record"]
    _no_trouble(map_page)


def test_the_briefing_pack_of_the_view_frames_the_view(map_page: MapPage) -> None:
    map_page.open("?commodity=Li")
    _view(map_page, 38.5, -116.5, 5)  # Nevada and around
    control = map_page.map.locator(".pm-export-view")
    # the links follow the view on "moveend": wait for it before reading one
    expect(control.locator(".pm-export-title")).to_have_text("Export this view (2 sites)")
    control.locator(".pm-export-title").click()
    pack = control.get_by_role("link", name="Briefing pack")
    bbox = _narrow_bbox(pack)
    assert bbox[2] - bbox[0] < 90
    with map_page.page.expect_download() as info:
        pack.click()
    download = info.value
    assert download.suggested_filename == f"briefing_sites_li_bbox_{TODAY}.zip"
    archive = zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes()))
    readme = archive.read("README.txt").decode()
    assert "inside " + ",".join(f"{v:g}" for v in bbox) in readme
    table = pd.read_csv(io.BytesIO(archive.read(f"sites_li_bbox_{TODAY}.csv")),
                        encoding="utf-8-sig", skiprows=1)  # the marking line first
    assert sorted(table["id"]) == ["us-alpha", "us-xss"]
    assert archive.read("map.png").startswith(b"\x89PNG")
    _no_trouble(map_page)


def test_a_view_across_the_180th_meridian_is_one_box(map_page: MapPage) -> None:
    map_page.open()
    _view(map_page, -18.0, 180.0, 5)
    control = map_page.map.locator(".pm-export-view")
    control.locator(".pm-export-title").click()
    west, _south, east, _north = _narrow_bbox(control.get_by_role("link", name="Download"))
    assert -180 < east < 0 < west < 180  # west > east: across the meridian, not clamped at it
    assert 180 - west == pytest.approx(east + 180, abs=0.2)  # centred on it


def test_the_page_prepares_then_downloads_every_site(map_page: MapPage) -> None:
    page = map_page.open().page
    page.get_by_text("Export these sites").click()
    # a click while the expander still unfolds does not open the list
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")
    page.get_by_role("combobox", name="Export format").click()
    page.get_by_role("option", name="CSV (spreadsheets)").click()
    map_page.wait_idle()
    page.get_by_role("button", name="Prepare the export").click()
    download_button = page.get_by_role("button", name=f"Download sites_{TODAY}.csv")
    expect(download_button).to_be_visible()
    expect(page.get_by_role("button", name="Prepare the export")).to_have_count(0)
    map_page.wait_idle()
    with page.expect_download() as info:
        download_button.click()
    table = pd.read_csv(Path(info.value.path()), encoding="utf-8-sig", skiprows=1)
    assert sorted(table["id"]) == sorted(str(s["id"]) for s in SAMPLE_SITES)
    assert table["name"].str.startswith(("=", "+", "-", "@")).sum() == 0  # neutralised
    _no_trouble(map_page)
