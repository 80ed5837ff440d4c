"""The coordinate systems a site export may be written in: WGS 84 (the default) and Japan's
own, JGD2011 and the older Tokyo datum, geographic and projected (the plane rectangular zones
I–XIX, UTM), named in words for people choosing one.

EPSG defines JGD2011 (and Tokyo) UTM zones 51N–55N only: no 56N, although Minamitorishima
(153.98° E) lies in UTM zone 56; plane rectangular zone XIX covers it.

Light to import (a page offering the choice loads no pyproj); :func:`reproject` imports pyproj
when a file is made. Reprojection goes through shapely and pyproj, never geopandas, so that
a CSV export in a Japanese system loads no more than a WGS 84 one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import shapely

from domain.errors import InputError
from domain.i18n import N_, ntr, tr
from exports.export_file import ExportFormat
from layers.errors import UnsupportedFormat

if TYPE_CHECKING:
    from pyproj import Transformer

_ZONES = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII",
          "XIV", "XV", "XVI", "XVII", "XVIII", "XIX")


@dataclass(frozen=True)
class OutputCrs:
    """An offered coordinate system: its EPSG code and EPSG name, and whether it is
    longitude/latitude (else eastings and northings in metres)."""

    code: int
    name: str
    geographic: bool = False

    @property
    def srs(self) -> str:
        """``EPSG:6677``: what pyproj, GDAL and the ``crs=`` parameter take."""
        return f"EPSG:{self.code}"

    @property
    def is_wgs84(self) -> bool:
        """Whether this is WGS 84 longitude/latitude, the form the sites are kept in."""
        return self.code == 4326

    @property
    def label(self) -> str:
        """The system for people choosing one.

        >>> output_crs("EPSG:6677").label
        'JGD2011 / Japan Plane Rectangular CS IX (EPSG:6677)'
        """
        return f"{self.name} ({self.srs})"

    @property
    def stem_suffix(self) -> str:
        """What a file's name adds so that it says its system (nothing for WGS 84).

        >>> output_crs("6677").stem_suffix, WGS84_OUTPUT.stem_suffix
        ('_epsg6677', '')
        """
        return "" if self.is_wgs84 else f"_epsg{self.code}"

    @property
    def x_column(self) -> str:
        """The CSV column of the x (easting, or longitude) in this system: ``x_epsg6677``."""
        return f"x_epsg{self.code}"

    @property
    def y_column(self) -> str:
        """The CSV column of the y (northing, or latitude) in this system: ``y_epsg6677``."""
        return f"y_epsg{self.code}"


OFFERED: tuple[OutputCrs, ...] = (
    OutputCrs(4326, "WGS 84", geographic=True),
    OutputCrs(6668, "JGD2011", geographic=True),
    *(OutputCrs(6669 + n, f"JGD2011 / Japan Plane Rectangular CS {zone}")
      for n, zone in enumerate(_ZONES)),
    *(OutputCrs(6688 + n, f"JGD2011 / UTM zone {51 + n}N") for n in range(5)),
    OutputCrs(4301, "Tokyo", geographic=True),
    *(OutputCrs(30161 + n, f"Tokyo / Japan Plane Rectangular CS {zone}")
      for n, zone in enumerate(_ZONES)),
    *(OutputCrs(3092 + n, f"Tokyo / UTM zone {51 + n}N") for n in range(5)),
)
"""Every system offered, WGS 84 first (the default), each named as EPSG names it."""

WGS84_OUTPUT = OFFERED[0]
_BY_CODE = {crs.code: crs for crs in OFFERED}
WGS84_ONLY = {ExportFormat.GEOJSON: "RFC 7946", ExportFormat.KML: N_("the KML standard")}
"""The formats that are WGS 84 longitude/latitude by definition, and what defines them."""


def output_crs(text: str | int | None) -> OutputCrs:
    """The offered system ``text`` names (``EPSG:6677``, ``epsg:6677`` or ``6677``; empty or
    None: WGS 84); InputError in words for anything else.

    >>> output_crs("epsg:30169").name
    'Tokyo / Japan Plane Rectangular CS IX'
    >>> output_crs(None) is WGS84_OUTPUT
    True
    >>> output_crs("EPSG:32654")
    Traceback (most recent call last):
    ...
    domain.errors.InputError: crs EPSG:32654 is not offered: choose WGS 84 (EPSG:4326), \
JGD2011 (EPSG:6668), its plane rectangular zones I–XIX (EPSG:6669–6687) or UTM 51N–55N \
(EPSG:6688–6692), or the Tokyo datum (EPSG:4301, 30161–30179, 3092–3096).
    """
    if text is None or str(text).strip() == "":
        return WGS84_OUTPUT
    given = str(text).strip()
    digits = given.upper().removeprefix("EPSG:").strip()
    if not digits.isdigit():
        raise InputError(tr("crs {given} is not a coordinate system: write an EPSG code "
                            "such as EPSG:6677. {choices}").format(given=repr(given),
                                                                  choices=tr(_CHOICES)))
    if int(digits) not in _BY_CODE:
        choices = tr(_CHOICES)
        raise InputError(tr("crs EPSG:{code} is not offered: {choices}").format(
            code=int(digits), choices=choices[0].lower() + choices[1:]))
    return _BY_CODE[int(digits)]


_CHOICES = N_("Choose WGS 84 (EPSG:4326), JGD2011 (EPSG:6668), its plane rectangular zones "
              "I–XIX (EPSG:6669–6687) or UTM 51N–55N (EPSG:6688–6692), or the Tokyo datum "
              "(EPSG:4301, 30161–30179, 3092–3096).")


def refuse_crs(fmt: ExportFormat, crs: OutputCrs) -> None:
    """UnsupportedFormat in one sentence when ``fmt`` cannot be written in ``crs``: GeoJSON
    and KML are WGS 84 longitude/latitude by definition.

    >>> refuse_crs(ExportFormat.GEOJSON, output_crs("EPSG:6677"))
    Traceback (most recent call last):
    ...
    layers.errors.UnsupportedFormat: GeoJSON is always in WGS 84 longitude/latitude (RFC 7946), \
so it cannot be written in EPSG:6677: choose GeoPackage, Shapefile, GeoParquet or CSV for \
JGD2011 / Japan Plane Rectangular CS IX.
    """
    if fmt in WGS84_ONLY and not crs.is_wgs84:
        raise UnsupportedFormat(tr(
            "{format} is always in WGS 84 longitude/latitude ({standard}), so it cannot be "
            "written in {srs}: choose GeoPackage, Shapefile, GeoParquet or CSV for {name}."
        ).format(format=fmt.format_name, standard=tr(WGS84_ONLY[fmt]), srs=crs.srs,
                 name=crs.name))


def reproject(geoms: np.ndarray, crs: OutputCrs) -> tuple[np.ndarray, int]:
    """``geoms`` (shapely geometries or None, in WGS 84) in ``crs``, and how many of them lie
    outside its area of use (still transformed: a plane zone's numbers far from home are
    true to the projection, if distorted).

    Coordinates pyproj cannot give (infinite) leave their geometry empty; they count as
    outside."""
    if crs.is_wgs84:
        return geoms, 0
    present = ~shapely.is_missing(geoms)
    outside = int((present & ~shapely.within(geoms, _area_of_use(crs.code))).sum())
    transformer = _transformer(crs.code)
    moved = shapely.transform(geoms, transformer.transform, interleaved=False)
    bad = present & ~np.isfinite(shapely.bounds(moved)).all(axis=1)
    moved[bad] = None
    return moved, outside


def area_note(outside: int, crs: OutputCrs) -> list[str]:
    """The note on sites outside ``crs``'s area of use, if any.

    >>> area_note(2, output_crs(6677))  # doctest: +NORMALIZE_WHITESPACE
    ['2 sites lie outside the area of use of JGD2011 / Japan Plane Rectangular CS IX
      (EPSG:6677): their coordinates are computed all the same, but that system is not
      meant for them (distorted, or off its datum); choose one that covers them.']
    """
    if not outside:
        return []
    return [ntr("{count} site lies outside the area of use of {crs}: its coordinates are "
                "computed all the same, but that system is not meant for it (distorted, or off "
                "its datum); choose one that covers it.",
                "{count} sites lie outside the area of use of {crs}: their coordinates are "
                "computed all the same, but that system is not meant for them (distorted, or "
                "off its datum); choose one that covers them.", outside).format(
                    count=f"{outside:,}", crs=crs.label)]


@lru_cache(maxsize=64)
def _transformer(code: int) -> Transformer:
    from pyproj import Transformer

    # always_xy: longitude first in, easting first out (EPSG's plane zones put northing first)
    return Transformer.from_crs("EPSG:4326", f"EPSG:{code}", always_xy=True)


@lru_cache(maxsize=64)
def _area_of_use(code: int) -> shapely.Polygon:
    from pyproj import CRS

    area = CRS.from_epsg(code).area_of_use
    if area is None:  # every offered system has one; a world box if EPSG ever drops it
        return shapely.box(-180.0, -90.0, 180.0, 90.0)
    return shapely.box(area.west, area.south, area.east, area.north)
