"""One bounding box in lon/lat degrees (WGS84): parsed with one set of rules, split into its
spans either side of the 180th meridian, and asked whether it meets a box or holds a point.

West greater than east means the box runs across the 180th meridian.

>>> box = BBox.parse("170,-20,-170,-10")
>>> box.spans()
[(170.0, 180.0), (-180.0, -170.0)]
>>> box.meets(BBox(-175, -15, -172, -12)), box.contains(179.5, -15), box.contains(0, -15)
(True, True, False)
>>> str(box)
'170,-20,-170,-10'
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from domain.errors import InputError
from domain.i18n import tr

Bounds = tuple[float, float, float, float]
"""West, south, east, north as a plain tuple (stored layer extents, report figures)."""

EXAMPLE = "-125,24,-66,50"


@dataclass(frozen=True)
class BBox:
    """West, south, east, north in degrees. Unpacks like a tuple: ``w, s, e, n = box``."""

    west: float
    south: float
    east: float
    north: float

    @classmethod
    def parse(cls, value: str, name: str = "bbox") -> BBox:
        """A box from ``west,south,east,north``; InputError says what is wrong and what to write.

        Longitudes lie in -180..180, latitudes in -90..90 with south first; west may exceed
        east across the 180th meridian.

        >>> BBox.parse("-10,50,10,40")
        Traceback (most recent call last):
        ...
        domain.errors.InputError: bbox -10,50,10,40 is out of range: longitudes -180..180, \
latitudes -90..90 with south before north (south first); west may exceed east across the 180th \
meridian.
        """
        try:
            west, south, east, north = (float(v) for v in value.split(","))
        except ValueError:
            raise InputError(tr("{name} must be four numbers west,south,east,north in degrees "
                                "(minx,miny,maxx,maxy), e.g. {example}.").format(
                name=name, example=EXAMPLE)) from None
        box = cls(west, south, east, north)
        if not (all(math.isfinite(v) for v in box) and -90 <= south <= north <= 90
                and -180 <= west <= 180 and -180 <= east <= 180):
            raise InputError(tr("{name} {value} is out of range: longitudes -180..180, "
                                "latitudes -90..90 with south before north (south first); west "
                                "may exceed east across the 180th meridian.").format(
                name=name, value=value))
        return box

    @classmethod
    def optional(cls, value: str | None, name: str = "bbox") -> BBox | None:
        """:meth:`parse` of a parameter that may be missing or empty (None then)."""
        return cls.parse(value, name) if value else None

    @classmethod
    def of(cls, bounds: Bounds) -> BBox:
        """The box of a plain ``(west, south, east, north)`` tuple."""
        return cls(*(float(v) for v in bounds))

    def __iter__(self) -> Iterator[float]:
        return iter((self.west, self.south, self.east, self.north))

    def __str__(self) -> str:
        """The URL form, ``west,south,east,north`` with no needless digits."""
        return ",".join(f"{v:g}" for v in self)

    @property
    def bounds(self) -> Bounds:
        """The box as a plain tuple."""
        return (self.west, self.south, self.east, self.north)

    @property
    def width(self) -> float:
        """West to east in degrees, across the 180th meridian when west > east.

        >>> BBox(170, 0, -170, 1).width
        20.0
        """
        return sum(east - west for west, east in self.spans())

    def spans(self) -> list[tuple[float, float]]:
        """The west-east spans within -180..180: two when the box runs across the 180th
        meridian. Longitudes past ±180 (a web map's world copies) are wrapped first.

        >>> BBox(179, -1, 181, 1).spans(), BBox(-200, 0, 200, 1).spans()
        ([(179.0, 180.0), (-180.0, -179.0)], [(-180.0, 180.0)])
        """
        if self.east - self.west >= 360:
            return [(-180.0, 180.0)]
        west, east = _wrap(self.west), _wrap(self.east)
        if west <= east:
            return [(west, east)]
        return [(west, 180.0), (-180.0, east)]

    def meets(self, other: BBox) -> bool:
        """Whether the two boxes share a point (either may run across the 180th meridian).

        >>> BBox(-120, 30, -100, 45).meets(BBox(120, 20, 150, 50))
        False
        """
        if self.south > other.north or other.south > self.north:
            return False
        return any(w1 <= e2 and w2 <= e1
                   for w1, e1 in self.spans() for w2, e2 in other.spans())

    def contains(self, lon: Any, lat: Any) -> Any:
        """Whether the box holds each point: numbers, or NumPy arrays / pandas Series of them
        (an element-wise mask then). Edges count as inside."""
        inside_lat = (lat >= self.south) & (lat <= self.north)
        spans = self.spans()
        inside_lon = (lon >= spans[0][0]) & (lon <= spans[0][1])
        for west, east in spans[1:]:
            inside_lon = inside_lon | ((lon >= west) & (lon <= east))
        return inside_lat & inside_lon


def _wrap(lon: float) -> float:
    """Longitude into -180..180 (a web map reports e.g. 190 after panning east)."""
    return float(lon) if -180 <= lon <= 180 else float((lon + 180) % 360 - 180)
