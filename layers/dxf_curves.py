"""Curved entities of a text DXF, counted for the report: GDAL's DXF driver draws arcs,
circles, ellipses, splines and bulged polyline segments as straight segments while it reads
(one every ``OGR_ARC_STEPSIZE`` degrees, set in :mod:`layers.gdal_safety`), so the geometries
it hands on hold no curve to count; the drawing's own entity list does.

Streamed line by line (group code, then value), so a large drawing costs one pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

CURVED_ENTITIES = frozenset({"ARC", "CIRCLE", "ELLIPSE", "SPLINE"})
POLYLINES = frozenset({"LWPOLYLINE", "POLYLINE"})
BULGE_CODE = "42"  # a polyline vertex's bulge: non-zero is an arc to the next vertex


def curved_entities(path: Path) -> int:
    """How many entities of the ENTITIES section hold a curve (blocks are not counted)."""
    count, entity, bulged, in_entities = 0, "", False, False
    for code, value in _pairs(path):
        if code == "0":
            if value == "VERTEX" and entity == "POLYLINE":
                continue  # a POLYLINE's vertices belong to it, up to SEQEND
            if entity in CURVED_ENTITIES or (bulged and entity in POLYLINES):
                count += 1
            entity, bulged = (value if in_entities else ""), False
            if value == "ENDSEC":
                in_entities = False
        elif code == "2" and entity == "" and not in_entities and value == "ENTITIES":
            in_entities = True
        elif code == BULGE_CODE and entity in POLYLINES:
            bulged = bulged or _number(value) != 0.0
    return count


def _pairs(path: Path) -> Iterator[tuple[str, str]]:
    """(group code, value) pairs, stripped; decoding errors replaced (the codes are ASCII)."""
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        while True:
            code, value = handle.readline(), handle.readline()
            if not code or not value:
                return
            yield code.strip(), value.strip()


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0
