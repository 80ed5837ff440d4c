"""Curved entities of a text DXF, counted for the report: GDAL's DXF driver draws arcs,
circles, ellipses, splines and bulged polyline segments as straight segments while it reads
(one every ``OGR_ARC_STEPSIZE`` degrees, set in :mod:`layers.gdal_safety`), so the geometries
it hands on hold no curve to count; the drawing's own entity list does.

Streamed line by line (group code, then value), so a large drawing costs one pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

CURVED_ENTITIES = frozenset({"ARC", "CIRCLE", "ELLIPSE", "SPLINE"})
POLYLINES = frozenset({"LWPOLYLINE", "POLYLINE"})
BULGE_CODE = "42"  # a polyline vertex's bulge: non-zero is an arc to the next vertex
NAME_CODE = "2"  # a section's, a block's, or the block an INSERT places


@dataclass
class _Block:
    """A block definition: whether it draws a curve itself, and the blocks it inserts."""

    name: str = ""
    curved: bool = False
    inserts: list[str] = field(default_factory=list)


def curved_entities(path: Path) -> int:
    """How many entities of the ENTITIES section hold a curve. An INSERT counts when its
    block holds one, itself or in a block it inserts: GDAL draws each INSERT as one feature
    made of its block's entities (a drill-hole symbol with a circle, say)."""
    blocks: dict[str, _Block] = {}
    block: _Block | None = None
    count, section, entity, bulged, placed = 0, "", "", False, ""
    for code, value in _pairs(path):
        if code == "0":
            if value == "VERTEX" and entity == "POLYLINE":
                continue  # a POLYLINE's vertices belong to it, up to SEQEND
            curved = entity in CURVED_ENTITIES or (bulged and entity in POLYLINES)
            if section == "ENTITIES":
                count += curved or (entity == "INSERT" and _draws_curve(blocks, placed, set()))
            elif block is not None:
                block.curved = block.curved or curved
                if entity == "INSERT":
                    block.inserts.append(placed)
            entity, bulged, placed = value, False, ""
            if value == "BLOCK" and section == "BLOCKS":
                block = _Block()
            elif value == "ENDBLK" and block is not None:
                blocks[block.name], block = block, None
            elif value == "ENDSEC":
                section = ""
        elif code == NAME_CODE:
            if entity == "SECTION":
                section = value
            elif entity == "BLOCK" and block is not None:
                block.name = value
            elif entity == "INSERT":
                placed = value
        elif code == BULGE_CODE and entity in POLYLINES:
            bulged = bulged or _number(value) != 0.0
    return count


def _draws_curve(blocks: dict[str, _Block], name: str, seen: set[str]) -> bool:
    """Whether block ``name`` holds a curve, itself or through the blocks it inserts (a
    block inserting itself is not followed round)."""
    block = blocks.get(name)
    if block is None or name in seen:
        return False
    seen.add(name)
    return block.curved or any(_draws_curve(blocks, inner, seen) for inner in block.inserts)


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
