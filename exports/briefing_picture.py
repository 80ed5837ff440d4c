"""A picture of the map view for a briefing pack: country outlines from the bundled basemap,
the sites as coloured dots with their names, a title, a legend, a scale bar and a north
arrow, drawn with Pillow (no browser, no tiles).

Names are lettered in the first installed font that has their characters
(:mod:`exports.picture_text`: Japanese needs a CJK font such as Debian's fonts-ipafont-gothic);
without one they come out as boxes and :func:`map_picture` says so in its notes."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo

from domain.access import PUBLIC
from domain.bbox import BBox
from domain.i18n import N_, ntr, tr
from domain.vocab import PositionQuality
from exports.marking import shown_marking_line
from exports.picture_labels import Box, place_labels
from exports.picture_scale import (
    EARTH_RADIUS,
    ScaleBar,
    draw_north_arrow,
    draw_scale_bar,
    scale_bar,
)
from exports.picture_text import FONT_FILES, Font, font_for, lettering_note, short_name

WIDTH, HEIGHT = 1200, 800
LAND, BORDER, SEA = "#f2efe9", "#9a9a9a", "#dce9f2"
FALLBACK, INK, PAPER = "#888888", "#222222", "#ffffff"
TITLE_HEIGHT = 30
FOOTER_HEIGHT = 58  # the box with the north arrow, the scale bar and the labels note
FOOTER_TOP = HEIGHT - 8 - FOOTER_HEIGHT
NORTH_ARROW_AT = (18, FOOTER_TOP + 9)  # its left top; 16 pixels wide, 40 high
SCALE_BAR_AT = (44, FOOTER_TOP + 8)
SITE_MARGIN = 0.04  # around the sites' extent, a share of its size, besides the furniture
REGION_KM = 1000.0  # sites closer together than this are framed as a region this wide
LABEL_SIZE, SMALL_SIZE, TITLE_SIZE = 13, 13, 18
DOT_RADIUS = 7  # a ring's outer radius; a dot is 6
HALO = 2  # the white outline around a label's letters
LEGEND_SIZE = 14
#: The legend's row for a ring (shown with ``tr``).
RING_WORDS = N_("ring: approximate place")


@dataclass(frozen=True)
class MapPicture:
    """The picture's PNG, and notes for its reader (characters drawn as boxes)."""

    png: bytes
    notes: list[str] = field(default_factory=list)


def map_png(sites: gpd.GeoDataFrame, basemap: Path, title: str,
            colours: dict[str, str], extent: BBox | None = None,
            lines: Path | None = None, marking: str = PUBLIC, *,
            label_column: str | None = "name",
            fonts: Sequence[Path] = FONT_FILES) -> bytes:
    """The PNG of :func:`map_picture` (its notes are in the PNG's ``Description`` too)."""
    return map_picture(sites, basemap, title, colours, extent, lines, marking,
                       label_column=label_column, fonts=fonts).png


def map_picture(sites: gpd.GeoDataFrame, basemap: Path, title: str,
                colours: dict[str, str], extent: BBox | None = None,
                lines: Path | None = None, marking: str = PUBLIC, *,
                label_column: str | None = "name",
                fonts: Sequence[Path] = FONT_FILES) -> MapPicture:
    """The sites (a ``status`` column colours them; a ``position_quality`` that is
    approximate draws a ring; ``label_column`` names them) over the country outlines in
    ``basemap`` and the border ``lines`` (GeoJSON), in web mercator, framed on ``extent``
    (the map's view: all of it, nothing added but what the picture's shape needs; west >
    east runs across the 180th meridian) or else by :func:`site_frame`. The title line
    starts with the handling ``marking`` (a code) and is also the PNG's ``Title`` text.

    Labels never cover one another, another site's dot, the title, the legend or the scale
    bar; where there is not room for all, the sites listed first keep theirs, and the
    picture says how many are labelled. The scale bar is true at the frame's middle
    latitude; the PNG's ``Description`` text repeats the scale and the labels note.

    Names and title are lettered in the first of Pillow's own font and the installed
    ``fonts`` that has all their characters; when none has some (Japanese without a CJK
    font), they are drawn as boxes and the picture's notes say which package to install."""
    shown = sites[sites.geometry.notna() & ~sites.geometry.is_empty]
    approximate = _approximate(shown)
    statuses = [s for s in colours if s in set(shown["status"])]
    legend_rows = len(statuses) + bool(approximate.any())
    frame = picture_frame(extent, 0.0) if extent else site_frame(shown, legend_rows)
    image = Image.new("RGB", (WIDTH, HEIGHT), SEA)
    draw = ImageDraw.Draw(image)
    to_px = _projector(frame)
    west, east = (math.degrees(x / EARTH_RADIUS) for x in (frame[0], frame[2]))
    _draw_outlines(draw, basemap, lines, to_px, west, east)
    xy = shapely.get_coordinates(shown.geometry.to_numpy())
    xy[:, 0] = west + np.mod(xy[:, 0] - west, 360.0)  # east of 180°: one turn further east
    dots = to_px(xy)
    _draw_sites(draw, dots, shown, colours, approximate)
    legend = _legend_box(legend_rows)
    names = (list(shown[label_column]) if label_column and label_column in shown
             else [None] * len(shown))
    description, drawn, footer = _names_scale_and_north(draw, frame, dots, names, legend,
                                                        fonts)
    text = picture_title(title, marking, len(shown), len(sites))
    _title(draw, text, fonts)
    legend_texts = _legend(draw, legend, statuses, colours, bool(approximate.any()), fonts)
    note = lettering_note([text, *drawn, *footer, *legend_texts], LABEL_SIZE, fonts)
    notes = [note] if note else []
    info = PngInfo()
    info.add_text("Title", text)
    info.add_text("Description", " ".join([description, *notes]))
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)  # optimize=True: 9 % smaller, 6 times slower
    return MapPicture(out.getvalue(), notes)


def picture_title(title: str, marking: str, shown: int, total: int) -> str:
    """The picture's title line: the handling marking first, then what it shows.

    >>> picture_title("All sites", "controlled", 3, 4)
    'Handling marking: Controlled (controlled) · All sites  (3 of 4 sites located)'
    """
    return tr("{marking} · {title}  ({shown} of {total} sites located)").format(
        marking=shown_marking_line(marking), title=title, shown=shown, total=total)


def labels_note(labelled: int, shown: int, crowded_out: int = 0) -> str:
    """What the picture says of its labels: how many of the ``shown`` sites have one, and,
    when some were left out for want of room (``crowded_out``), which kept theirs.

    >>> labels_note(12, 30, crowded_out=18)
    '12 of 30 sites labelled; where crowded, the sites listed first keep theirs'
    >>> labels_note(1, 1), labels_note(0, 2)  # the second: no names to draw
    ('1 of 1 site labelled', '0 of 2 sites labelled')
    """
    note = ntr("{labelled} of {shown} site labelled", "{labelled} of {shown} sites labelled",
               shown).format(labelled=labelled, shown=shown)
    if crowded_out:
        note += tr("; where crowded, the sites listed first keep theirs")
    return note


def site_frame(sites: gpd.GeoDataFrame, legend_rows: int = 0
               ) -> tuple[float, float, float, float]:
    """The frame for sites without a view: their extent the short way round the globe
    (:func:`sites_extent`), at least ``REGION_KM`` across, with a small margin, clear of the
    title bar above and of the scale bar and a legend of ``legend_rows`` rows below."""
    bottom = max(FOOTER_HEIGHT, _legend_height(legend_rows)) + 8 + 16
    return picture_frame(sites_extent(sites), SITE_MARGIN, least_km=REGION_KM,
                         insets=(24, TITLE_HEIGHT + 24, 24, bottom))


def sites_extent(sites: gpd.GeoDataFrame) -> BBox:
    """The smallest west-to-east span holding the located sites: across the 180th meridian
    (west > east) when that way round is shorter, as for Japan, Alaska and Fiji together.

    >>> from shapely.geometry import Point
    >>> sites_extent(gpd.GeoSeries([Point(139.7, 35.7), Point(-149.9, 61.2),
    ...                             Point(178.4, -18.1)]))
    BBox(west=139.7, south=-18.1, east=-149.9, north=61.2)
    >>> sites_extent(gpd.GeoSeries([Point(-120, 40), Point(-100, 30)])).bounds
    (-120.0, 30.0, -100.0, 40.0)
    """
    geometry = sites.geometry if isinstance(sites, gpd.GeoDataFrame) else sites
    located = geometry[geometry.notna() & ~geometry.is_empty]
    if located.empty:
        return BBox(-180.0, -60.0, 180.0, 75.0)
    xy = shapely.get_coordinates(located.to_numpy())
    lon = np.unique(np.mod(xy[:, 0] + 180.0, 360.0) - 180.0)
    gaps = np.diff(np.append(lon, lon[0] + 360.0))  # the last: from the east end round
    south, north = float(xy[:, 1].min()), float(xy[:, 1].max())
    widest = int(np.argmax(gaps))
    if gaps[-1] >= gaps[widest]:  # the plain way is as short: no need to cross 180°
        return BBox(float(lon[0]), south, float(lon[-1]), north)
    return BBox(float(lon[widest + 1]), south, float(lon[widest]), north)


def picture_frame(box: BBox, margin: float, *, least_km: float = 200.0,
                  insets: tuple[int, int, int, int] = (0, 0, 0, 0)
                  ) -> tuple[float, float, float, float]:
    """``box`` in web-mercator metres (x0, y0, x1, y1), at least ``least_km`` across on the
    ground at its middle latitude, with ``margin`` (a share of its size) around it, fitted
    into the picture less ``insets`` (left, top, right, bottom pixels) and widened to the
    picture's shape. A box with west > east runs across the 180th meridian: x1 lies east
    of it.

    >>> frame = picture_frame(BBox(-10, -10, 10, 10), 0.0)
    >>> round((frame[2] - frame[0]) / (frame[3] - frame[1]), 3)  # the picture's shape
    1.5
    >>> round(frame[3]) == round(_mercator(0.0, 10.0)[1])  # the tall side: the box's own
    True
    >>> picture_frame(BBox(170, -20, -170, 0), 0.0)[2] > _mercator(180.0, 0.0)[0]
    True
    """
    west, south, east, north = box
    if east < west:
        east += 360.0
    x0, y0 = _mercator(west, max(south, -85.0))
    x1, y1 = _mercator(east, min(north, 85.0))
    least = least_km * 1000 / math.cos(math.radians(_latitude((y0 + y1) / 2)))
    grow = max(0.0, least - max(x1 - x0, y1 - y0)) / 2  # a single place: a region around
    x0, x1, y0, y1 = x0 - grow, x1 + grow, y0 - grow, y1 + grow
    pad = max(x1 - x0, y1 - y0) * margin
    x0, x1, y0, y1 = x0 - pad, x1 + pad, y0 - pad, y1 + pad
    left, top, right, bottom = insets
    inner_w, inner_h = WIDTH - left - right, HEIGHT - top - bottom
    per_px = max((x1 - x0) / inner_w, (y1 - y0) / inner_h)  # metres a pixel
    fx0 = (x0 + x1) / 2 - (left + inner_w / 2) * per_px
    fy1 = (y0 + y1) / 2 + (top + inner_h / 2) * per_px
    return fx0, fy1 - HEIGHT * per_px, fx0 + WIDTH * per_px, fy1


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    return (math.radians(lon) * EARTH_RADIUS,
            math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * EARTH_RADIUS)


def _latitude(y: float) -> float:
    return math.degrees(2 * math.atan(math.exp(y / EARTH_RADIUS)) - math.pi / 2)


def _projector(frame: tuple[float, float, float, float]
               ) -> Callable[[np.ndarray], list[tuple[float, float]]]:
    x0, y0, x1, y1 = frame

    def to_px(lonlat: np.ndarray) -> list[tuple[float, float]]:
        lon = np.radians(lonlat[:, 0]) * EARTH_RADIUS
        lat = np.clip(lonlat[:, 1], -85.0, 85.0)
        y = np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * EARTH_RADIUS
        px = (lon - x0) / (x1 - x0) * WIDTH
        py = (y1 - y) / (y1 - y0) * HEIGHT
        return list(zip(px.tolist(), py.tolist(), strict=True))

    return to_px


def _draw_outlines(draw: ImageDraw.ImageDraw, basemap: Path, lines: Path | None,
                   to_px: Callable[[np.ndarray], list[tuple[float, float]]],
                   west: float, east: float) -> None:
    """The countries, and the border lines over them; a frame past the 180th meridian
    shows the outlines' next copy beyond it too."""
    copies = [np.array([s, 0.0]) for s in (-360.0, 0.0, 360.0)
              if s - 180.0 < east and s + 180.0 > west]
    for ring in _parts(basemap, exterior_rings=True):
        for shift in copies:
            draw.polygon(to_px(ring + shift), fill=LAND, outline=BORDER)
    for line in _parts(lines, exterior_rings=False) if lines else []:
        for shift in copies:
            draw.line(to_px(line + shift), fill=BORDER, width=1)


def _draw_sites(draw: ImageDraw.ImageDraw, dots: list[tuple[float, float]],
                shown: gpd.GeoDataFrame, colours: dict[str, str],
                approximate: np.ndarray) -> None:
    """Dots in the status colour; a ring where the place is approximate (the web map's
    dashed outline)."""
    for (x, y), status, ring in zip(dots, shown["status"], approximate, strict=True):
        colour = colours.get(status, FALLBACK)
        if ring:
            draw.ellipse((x - 7, y - 7, x + 7, y + 7), fill=PAPER, outline=colour, width=4)
        else:
            draw.ellipse((x - 6, y - 6, x + 6, y + 6), fill=colour, outline=INK, width=2)


def _names_scale_and_north(draw: ImageDraw.ImageDraw,
                           frame: tuple[float, float, float, float],
                           dots: list[tuple[float, float]], names: list[object],
                           legend: Box, fonts: Sequence[Path]
                           ) -> tuple[str, list[str], list[str]]:
    """The sites' names where they fit, then the box at the bottom left with the north
    arrow, the scale bar and how many sites are named; returns all that in words, the
    names drawn and the box's texts."""
    bar = scale_bar(frame, WIDTH)
    widest_note = labels_note(0, len(dots), 1)
    # Pillow's own letters for English; the picture's language may need a CJK font
    small = font_for([widest_note, bar.label], SMALL_SIZE, fonts)
    widest = _footer_box(draw, bar, widest_note, small)  # labels keep off
    drawn, crowded_out = _label_sites(draw, dots, names, fonts,
                                      reserved=[(0, 0, WIDTH, TITLE_HEIGHT), legend, widest])
    in_picture = sum(_inside(x, y) for x, y in dots)
    note = labels_note(len(drawn), in_picture, crowded_out)
    _footer(draw, _footer_box(draw, bar, note, small), bar, note, small)
    return (tr("North up. Scale bar: {scale} (web mercator). {labels}.").format(
        scale=bar.label, labels=note), drawn, [note, bar.label])


def _label_sites(draw: ImageDraw.ImageDraw, dots: list[tuple[float, float]],
                 names: list[object], fonts: Sequence[Path],
                 reserved: list[Box]) -> tuple[list[str], int]:
    """Each site's name beside its dot where :func:`place_labels` finds room, dark letters
    in a white halo; returns the names labelled, and how many in the picture with a name
    were not (no room)."""
    texts = [short_name(n) if isinstance(n, str) and n.strip() else None for n in names]
    # a font per name: an English name keeps Pillow's own letters beside a Japanese one
    lettering = [font_for([t], LABEL_SIZE, fonts) if t else None for t in texts]
    inks = [font.getbbox(t, stroke_width=HALO) if t and font else None
            for t, font in zip(texts, lettering, strict=True)]
    sizes = [(ink[2] - ink[0], ink[3] - ink[1]) if ink else None for ink in inks]
    boxes = place_labels(dots, sizes, (2, 2, WIDTH - 2, HEIGHT - 2), radius=DOT_RADIUS + 1,
                         spacing=3, reserved=reserved)
    drawn = []
    for text, font, ink, box in zip(texts, lettering, inks, boxes, strict=True):
        if text and font and ink and box:
            draw.text((box[0] - ink[0], box[1] - ink[1]), text, fill=INK, font=font,
                      stroke_width=HALO, stroke_fill=PAPER)
            drawn.append(text)
    named = sum(text is not None and _inside(*dot) for text, dot in zip(texts, dots, strict=True))
    return drawn, named - len(drawn)


def _inside(x: float, y: float) -> bool:
    return 0 <= x <= WIDTH and 0 <= y <= HEIGHT


def _approximate(sites: gpd.GeoDataFrame) -> np.ndarray:
    if "position_quality" not in sites:
        return np.zeros(len(sites), dtype=bool)
    return sites["position_quality"].fillna("unknown").map(
        lambda q: PositionQuality(q).is_approximate).to_numpy(bool)


def _parts(path: Path, exterior_rings: bool) -> list[np.ndarray]:
    """The polygons' exterior rings (``exterior_rings``) or the lines of a GeoJSON file, as
    lon/lat arrays."""
    shapes = shapely.from_geojson(path.read_text(encoding="utf-8"))
    parts = shapely.get_parts(shapely.get_parts(shapes))
    if exterior_rings:
        return [np.asarray(p.exterior.coords) for p in parts if p.geom_type == "Polygon"]
    return [np.asarray(p.coords) for p in parts if p.geom_type == "LineString"]


def _title(draw: ImageDraw.ImageDraw, text: str, fonts: Sequence[Path]) -> None:
    font = font_for([text], TITLE_SIZE, fonts)  # a search term may be Japanese
    draw.rectangle((0, 0, WIDTH, TITLE_HEIGHT), fill=PAPER)
    draw.text((10, 6), text, fill=INK, font=font)


def _legend_height(rows: int) -> int:
    return 20 * rows + 14 if rows else 0


def _legend_box(rows: int) -> Box:
    return (WIDTH - 210, HEIGHT - 8 - _legend_height(rows), WIDTH - 8, HEIGHT - 8)


def _legend(draw: ImageDraw.ImageDraw, box: Box, statuses: list[str],
            colours: dict[str, str], approximate: bool, fonts: Sequence[Path]) -> list[str]:
    """The legend's rows: a dot per status, and a ring for approximate places; returns the
    texts drawn."""
    if not statuses:
        return []
    ring = tr(RING_WORDS)
    texts = [*statuses, *([ring] if approximate else [])]
    font = font_for(texts, LEGEND_SIZE, fonts)
    draw.rectangle(box, fill=PAPER, outline=FALLBACK)
    top = box[1] + 8
    for n, status in enumerate(statuses):
        y = top + 20 * n
        draw.ellipse((WIDTH - 200, y, WIDTH - 188, y + 12), fill=colours[status], outline=INK)
        draw.text((WIDTH - 180, y - 2), status, fill=INK, font=font)
    if approximate:
        y = top + 20 * len(statuses)
        draw.ellipse((WIDTH - 200, y, WIDTH - 188, y + 12), fill=PAPER, outline=INK, width=3)
        draw.text((WIDTH - 180, y - 2), ring, fill=INK, font=font)
    return texts


def _footer_box(draw: ImageDraw.ImageDraw, bar: ScaleBar, note: str, font: Font) -> Box:
    """The box at the bottom left for the north arrow, the scale bar and the note."""
    bar_width = round(bar.pixels) + 8 + draw.textlength(bar.label, font=font)
    width = 36 + max(bar_width, draw.textlength(note, font=font)) + 10
    return (8, FOOTER_TOP, 8 + math.ceil(width), HEIGHT - 8)


def _footer(draw: ImageDraw.ImageDraw, box: Box, bar: ScaleBar, note: str,
            font: Font) -> None:
    draw.rectangle(box, fill=PAPER, outline=FALLBACK)
    draw_north_arrow(draw, *NORTH_ARROW_AT, font)
    draw_scale_bar(draw, bar, *SCALE_BAR_AT, font)
    draw.text((SCALE_BAR_AT[0], FOOTER_TOP + 36), note, fill=INK, font=font)
