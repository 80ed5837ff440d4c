"""The briefing pack's picture: a view is framed whole (across the 180th meridian too), the
sites sit where the map puts them, coloured by status, over the bundled outlines."""

from __future__ import annotations

import io
import math

import geopandas as gpd
import pytest
from PIL import Image
from shapely.geometry import Point

from domain.colours import STATUS_COLOURS
from domain.settings import DATA_DIR
from exports.briefing_picture import (
    BORDER,
    HEIGHT,
    LAND,
    SEA,
    WIDTH,
    map_png,
    picture_frame,
    site_frame,
)

BASEMAP = DATA_DIR / "basemap" / "countries-110m.geojson"
RADIUS = 6_378_137.0


def _sites(*points: tuple[float, float, str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"status": [status for *_, status in points]},
                            geometry=[Point(lon, lat) for lon, lat, _ in points],
                            crs="EPSG:4326")


def _pixel(frame: tuple[float, float, float, float], lon: float, lat: float
           ) -> tuple[int, int]:
    """Where the picture should put a place, by the mercator formula itself."""
    x0, y0, x1, y1 = frame
    x = math.radians(lon) * RADIUS
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * RADIUS
    return round((x - x0) / (x1 - x0) * WIDTH), round((y1 - y) / (y1 - y0) * HEIGHT)


def _colour(png: bytes, xy: tuple[int, int]) -> str:
    r, g, b = Image.open(io.BytesIO(png)).convert("RGB").getpixel(xy)  # type: ignore[misc]
    return f"#{r:02X}{g:02X}{b:02X}"


def _mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * RADIUS


def test_a_view_is_framed_whole_without_a_margin() -> None:
    view = (-120.0, 30.0, -100.0, 45.0)  # taller than the picture's 3:2 in mercator
    x0, y0, x1, y1 = picture_frame(view, 0.0)
    assert (y0, y1) == pytest.approx((_mercator_y(30.0), _mercator_y(45.0)))
    assert (x0 + x1) / 2 == pytest.approx(math.radians(-110.0) * RADIUS)  # centred
    assert x1 - x0 == pytest.approx((y1 - y0) * WIDTH / HEIGHT)
    with_margin = picture_frame(view, 0.08)
    assert with_margin[1] < y0 and with_margin[3] > y1


def test_sites_are_drawn_where_the_view_puts_them() -> None:
    view = (-120.0, 30.0, -100.0, 45.0)
    producer, permitting = STATUS_COLOURS["producer"], STATUS_COLOURS["permitting"]
    png = map_png(_sites((-115.0, 36.0, "producer"), (-105.0, 40.0, "permitting")), BASEMAP,
                  "Sites", STATUS_COLOURS, view)
    frame = picture_frame(view, 0.0)
    assert _colour(png, _pixel(frame, -115.0, 36.0)) == producer.upper()
    assert _colour(png, _pixel(frame, -105.0, 40.0)) == permitting.upper()
    assert _colour(png, _pixel(frame, -110.0, 33.0)) == LAND.upper()  # Arizona
    # the Pacific (its corner, lat 30.5, now holds the scale bar)
    assert _colour(png, _pixel(frame, -119.5, 33.5)) == SEA.upper()


def test_a_view_across_the_180th_meridian_shows_both_sides() -> None:
    view = (170.0, -25.0, -170.0, -10.0)  # Fiji and Tonga
    frame = picture_frame(view, 0.0)
    png = map_png(_sites((-175.2, -21.1, "producer"), (178.0, -17.8, "permitting")), BASEMAP,
                  "Sites", STATUS_COLOURS, view)
    # east of 180°, a longitude is drawn one turn further east
    assert _colour(png, _pixel(frame, -175.2 + 360.0, -21.1)) == \
        STATUS_COLOURS["producer"].upper()
    assert _colour(png, _pixel(frame, 178.0, -17.8)) == STATUS_COLOURS["permitting"].upper()
    assert 0 < _pixel(frame, 180.0, -17.0)[0] < WIDTH


def test_without_a_view_the_sites_are_framed_with_a_margin() -> None:
    sites = _sites((136.17, 35.9, "producer"))
    png = map_png(sites, BASEMAP, "One site", STATUS_COLOURS)
    x, y = _pixel(site_frame(sites, legend_rows=1), 136.17, 35.9)
    assert _colour(png, (x, y)) == STATUS_COLOURS["producer"].upper()
    # centred across; up and down, between the title bar and the legend and scale bar
    assert x == WIDTH // 2 and HEIGHT // 2 - 40 < y < HEIGHT // 2


def test_approximate_places_are_rings_and_state_lines_are_drawn() -> None:
    view = (-120.0, 30.0, -100.0, 45.0)
    frame = picture_frame(view, 0.0)
    sites = _sites((-115.0, 36.0, "producer"), (-105.0, 40.0, "producer"))
    sites["position_quality"] = ["approximate (town)", "surveyed"]
    lines = DATA_DIR / "basemap" / "us-state-lines.geojson"
    png = map_png(sites, BASEMAP, "Sites", STATUS_COLOURS, view, lines)
    assert _colour(png, _pixel(frame, -115.0, 36.0)) == "#FFFFFF"  # a ring: white inside
    assert _colour(png, _pixel(frame, -105.0, 40.0)) == STATUS_COLOURS["producer"].upper()
    # the Utah-Nevada line (114.05° W) is drawn where it runs; without lines it is land
    x, y = _pixel(frame, -114.05, 40.0)
    near = [_colour(png, (x + dx, y)) for dx in (-1, 0, 1)]
    assert BORDER.upper() in near
    plain = map_png(sites, BASEMAP, "Sites", STATUS_COLOURS, view)
    assert {_colour(plain, (x + dx, y)) for dx in (-1, 0, 1)} == {LAND.upper()}
