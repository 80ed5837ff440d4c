"""Guess coordinate systems for a layer that states none, from where its coordinates would land.

Each candidate is tried by taking the layer's bounding-box centre back to longitude and
latitude in that system and keeping it when the point falls inside the system's area of use.
UTM coordinates fit every zone equally, so zones are offered in a fixed order (US zones
10–19, then Japan 51–55) after the specific systems (state planes, Japanese plane
rectangular zones) that the position narrows down.

>>> [c.code for c in crs_candidates((-117.5, 39.0, -117.0, 39.5))]
['EPSG:4326', 'EPSG:4269']
>>> codes = [c.code for c in crs_candidates((480_000.0, 4_300_000.0, 520_000.0, 4_320_000.0))]
>>> "EPSG:32611" in codes, "EPSG:4326" in codes
(True, False)
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

from pyproj import CRS, Transformer
from pyproj.database import query_crs_info
from pyproj.enums import PJType

from domain.bbox import BBox
from layers.preflight_report import CrsCandidate

GEOGRAPHIC = (4326, 4269, 6668)  # WGS 84, NAD83, JGD2011
ALBERS = (5070, 3338)  # NAD83 / Conus Albers, NAD83 / Alaska Albers
JGD2011_PLANES = tuple(range(6669, 6688))  # JGD2011 / Japan Plane Rectangular CS I..XIX
US_UTM_ZONES = tuple(range(10, 20))
JAPAN_UTM_ZONES = tuple(range(51, 56))
STATE_PLANE_NAME = re.compile(r"^NAD83 / (?!UTM|Conus|Alaska Albers|MTM|BLM|.*Lambert)")
MAX_CANDIDATES = 40  # every UTM zone of the US and Japan fits in the list
WEB_MERCATOR = "EPSG:3857"  # what web maps (and many exports from them) give, in metres


@dataclass(frozen=True)
class _Entry:
    """One system to try: code, name, area of use and how specific it is (lower first)."""

    code: int
    name: str
    where: str
    area: tuple[float, float, float, float]
    group: int
    order: int


def crs_candidates(
    bounds: tuple[float, float, float, float], limit: int = MAX_CANDIDATES
) -> list[CrsCandidate]:
    """Coordinate systems that place a layer with these native bounds inside their area of use.

    Parameters: ``bounds`` is (min x, min y, max x, max y) in the file's own units.
    Returns at most ``limit`` candidates, most specific first; empty when none fits.
    """
    if not all(math.isfinite(value) for value in bounds):
        return []
    x = (bounds[0] + bounds[2]) / 2
    y = (bounds[1] + bounds[3]) / 2
    looks_geographic = abs(bounds[0]) <= 180 and abs(bounds[2]) <= 180 and abs(y) <= 90
    entries = _geographic() if looks_geographic else _projected()
    fitting = [entry for entry in entries if _lands_inside(entry, x, y)]
    fitting.sort(key=_rank)
    return [CrsCandidate(f"EPSG:{e.code}", e.name, e.where) for e in fitting[:limit]]


def _lands_inside(entry: _Entry, x: float, y: float) -> bool:
    """Whether ``x, y`` taken back to longitude/latitude falls inside the entry's area."""
    lon, lat = _inverse(entry.code).transform(x, y, errcheck=False)
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return False
    return bool(BBox.of(entry.area).contains(lon, lat))


def _rank(entry: _Entry) -> tuple[int, float, int]:
    """Planes by the size of their area (smallest first); other groups in their fixed order."""
    size = _area_size(entry) if entry.group == 0 and entry.code not in GEOGRAPHIC else 0.0
    return entry.group, size, entry.order


def _area_size(entry: _Entry) -> float:
    """Rough size of the area of use in square degrees (smaller is more specific)."""
    area = BBox.of(entry.area)
    return area.width * (area.north - area.south)


@functools.cache
def _inverse(code: int) -> Transformer:
    """From a system to its own longitude/latitude (no datum shift: metres do not matter)."""
    crs = CRS.from_epsg(code)
    geodetic = crs.geodetic_crs or CRS.from_epsg(4326)
    return Transformer.from_crs(crs, geodetic, always_xy=True)


@functools.cache
def _entry(code: int, group: int, order: int) -> _Entry:
    """An entry for an EPSG code, with its area of use."""
    crs = CRS.from_epsg(code)
    area = crs.area_of_use
    bounds = area.bounds if area else (-180.0, -90.0, 180.0, 90.0)
    return _Entry(code, crs.name, _where(area.name if area else "World"), bounds, group, order)


@functools.cache
def _geographic() -> tuple[_Entry, ...]:
    """Longitude/latitude systems: WGS 84, NAD83, JGD2011."""
    return tuple(_entry(code, 0, order) for order, code in enumerate(GEOGRAPHIC))


@functools.cache
def _projected() -> tuple[_Entry, ...]:
    """State planes and Japanese planes, US Albers, UTM zones for the US and Japan, then
    web mercator."""
    planes = [_entry(code, 0, order) for order, code in enumerate(_state_planes())]
    planes += [_entry(code, 0, 1000 + order) for order, code in enumerate(JGD2011_PLANES)]
    albers = [_entry(code, 1, order) for order, code in enumerate(ALBERS)]
    utm_codes = [code for zone in US_UTM_ZONES for code in (26900 + zone, 32600 + zone)]
    utm_codes += [code for zone in JAPAN_UTM_ZONES for code in (6688 + zone - 51, 32600 + zone)]
    utm = [_entry(code, 2, order) for order, code in enumerate(utm_codes)]
    return (*planes, *albers, *utm, _entry(3857, 3, 0))  # fits any metres in range: last


def _state_planes() -> list[int]:
    """EPSG codes of US state planes on NAD83, and their NAD83(2011) twins, metres and feet.

    NAD83(2011) systems with no NAD83 twin (county and low-distortion zones) are left out.
    """
    by_name: dict[str, int] = {}
    for info in query_crs_info(auth_name="EPSG", pj_types=PJType.PROJECTED_CRS):
        area = str(info.area_of_use.name) if info.area_of_use else ""
        if not info.deprecated and "United States" in area:
            by_name[info.name] = int(info.code)
    codes = []
    for name, code in by_name.items():
        if STATE_PLANE_NAME.match(name):
            twin = by_name.get(name.replace("NAD83 / ", "NAD83(2011) / ", 1))
            codes += [code] if twin is None else [code, twin]
    return codes


def _where(area_name: str) -> str:
    """A short place name from a PROJ area of use.

    >>> _where("United States (USA) - Nevada - counties of Churchill; Clark")
    'Nevada, United States'
    >>> _where("Japan - zone I")
    'Japan - zone I'
    """
    parts = [part.strip() for part in area_name.split(" - ")]
    if parts[0].startswith("United States") and len(parts) > 1:
        return f"{parts[1].rstrip('.')}, United States"
    return " - ".join(parts[:2]).split(", northern")[0].split(". ")[0].rstrip(".")
