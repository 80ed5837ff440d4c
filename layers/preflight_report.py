"""The pre-flight report: what an upload holds and whether it can be published, in words.

Built by :mod:`layers.vector_check` and :mod:`layers.raster_check`; shown on the upload page
and printed by ``permitmap layers check FILE [--json]``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from domain.bbox import Bounds
from layers.upload_formats import LayerKind


@dataclass(frozen=True)
class CrsCandidate:
    """A coordinate system that would place a layer without one somewhere plausible."""

    code: str  # "EPSG:32611"
    name: str  # "WGS 84 / UTM zone 11N"
    where: str  # "Nevada, United States" or the CRS's area of use


@dataclass
class VectorLayerReport:
    """One layer of a vector upload (a GeoPackage table, a KML folder, a GPX track set)."""

    name: str
    feature_count: int = 0
    geometry_types: dict[str, int] = field(default_factory=dict)
    fields: list[str] = field(default_factory=list)
    crs: str | None = None  # "EPSG:4269", or None when the file states none
    crs_name: str | None = None
    crs_candidates: list[CrsCandidate] = field(default_factory=list)
    encoding: str | None = None
    invalid_count: int = 0
    invalid_examples: list[str] = field(default_factory=list)
    empty_count: int = 0
    out_of_range: list[str] = field(default_factory=list)  # feature labels, e.g. "feature 12"
    crossing_antimeridian: int = 0
    bounds: Bounds | None = None  # in EPSG:4326, when the CRS is known
    linearised: int = 0  # features with curved edges, drawn as straight segments
    rings_closed: int = 0  # features whose unclosed rings were closed
    broken: list[str] = field(default_factory=list)  # 'feature 3 (…): why it cannot be drawn'
    coordinate_columns: list[str] = field(default_factory=list)  # table: x, y columns read
    other_coordinate_columns: list[str] = field(default_factory=list)  # the pair not read


@dataclass
class BandStats:
    """Statistics of one raster band over its valid pixels (from a reduced read)."""

    band: int
    minimum: float | None
    maximum: float | None
    mean: float | None
    std: float | None
    p2: float | None
    p98: float | None
    valid_fraction: float


@dataclass
class RasterReport:
    """The raster part of a report."""

    width: int
    height: int
    band_count: int
    dtype: str
    nodata: float | None
    crs: str | None
    crs_name: str | None
    bounds: Bounds | None
    is_cog: bool
    stats: list[BandStats] = field(default_factory=list)
    suggested_stretch: tuple[float, float] | None = None
    suggested_colormap: str | None = None
    crs_candidates: list[CrsCandidate] = field(default_factory=list)
    amplitude_of_complex: bool = False  # complex bands published as their amplitude |z|


@dataclass
class PreflightReport:
    """Everything found in one upload. ``ok`` when it can be published as it is."""

    file_name: str
    format: str
    kind: LayerKind
    size_bytes: int = 0
    checksum: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    layers: list[VectorLayerReport] = field(default_factory=list)
    raster: RasterReport | None = None

    @property
    def ok(self) -> bool:
        """Whether the file can be published: no errors were found."""
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        """One JSON object: ``ok``, ``kind``, ``errors``, ``warnings`` and the figures."""
        body = _finite(asdict(self))
        body["kind"] = str(self.kind)
        return {"ok": self.ok, **body}


def _finite(value: Any) -> Any:
    """NaN and infinity become None: JSON has no spelling for them that browsers accept.

    >>> _finite({"nodata": float("nan"), "stats": [1.5, float("inf")]})
    {'nodata': None, 'stats': [1.5, None]}
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value
