"""The briefing picture's scale bar and north arrow. A web-mercator picture's scale changes
with latitude, so the bar is true at the frame's middle latitude and says which that is."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import ImageDraw

from domain.i18n import tr
from exports.picture_text import Font

EARTH_RADIUS = 6_378_137.0  # web mercator's sphere, metres
INK, PAPER = "#222222", "#ffffff"


@dataclass(frozen=True)
class ScaleBar:
    """A round ground length, how many pixels it takes, and the latitude where that holds."""

    km: float
    pixels: float
    latitude: float

    @property
    def label(self) -> str:
        """The length and where it is true.

        >>> ScaleBar(1000, 180.0, 37.6).label, ScaleBar(0.5, 150.0, -12.2).label
        ('1,000 km at 38° N', '500 m at 12° S')
        """
        length = f"{self.km:,.0f} km" if self.km >= 1 else f"{self.km * 1000:,.0f} m"
        degrees = f"{abs(self.latitude):.0f}"
        said = tr("{length} at {degrees}° N") if self.latitude >= 0 else tr(
            "{length} at {degrees}° S")
        return said.format(length=length, degrees=degrees)


def scale_bar(frame: tuple[float, float, float, float], width: int,
              longest: float = 180.0) -> ScaleBar:
    """The longest round length (1, 2 or 5 times a power of ten, in km) whose bar is at
    most ``longest`` pixels, for a picture ``width`` pixels wide showing the web-mercator
    ``frame`` (x0, y0, x1, y1 in metres), true at the frame's middle latitude.

    >>> bar = scale_bar((-1e6, -1e6, 1e6, 1e6), 1000)  # 2 km a pixel at the equator
    >>> bar.km, bar.pixels, bar.latitude
    (200.0, 100.0, 0.0)
    """
    x0, y0, x1, y1 = frame
    latitude = math.degrees(2 * math.atan(math.exp((y0 + y1) / 2 / EARTH_RADIUS)) - math.pi / 2)
    ground_per_pixel = (x1 - x0) / width * math.cos(math.radians(latitude))  # metres
    most_km = longest * ground_per_pixel / 1000
    power = 10 ** math.floor(math.log10(most_km))
    km = max(step * power for step in (1, 2, 5) if step * power <= most_km)
    return ScaleBar(float(km), km * 1000 / ground_per_pixel, latitude)


def draw_scale_bar(draw: ImageDraw.ImageDraw, bar: ScaleBar, left: int, top: int,
                   font: Font) -> int:
    """The bar (a dark rule exactly ``bar.pixels`` long, ticks at its ends) at ``left``,
    ``top``, its label after it; returns the right edge of what was drawn."""
    length = round(bar.pixels)
    draw.rectangle((left, top + 6, left + length - 1, top + 11), fill=INK)
    for x in (left, left + length - 1):
        draw.line((x, top + 2, x, top + 11), fill=INK, width=1)
    draw.line((left + length // 2, top + 4, left + length // 2, top + 5), fill=INK)
    text_left = left + length + 8
    draw.text((text_left, top + 1), bar.label, fill=INK, font=font)
    return int(text_left + draw.textlength(bar.label, font=font))


def draw_north_arrow(draw: ImageDraw.ImageDraw, left: int, top: int, font: Font) -> None:
    """An "N" over an arrow pointing up (its left half dark), 16 pixels wide and 40 high,
    from ``left``, ``top``: the picture is north-up (in web mercator, everywhere)."""
    draw.text((left + 8, top + 6), "N", fill=INK, font=font, anchor="mm")
    tip, notch = (left + 8, top + 14), (left + 8, top + 32)
    draw.polygon([tip, (left + 16, top + 39), notch, (left, top + 39)], fill=PAPER,
                 outline=INK)
    draw.polygon([tip, notch, (left, top + 39)], fill=INK)
