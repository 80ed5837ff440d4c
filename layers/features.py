"""Features handed to the export writers: attribute columns and one shapely geometry per row.

A plain pandas frame and a numpy array, not a GeoDataFrame: the GeoJSON and CSV writers need
nothing more, and a site export served by the web app must not load geopandas (about 14 MB in
every process) or GDAL. Only the formats GDAL writes build a GeoDataFrame, from
:meth:`Features.to_geodataframe`. Here, below both ``sites`` (which makes them) and
``exports`` (which writes them), since neither of those two packages may import the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import geopandas as gpd

WGS84 = "EPSG:4326"


@dataclass(frozen=True, eq=False)
class Features:
    """Rows to export: ``columns`` (with an ``id`` column of unique strings, the stable feature
    id) and ``geometry``, an object array of the same length holding a shapely geometry or
    ``None`` for each row, in ``crs`` (``None`` when unknown, which the writers refuse).

    >>> import shapely
    >>> f = Features(pd.DataFrame({"id": ["a", "b"]}), np.array([shapely.Point(1, 2), None]))
    >>> f.crs, len(f.columns)
    ('EPSG:4326', 2)
    """

    columns: pd.DataFrame
    geometry: np.ndarray
    crs: str | None = WGS84

    def __post_init__(self) -> None:
        if len(self.geometry) != len(self.columns):
            raise ValueError(f"{len(self.geometry)} geometries for {len(self.columns)} rows: "
                             "each row needs one geometry (or None)")

    @classmethod
    def of(cls, frame: gpd.GeoDataFrame) -> Features:
        """A GeoDataFrame's rows as features, reprojected to EPSG:4326 when it has another
        CRS (an uploaded layer, a test's frame)."""
        if frame.crs is not None and not frame.crs.equals(WGS84):
            frame = frame.to_crs(WGS84)
        columns = pd.DataFrame(frame.drop(columns=[frame.geometry.name]))
        geometry = np.asarray(frame.geometry.array, dtype=object)
        return cls(columns, geometry, None if frame.crs is None else WGS84)

    def to_geodataframe(self) -> gpd.GeoDataFrame:
        """The features as a GeoDataFrame, for the writers that go through GDAL (imports
        geopandas)."""
        import geopandas as gpd

        return gpd.GeoDataFrame(self.columns,
                                geometry=gpd.GeoSeries(self.geometry, index=self.columns.index),
                                crs=self.crs)
