"""The briefing pack's picture as staff paste it: sites named without labels colliding (and
saying how many are named), a selection framed tightly, the short way round the globe, a
scale bar true at the frame's middle latitude and a north arrow."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from itertools import combinations

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from PIL.PngImagePlugin import PngImageFile
from pyproj import Proj, Transformer
from shapely.geometry import Point

from domain.bbox import BBox
from domain.colours import STATUS_COLOURS
from domain.settings import DATA_DIR
from exports.briefing_picture import (
    FOOTER_TOP,
    HEIGHT,
    LAND,
    NORTH_ARROW_AT,
    REGION_KM,
    SEA,
    WIDTH,
    map_png,
    picture_frame,
    site_frame,
)
from exports.picture_labels import Box, overlaps, place_labels
from exports.picture_scale import INK, PAPER, scale_bar
from exports.picture_text import FONT_FILES, font_for, has_character, short_name

BASEMAP = DATA_DIR / "basemap" / "countries-110m.geojson"
RADIUS = 6_378_137.0
AREA: Box = (0.0, 0.0, 400.0, 300.0)
PRODUCER = STATUS_COLOURS["producer"]


def _sites(*points: tuple[float, float, str], status: str = "producer") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": [name for *_, name in points],
                             "status": [status] * len(points)},
                            geometry=[Point(lon, lat) for lon, lat, _ in points],
                            crs="EPSG:4326")


def _image(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])


def _pixel(frame: tuple[float, float, float, float], lon: float, lat: float
           ) -> tuple[int, int]:
    """Where a place belongs in the picture, by the mercator formula itself."""
    x0, y0, x1, y1 = frame
    x = math.radians(lon) * RADIUS
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * RADIUS
    return round((x - x0) / (x1 - x0) * WIDTH), round((y1 - y) / (y1 - y0) * HEIGHT)


def _dot_box(x: float, y: float, r: float = 7.0) -> Box:
    return (x - r, y - r, x + r, y + r)


def _description(png: bytes) -> str:
    image = Image.open(io.BytesIO(png))
    assert isinstance(image, PngImageFile)
    return str(image.text["Description"])


# --- where labels go --------------------------------------------------------------------

def _check_layout(anchors: list[tuple[float, float]], boxes: list[Box | None],
                  reserved: Sequence[Box] = ()) -> None:
    chosen = [b for b in boxes if b is not None]
    for a, b in combinations(chosen, 2):
        assert not overlaps(a, b), (a, b)
    for box in chosen:
        assert AREA[0] <= box[0] < box[2] <= AREA[2] and AREA[1] <= box[1] < box[3] <= AREA[3]
        for x, y in anchors:
            assert not overlaps(box, _dot_box(x, y)), (box, (x, y))
        for r in reserved:
            assert not overlaps(box, r)


def test_labels_cover_neither_each_other_nor_any_dot() -> None:
    anchors = [(60.0 + 22 * (i % 12), 40.0 + 18 * (i // 12)) for i in range(96)]
    anchors += [(200.0, 150.0)] * 3  # three sites at one place
    reserved: list[Box] = [(0, 0, 400, 30), (250, 220, 400, 300)]  # title, legend
    boxes = place_labels(anchors, [(70.0, 14.0)] * len(anchors), AREA, reserved=reserved)
    _check_layout(anchors, boxes, reserved)
    assert 10 < sum(b is not None for b in boxes) < len(anchors)  # some placed, some left out


def test_when_crowded_the_sites_listed_first_keep_their_labels() -> None:
    anchors = [(200.0, 150.0)] * 12
    sizes: list[tuple[float, float] | None] = [(60.0, 12.0)] * 12
    placed = [b is not None for b in place_labels(anchors, sizes, AREA)]
    first_missing = placed.index(False)
    assert 0 < first_missing < 12 and not any(placed[first_missing:])  # a prefix keeps them
    # the order decides, not the sizes: a wider first label still comes first
    sizes[0] = (150.0, 12.0)
    assert place_labels(anchors, sizes, AREA)[0] is not None


def test_a_label_goes_where_the_picture_has_room() -> None:
    right_edge, bottom_right = place_labels([(390.0, 150.0), (390.0, 296.0)],
                                            [(60.0, 12.0), (60.0, 12.0)], AREA)
    assert right_edge is not None and right_edge[2] < 390 - 7  # on its left
    assert bottom_right is not None and bottom_right[2] < 390  # on the left...
    assert bottom_right[3] < 296 - 7  # ...and above
    assert place_labels([(200.0, 150.0)], [(500.0, 12.0)], AREA) == [None]  # too wide
    assert place_labels([(-5.0, 150.0)], [(10.0, 12.0)], AREA) == [None]  # dot outside


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 400), st.floats(0, 300)), max_size=60),
       st.lists(st.tuples(st.floats(4, 150), st.floats(6, 20)), min_size=60, max_size=60),
       st.lists(st.booleans(), min_size=60, max_size=60))
def test_chosen_label_boxes_never_overlap_and_stay_inside(
        anchors: list[tuple[float, float]], sizes: list[tuple[float, float]],
        wanted: list[bool]) -> None:
    asked = [s if w else None for s, w in zip(sizes, wanted, strict=True)][:len(anchors)]
    reserved: list[Box] = [(0, 0, 400, 20)]
    boxes = place_labels(anchors, asked, AREA, reserved=reserved)
    assert len(boxes) == len(anchors)
    _check_layout(anchors, boxes, reserved)
    for box, size in zip(boxes, asked, strict=True):
        assert size is not None or box is None  # none where none was asked
        if box is not None and size is not None:
            assert (box[2] - box[0], box[3] - box[1]) == pytest.approx(size)
    assert place_labels(anchors, asked, AREA, reserved=reserved) == boxes  # predictable


# --- labels in the picture --------------------------------------------------------------

def test_site_names_are_drawn_beside_their_dots() -> None:
    view = BBox(-120.0, 30.0, -100.0, 45.0)
    places = ((-115.0, 36.0, "Mountain Pass"), (-105.0, 40.0, "Bear Lodge"))
    named = _image(map_png(_sites(*places), BASEMAP, "Sites", STATUS_COLOURS, view))
    plain = _image(map_png(_sites(*places), BASEMAP, "Sites", STATUS_COLOURS, view,
                           label_column=None))
    frame = picture_frame(view, 0.0)
    changed = np.abs(named - plain).sum(axis=2) > 0
    dark = (np.abs(named - _rgb(INK)).sum(axis=2) < 60) & changed
    for lon, lat, _ in places:
        x, y = _pixel(frame, lon, lat)
        near = dark[y - 20:y + 20, max(0, x - 200):x + 200]
        assert near.sum() > 40  # letters beside the dot
        assert (named[y, x] == _rgb(PRODUCER)).all()  # the dot itself uncovered
    dark[FOOTER_TOP:] = False  # the footer's note differs too: "2 of 2" against "0 of 2"
    assert dark.sum() == dark[_near_any(frame, places)].sum()  # letters nowhere else


def _near_any(frame: tuple[float, float, float, float],
              places: Sequence[tuple[float, float, str]]) -> np.ndarray:
    mask = np.zeros((HEIGHT, WIDTH), dtype=bool)
    for lon, lat, _ in places:
        x, y = _pixel(frame, lon, lat)
        mask[max(0, y - 30):y + 30, max(0, x - 250):x + 250] = True
    return mask


def test_a_crowded_picture_labels_some_and_says_how_many() -> None:
    # 30 sites 0.4° apart in Nevada: a few labels fit, the dots all stay visible
    places = tuple((-118.0 + 0.4 * (i % 6), 38.0 + 0.4 * (i // 6), f"Lithium claim {i}")
                   for i in range(30))
    view = BBox(-121.0, 36.0, -114.0, 41.0)
    png = map_png(_sites(*places), BASEMAP, "Sites", STATUS_COLOURS, view)
    counted = re.search(r"(\d+) of (\d+) sites labelled", _description(png))
    assert counted is not None
    labelled, shown = int(counted[1]), int(counted[2])
    assert shown == 30 and 0 < labelled < 30
    assert "where crowded, the sites listed first keep theirs" in _description(png)
    image, frame = _image(png), picture_frame(view, 0.0)
    for lon, lat, _ in places:  # no label over any dot
        x, y = _pixel(frame, lon, lat)
        assert (image[y - 2:y + 3, x - 2:x + 3] == _rgb(PRODUCER)).all(axis=2).all()


def test_every_site_labelled_says_so() -> None:
    png = map_png(_sites((136.17, 35.9, "Takefu Plant")), BASEMAP, "One", STATUS_COLOURS)
    assert "1 of 1 site labelled." in _description(png)


def test_sites_without_a_name_are_not_said_to_be_crowded_out() -> None:
    sites = _sites((136.17, 35.9, "Takefu Plant"), (140.3, 35.8, ""))
    sites.loc[1, "name"] = None
    png = map_png(sites, BASEMAP, "Two", STATUS_COLOURS)
    assert _description(png).endswith("1 of 2 sites labelled.")


def test_japanese_names_are_drawn_without_error_even_without_a_japanese_font() -> None:
    png = map_png(_sites((153.98, 24.29, "南鳥島レアアース泥")), BASEMAP, "JP",
                  STATUS_COLOURS, label_column="name")
    assert "1 of 1 site labelled" in _description(png)
    sites = _sites((153.98, 24.29, "x"))
    x, y = _pixel(site_frame(sites, legend_rows=1), 153.98, 24.29)
    strip = _image(png)[y - 12:y + 12, x + 8:x + 200]
    assert (np.abs(strip - _rgb(INK)).sum(axis=2) < 60).sum() > 20  # drawn, if as boxes


def test_a_font_with_the_characters_is_chosen_when_one_is_installed() -> None:
    assert not has_character(None, 13, "–")  # Pillow's own font has no en dash
    installed = [p for p in FONT_FILES if p.is_file()]
    font = font_for(["Bokan–Dotson Ridge"], 13)
    if not installed:
        pytest.skip("no font of FONT_FILES is installed (fonts-dejavu-core)")
    path = font.path  # type: ignore[union-attr]
    assert has_character(str(path), 13, "–")
    assert font_for(["南鳥島"], 13) is not None  # no font has it: still a font, no error


def test_long_names_are_shortened_after_a_whole_word() -> None:
    name = "Round Top heavy rare earth and critical minerals project"
    assert short_name(name) == "Round Top heavy rare earth…"
    assert short_name("  Eagle   Mine ") == "Eagle Mine"


# --- framing --------------------------------------------------------------------------

def _degrees_wide(frame: tuple[float, float, float, float]) -> float:
    return math.degrees((frame[2] - frame[0]) / RADIUS)


def test_a_pacific_selection_is_framed_across_the_180th_meridian() -> None:
    # Tokyo, Anchorage, Suva
    sites = _sites((139.7, 35.7, "Tokyo"), (-149.9, 61.2, "Anchorage"), (178.4, -18.1, "Suva"))
    frame = site_frame(sites, legend_rows=1)
    east_of_dateline = math.radians(180.0) * RADIUS
    assert frame[0] < east_of_dateline < frame[2]
    # Anchorage to Suva is tall in mercator, so the 3:2 picture is wide: still about half
    # of the whole world that the sites' plain bounds (-149.9 to 178.4) would give
    assert _degrees_wide(frame) < 200
    middle = math.degrees((frame[0] + frame[2]) / 2 / RADIUS)
    assert 165 < middle < 185  # the middle of the Pacific, not of the Atlantic (about 14°)
    png = map_png(sites, BASEMAP, "Pacific", STATUS_COLOURS, label_column=None)
    image = _image(png)
    for lon, lat in ((-149.9 + 360, 61.2), (139.7, 35.7), (178.4, -18.1)):
        x, y = _pixel(frame, lon, lat)
        assert 0 < x < WIDTH and (image[y, x] == _rgb(PRODUCER)).all()
    # the outlines are drawn in the same frame: Alaska's interior east of 180°, open sea
    alaska = _pixel(frame, -152.0 + 360, 64.0)
    assert (image[alaska[1], alaska[0]] == _rgb(LAND)).all()
    sea = _pixel(frame, -170.0 + 360, 30.0)
    assert (image[sea[1], sea[0]] == _rgb(SEA)).all()


def test_sites_either_side_of_the_180th_meridian_are_framed_narrowly() -> None:
    sites = _sites((170.0, -15.0, "West"), (-170.0, -15.0, "East"))
    frame = site_frame(sites, legend_rows=1)
    assert frame[0] < math.radians(170.0) * RADIUS
    assert frame[2] > math.radians(190.0) * RADIUS
    assert _degrees_wide(frame) < 45


def test_a_single_site_gets_a_regional_frame() -> None:
    frame = site_frame(_sites((-115.33, 44.93, "Stibnite")), legend_rows=1)
    middle = math.degrees(2 * math.atan(math.exp((frame[1] + frame[3]) / 2 / RADIUS))
                          - math.pi / 2)
    shrink = math.cos(math.radians(middle))  # mercator metres to ground metres there
    tall_km = (frame[3] - frame[1]) * shrink / 1000
    wide_km = (frame[2] - frame[0]) * shrink / 1000
    assert REGION_KM <= tall_km < 2 * REGION_KM
    assert wide_km == pytest.approx(tall_km * WIDTH / HEIGHT)


# --- scale and north -------------------------------------------------------------------

def _longest_ink_run(image: np.ndarray) -> int:
    """The longest horizontal run of dark pixels in the bottom-left corner."""
    corner = (np.abs(image[FOOTER_TOP:, :600] - _rgb(INK)).sum(axis=2) < 30)
    best = 0
    for row in corner:
        run = 0
        for dark in row:
            run = run + 1 if dark else 0
            best = max(best, run)
    return best


@pytest.mark.parametrize("view", [BBox(170.0, -25.0, -170.0, -5.0),  # Fiji: near the equator
                                  BBox(-160.0, 55.0, -140.0, 66.0)])  # Alaska: near 60° N
def test_the_scale_bar_states_a_length_true_at_the_middle_latitude(view: BBox) -> None:
    png = map_png(_sites(), BASEMAP, "Scale", STATUS_COLOURS, view)
    stated = re.search(r"Scale bar: ([\d,]+) km at (\d+)° ([NS])", _description(png))
    assert stated is not None
    km = float(stated[1].replace(",", ""))
    assert km / 10 ** math.floor(math.log10(km)) in (1, 2, 5)  # a round length
    pixels = _longest_ink_run(_image(png))
    # independently: the frame's middle latitude from pyproj, and EPSG:3857's scale there
    frame = picture_frame(view, 0.0)
    lon, lat = Transformer.from_crs(3857, 4326, always_xy=True).transform(
        (frame[0] + frame[2]) / 2, (frame[1] + frame[3]) / 2)
    assert int(stated[2]) == round(abs(lat)) and stated[3] == ("N" if lat >= 0 else "S")
    factor = Proj("EPSG:3857").get_factors(((lon + 180) % 360) - 180, lat).parallel_scale
    metres_per_pixel = (frame[2] - frame[0]) / WIDTH
    ground_km = pixels * metres_per_pixel / factor / 1000
    assert ground_km == pytest.approx(km, rel=0.03)
    assert scale_bar(frame, WIDTH).km == km


def test_the_picture_is_marked_north_up() -> None:
    png = map_png(_sites((-115.0, 36.0, "Mountain Pass")), BASEMAP, "North",
                  STATUS_COLOURS)
    assert _description(png).startswith("North up.")
    image = _image(png)
    left, top = NORTH_ARROW_AT
    arrow = np.abs(image[top:top + 40, left:left + 17] - _rgb(INK)).sum(axis=2) < 60
    letter, shaft = arrow[:12], arrow[14:40]
    assert letter.sum() > 10  # the "N"
    widths = [int(np.ptp(row.nonzero()[0])) if row.any() else 0 for row in shaft]
    assert widths[3] < widths[-3]  # an arrow pointing up: narrow at the top
    assert (image[top + 28, left + 10] == _rgb(PAPER)).all()  # its right half is open
    assert (image[top + 28, left + 5] == _rgb(INK)).all()  # its left half dark
