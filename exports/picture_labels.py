"""Where the briefing picture's site labels go: each beside its dot, in the first of eight
places around it that is free, so that no label covers another label, any site's dot or the
picture's furniture (title, legend, scale bar), and every label lies inside the picture.

Sites are served in the order given: a label that fits nowhere is left out, so when there is
no room for all, the sites listed first keep theirs. The same input always gives the same
answer.

>>> boxes = place_labels([(100, 100), (100, 100), (300, 100)],
...                      [(40, 12), (40, 12), None], (0, 0, 400, 200))
>>> boxes[0], boxes[1], boxes[2]  # right of the dot, then left of it; the third wants none
((110.0, 94.0, 150.0, 106.0), (50.0, 94.0, 90.0, 106.0), None)
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Sequence

Box = tuple[float, float, float, float]
"""Left, top, right, bottom in pixels (y grows downwards)."""

CELL = 48.0  # the grid's cell in pixels: about one short label


def place_labels(anchors: Sequence[tuple[float, float]],
                 sizes: Sequence[tuple[float, float] | None], area: Box, *,
                 radius: float = 7.0, gap: float = 3.0, spacing: float = 2.0,
                 reserved: Sequence[Box] = ()) -> list[Box | None]:
    """A box for each site's label, or None where it gets none.

    Parameters
    ----------
    anchors
        The sites' dots (pixel centres), most important first.
    sizes
        Each label's width and height in pixels; None for a site that wants no label (its
        dot still keeps labels off).
    area
        The picture: every box lies inside it. A site whose dot is outside gets no label.
    radius, gap
        A dot's half-width, and the space between a dot and its label.
    spacing
        The least space between two labels.
    reserved
        Boxes no label may cover (title bar, legend, scale bar).

    Returns
    -------
    One entry per anchor, in their order: the label's box, or None.

    >>> place_labels([(95, 50)], [(30, 10)], (0, 0, 100, 100))  # no room on the right
    [(55.0, 45.0, 85.0, 55.0)]
    >>> place_labels([(50, 50), (80, 50)], [(60, 10), None], (0, 0, 100, 100))  # sides full
    [(20.0, 30.0, 80.0, 40.0), None]
    """
    grid = _Grid()
    for x, y in anchors:
        if math.isfinite(x) and math.isfinite(y):
            grid.add((x - radius, y - radius, x + radius, y + radius))
    boxes: list[Box | None] = []
    for (x, y), size in zip(anchors, sizes, strict=True):
        box = None
        if size is not None and _inside((x, y, x, y), area):
            box = next((c for c in _candidates(x, y, size, radius + gap)
                        if _inside(c, area) and not _meets_any(c, reserved)
                        and not grid.meets(_grown(c, spacing))), None)
        if box is not None:
            grid.add(box)
        boxes.append(box)
    return boxes


def overlaps(a: Box, b: Box) -> bool:
    """Whether two boxes share more than an edge.

    >>> overlaps((0, 0, 10, 10), (10, 0, 20, 10)), overlaps((0, 0, 10, 10), (9, 9, 20, 20))
    (False, True)
    """
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _candidates(x: float, y: float, size: tuple[float, float],
                away: float) -> Iterator[Box]:
    """The places around a dot, best first: right, left, the four corners, above, below."""
    w, h = size
    for left, top in ((x + away, y - h / 2), (x - away - w, y - h / 2),
                      (x + 2, y - away - h), (x + 2, y + away),
                      (x - 2 - w, y - away - h), (x - 2 - w, y + away),
                      (x - w / 2, y - away - h), (x - w / 2, y + away)):
        yield (float(left), float(top), float(left + w), float(top + h))


def _inside(box: Box, area: Box) -> bool:
    return (box[0] >= area[0] and box[1] >= area[1] and box[2] <= area[2]
            and box[3] <= area[3])


def _meets_any(box: Box, others: Sequence[Box]) -> bool:
    return any(overlaps(box, other) for other in others)


def _grown(box: Box, by: float) -> Box:
    return (box[0] - by, box[1] - by, box[2] + by, box[3] + by)


class _Grid:
    """Boxes filed under every grid cell they touch, so a question looks only nearby."""

    def __init__(self) -> None:
        self._cells: defaultdict[tuple[int, int], list[Box]] = defaultdict(list)

    def add(self, box: Box) -> None:
        for cell in _cells(box):
            self._cells[cell].append(box)

    def meets(self, box: Box) -> bool:
        return any(_meets_any(box, self._cells.get(cell, ())) for cell in _cells(box))


def _cells(box: Box) -> Iterator[tuple[int, int]]:
    for i in range(math.floor(box[0] / CELL), math.floor(box[2] / CELL) + 1):
        for j in range(math.floor(box[1] / CELL), math.floor(box[3] / CELL) + 1):
            yield i, j
