"""Japanese names in the briefing picture: drawn with real glyphs when a CJK font is installed
(compared pixel by pixel with the same text drawn in that font directly, and with the font's
empty boxes), and, with no font that has them, still drawn (as boxes) with a note in words in
the picture and the pack's README. The Gantt chart names CJK fonts after its Latin ones."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from shapely.geometry import Point

from domain.access import OPEN_ACCESS
from domain.colours import STATUS_COLOURS
from domain.settings import DATA_DIR
from exports.briefing_picture import FOOTER_TOP, HALO, INK, LABEL_SIZE, PAPER, map_picture
from exports.picture_text import FONT_FILES, has_character, is_japanese, lettering_note
from mapping.parts.vega import FONT_FAMILY, JAPANESE_FONTS
from services.briefing import PackOptions, briefing_pack
from sites.selection import parse_selection
from store.startup import ensure_store
from tests.support.fixtures_data import SAMPLE_SITES, site_row, write_data_dir

BASEMAP = DATA_DIR / "basemap" / "countries-110m.geojson"
NAMES = ["住友金属鉱山 新居浜ニッケル工場", "ひらがな カタカナ ｶﾀｶﾅ"]
NIIHAMA = (133.27, 33.96)
NOTDEF = "\U0010fffd"  # a private-use code point: the font draws its empty box
BOXES_NOTE = "Japanese names are drawn as boxes: no Japanese font is installed on the server"
LATIN_ONLY = [p for p in FONT_FILES if "dejavu" in str(p)]  # no font with kana or kanji


def japanese_font() -> Path:
    """The first installed font of FONT_FILES with kanji, kana and half-width kana; the test
    fails (not skips) without one: scripts/install_test_deps.sh installs it."""
    for path in FONT_FILES:
        if path.is_file() and all(has_character(str(path), LABEL_SIZE, c) for c in "住ひカｶ"):
            return path
    pytest.fail("No Japanese font is installed (none of exports.picture_text.FONT_FILES has "
                "kana and kanji): run `bash scripts/install_fonts.sh` as root, which installs "
                "Debian's fonts-ipafont-gothic.")


def _sites(name: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": [name], "status": ["producer"],
                             "position_quality": ["published"]},
                            geometry=[Point(*NIIHAMA)], crs="EPSG:4326")


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def _label_box(named: np.ndarray, plain: np.ndarray) -> tuple[int, int, int, int]:
    """Where the label is: the pixels that differ between the picture with and without it,
    above the footer (whose note counts the labels)."""
    rows, cols = np.nonzero((named[:FOOTER_TOP] != plain[:FOOTER_TOP]).any(axis=2))
    assert rows.size, "the name was not drawn at all"
    return int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1


def _drawn_directly(plain: np.ndarray, box: tuple[int, int, int, int], text: str,
                    font: ImageFont.FreeTypeFont) -> np.ndarray:
    """``text`` in ``font`` (letters in a white halo, as labels are) with its ink's top left
    at the label's top left, on the picture without the label."""
    image = Image.fromarray(plain.astype(np.uint8))
    ink = font.getbbox(text, stroke_width=HALO)
    ImageDraw.Draw(image).text((box[0] - ink[0], box[1] - ink[1]), text, fill=INK, font=font,
                               stroke_width=HALO, stroke_fill=PAPER)
    return np.asarray(image, dtype=np.int16)


def _difference(a: np.ndarray, b: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Mean absolute difference per channel over ``box``, 0 to 255."""
    left, top, right, bottom = box
    return float(np.abs(a[top:bottom, left:right] - b[top:bottom, left:right]).mean())


@pytest.mark.parametrize("name", NAMES)
def test_a_japanese_name_is_drawn_with_the_japanese_fonts_glyphs(name: str) -> None:
    path = japanese_font()
    picture = map_picture(_sites(name), BASEMAP, "Niihama", STATUS_COLOURS)
    plain = _pixels(map_picture(_sites(name), BASEMAP, "Niihama", STATUS_COLOURS,
                                label_column=None).png)
    named = _pixels(picture.png)
    box = _label_box(named, plain)
    font = ImageFont.truetype(str(path), LABEL_SIZE)
    glyphs = _drawn_directly(plain, box, name, font)
    boxes = _drawn_directly(plain, box, "".join(c if c.isspace() else NOTDEF for c in name),
                            font)
    assert _difference(named, glyphs, box) < 1.0  # the same glyphs in the same place
    assert _difference(named, boxes, box) > 10 * max(_difference(named, glyphs, box), 1.0)
    assert picture.notes == []


def test_the_label_is_no_longer_boxes_than_a_picture_without_the_font() -> None:
    japanese_font()
    with_font = map_picture(_sites(NAMES[0]), BASEMAP, "Niihama", STATUS_COLOURS)
    without = map_picture(_sites(NAMES[0]), BASEMAP, "Niihama", STATUS_COLOURS,
                          fonts=LATIN_ONLY)
    plain = _pixels(map_picture(_sites(NAMES[0]), BASEMAP, "Niihama", STATUS_COLOURS,
                                label_column=None).png)
    box = _label_box(_pixels(with_font.png), plain)
    assert _difference(_pixels(with_font.png), _pixels(without.png), box) > 10


def test_without_a_japanese_font_the_picture_is_made_and_says_why_names_are_boxes() -> None:
    picture = map_picture(_sites(NAMES[0]), BASEMAP, "Niihama", STATUS_COLOURS,
                          fonts=LATIN_ONLY)
    assert len(picture.notes) == 1 and picture.notes[0].startswith(BOXES_NOTE)
    assert "fonts-ipafont-gothic" in picture.notes[0]
    description = Image.open(io.BytesIO(picture.png)).text["Description"]  # type: ignore[attr-defined]
    assert BOXES_NOTE in description and "1 of 1 site labelled" in description


def test_latin_names_need_no_note() -> None:
    picture = map_picture(_sites("Takefu Plant"), BASEMAP, "Fukui", STATUS_COLOURS,
                          fonts=LATIN_ONLY)
    assert picture.notes == []
    assert lettering_note(["Bokan–Dotson Ridge"], LABEL_SIZE, LATIN_ONLY) is None


def test_other_missing_characters_are_named() -> None:
    note = lettering_note(["Ωmega ☃"], LABEL_SIZE, [])  # Pillow's own font only
    assert note is not None and "☃" in note and "Japanese" not in note


def test_half_width_katakana_and_kana_count_as_japanese() -> None:
    assert all(is_japanese(c) for c in "ｶﾀｶﾅひらがなカタカナ住友")
    assert not any(is_japanese(c) for c in "Aé–Ω")


# --- the briefing pack's README -----------------------------------------------------------

@pytest.fixture()
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    niihama = site_row("jp-niihama", NAMES[0], country="Japan", admin_area="Ehime",
                       stage="separation/refining", commodities="Ni;Co", status="producer",
                       lat=NIIHAMA[1], lon=NIIHAMA[0])
    data = write_data_dir(tmp_path / "data", sites=[*SAMPLE_SITES, niihama])
    return ensure_store(f"sqlite:///{tmp_path / 'pack.db'}", data)


def _readme(engine, fonts: tuple[Path, ...]) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    options = PackOptions(basemap=BASEMAP, colours=STATUS_COLOURS, fonts=fonts)
    selection = parse_selection({"country": "Japan"}, date(2026, 11, 25))
    pack = briefing_pack(engine, selection, date(2026, 11, 25),
                         datetime(2026, 11, 25, tzinfo=UTC), options, principal=OPEN_ACCESS)
    archive = zipfile.ZipFile(io.BytesIO(pack.data))
    names = [f["properties"]["name"] for f in json.loads(
        archive.read(next(n for n in archive.namelist() if n.endswith(".geojson"))))["features"]]
    assert NAMES[0] in names
    return archive.read("README.txt").decode(), pack.notes


def test_the_pack_says_so_when_no_japanese_font_is_installed(engine) -> None:  # type: ignore[no-untyped-def]
    readme, notes = _readme(engine, tuple(LATIN_ONLY))
    assert f"  - {BOXES_NOTE}" in readme
    assert any(n.startswith(BOXES_NOTE) for n in notes)


def test_the_pack_has_no_such_note_with_a_japanese_font(engine) -> None:  # type: ignore[no-untyped-def]
    readme, notes = _readme(engine, (*LATIN_ONLY, japanese_font()))
    assert BOXES_NOTE not in readme and not any(BOXES_NOTE in n for n in notes)


# --- the Gantt chart (drawn by the browser) -------------------------------------------------

def test_the_charts_fonts_name_japanese_fonts_after_the_latin_ones() -> None:
    families = [f.strip().strip('"') for f in FONT_FAMILY.split(",")]
    assert families[0] == "Source Sans"  # Streamlit's own, served by Streamlit
    assert families[-1] == "sans-serif"
    japanese = [families.index(name) for name in JAPANESE_FONTS]
    assert min(japanese) > families.index("Source Sans")
    assert {"Noto Sans CJK JP", "IPAGothic"} <= set(families)
    assert "http" not in FONT_FAMILY and "url(" not in FONT_FAMILY


def test_the_gantt_chart_uses_those_fonts_for_all_its_text() -> None:
    from mapping.parts.gantt import gantt_chart
    from tests.unit.test_charts_without_altair import AS_OF, small_record

    spec = gantt_chart(*small_record(), AS_OF)
    assert spec is not None and spec["config"]["font"] == FONT_FAMILY
    assert "http" not in json.dumps(spec["config"])  # no font from a CDN
