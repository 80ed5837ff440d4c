"""Default styles of new layers, and the checks on a style a user sets."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from domain.errors import InputError
from domain.i18n import tr
from layers.preflight_report import RasterReport

VECTOR_COLOURS = ("#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#a6761d", "#1f78b4")
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def default_vector_style(seed: str) -> dict[str, Any]:
    """A colour picked from ``seed`` (the same upload gets the same colour), thin outlines."""
    index = int(hashlib.sha1(seed.encode(), usedforsecurity=False).hexdigest(), 16)
    return {"colour": VECTOR_COLOURS[index % len(VECTOR_COLOURS)], "weight": 2,
            "fill_opacity": 0.25}


def default_raster_style(raster: RasterReport | None) -> dict[str, Any]:
    """The report's suggested colour map and stretch (none for RGB imagery), 75 % opaque."""
    colormap = raster.suggested_colormap if raster else "viridis"
    stretch = list(raster.suggested_stretch) if raster and raster.suggested_stretch else None
    return {"colormap": colormap, "stretch": stretch, "opacity": 0.75}


def checked_vector_style(colour: str, weight: float, fill_opacity: float) -> dict[str, Any]:
    """A vector style from form values; refuses what Leaflet could not draw."""
    if not HEX_COLOUR.match(colour):
        raise InputError(tr("Colour {colour} is not a colour like #d95f02; pick one.").format(
            colour=repr(colour)))
    if not 0 <= fill_opacity <= 1 or not 0 < weight <= 20:
        raise InputError(tr("Fill opacity goes from 0 to 1 and line width from 1 to 20."))
    return {"colour": colour, "weight": weight, "fill_opacity": fill_opacity}


def checked_raster_style(colormap: str | None, low: float, high: float,
                         opacity: float) -> dict[str, Any]:
    """A raster style from form values; the stretch's low end must be below its high end."""
    if not low < high:
        raise InputError(tr("The stretch's low value ({low}) must be below its high value "
                            "({high}); swap them or widen the range.").format(
                                low=format(low, "g"), high=format(high, "g")))
    if not 0 <= opacity <= 1:
        raise InputError(tr("Opacity goes from 0 (invisible) to 1 (opaque)."))
    return {"colormap": colormap, "stretch": [low, high], "opacity": opacity}
