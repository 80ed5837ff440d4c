"""An in-memory index of many points that answers map views: what the browser receives is
bounded by the screen (a point limit, or one cluster per grid cell), not by the table.

Columns are NumPy arrays; filters become boolean masks cached per filter state, so a pan
costs one bounding-box comparison and, when zoomed out, one grid aggregation.

>>> import pandas as pd
>>> frame = pd.DataFrame({"id": [1, 2, 3], "lat": [10.0, 10.1, -40.0], "lon": [20.0, 20.1, 150.0],
...     "dev_status": ["producer", "prospect", "producer"], "commodities": ["Li", "Li;Br", "REE"],
...     "country": ["A", "A", "B"], "name": ["x", "y", "z"]})
>>> index = PointIndex.from_frame(frame)
>>> view = index.query(BBox(0, 0, 30, 30), zoom=5, filters=PointFilter(commodities=("Br",)))
>>> [f["properties"]["id"] for f in view["features"]]
[2]
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd

from domain.access import MARKING_CODES
from domain.bbox import BBox
from domain.deposit_view import (
    PointFilter,
    cell_degrees,
    cluster_feature,
    point_feature,
    view_answer,
)
from domain.vocab import expand_groups, split_codes


class PointIndex:
    """Columns of the points as arrays, plus inverted indexes for commodities."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.ids = frame["id"].to_numpy(dtype=np.int64)
        self.lat = frame["lat"].to_numpy(dtype=np.float64)
        self.lon = frame["lon"].to_numpy(dtype=np.float64)
        self.status = pd.Categorical(frame["dev_status"].fillna("unknown"))
        self.country = pd.Categorical(frame["country"].fillna(""))
        self.names = frame["name"].fillna("").astype(str).to_numpy(dtype=object)
        self.commodities = frame["commodities"].fillna("").astype(str).to_numpy(dtype=object)
        self._by_commodity = _inverted_index(self.commodities)
        # Handling markings as one byte each (the position in MARKING_CODES): 1 MB a million.
        self.marking = _marking_codes(frame)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> PointIndex:
        """Build from a frame with id, lat, lon, dev_status, commodities, country, name and
        optionally marking_rank or marking (public when absent)."""
        return cls(frame.reset_index(drop=True))

    def __len__(self) -> int:
        return len(self.ids)

    def query(
        self, bbox: BBox, zoom: int, filters: PointFilter, point_limit: int = 2000
    ) -> dict[str, Any]:
        """A GeoJSON FeatureCollection for one map view.

        Points when at most ``point_limit`` match inside ``bbox``; otherwise one cluster
        per grid cell (single-point cells stay points). ``meta`` says which and how many.
        """
        rows = np.flatnonzero(self.filter_mask(filters) & self._bbox_mask(bbox))
        if len(rows) <= point_limit:
            features = [self._point_feature(int(i)) for i in rows]
            mode = "points"
        else:
            features = self._clusters(rows, zoom)
            mode = "clusters"
        return view_answer(features, mode, len(rows))

    def count(self, filters: PointFilter) -> int:
        """How many points match the filters anywhere."""
        return int(self.filter_mask(filters).sum())

    def filter_mask(self, filters: PointFilter) -> np.ndarray:
        """Boolean mask of the points matching ``filters`` (cached per filter state)."""
        return self._cached_mask(filters)

    @functools.lru_cache(maxsize=64)  # noqa: B019 - the index lives as long as its data
    def _cached_mask(self, filters: PointFilter) -> np.ndarray:
        mask = np.ones(len(self.ids), dtype=bool)
        if filters.commodities:
            wanted = np.zeros(len(self.ids), dtype=bool)
            for code in expand_groups(filters.commodities):
                wanted[self._by_commodity.get(code, _EMPTY)] = True
            mask &= wanted
        if filters.statuses:
            mask &= np.asarray(self.status.isin(filters.statuses))
        if filters.countries:
            mask &= np.asarray(self.country.isin(filters.countries))
        if filters.markings:
            allowed = np.isin(np.arange(len(MARKING_CODES)),
                              [MARKING_CODES.index(m) for m in filters.markings
                               if m in MARKING_CODES])
            mask &= allowed[self.marking]
        if filters.excluded:
            mask &= ~np.isin(self.ids, filters.excluded)
        if filters.name_contains:
            needle = filters.name_contains.lower()
            mask &= np.fromiter((needle in n.lower() for n in self.names), bool, len(self.names))
        mask.setflags(write=False)
        return mask

    def _bbox_mask(self, bbox: BBox) -> np.ndarray:
        return np.asarray(bbox.contains(self.lon, self.lat), dtype=bool)

    def _point_feature(self, i: int) -> dict[str, Any]:
        return point_feature(int(self.ids[i]), self.lon[i], self.lat[i], self.names[i],
                             str(self.status[i]), self.commodities[i])

    def _clusters(self, rows: np.ndarray, zoom: int) -> list[dict[str, Any]]:
        cell = cell_degrees(zoom)
        ix = np.floor(self.lon[rows] / cell).astype(np.int64)
        iy = np.floor(self.lat[rows] / cell).astype(np.int64)
        keys = ix * 1_000_003 + iy
        _, first, inverse, counts = np.unique(
            keys, return_index=True, return_inverse=True, return_counts=True
        )
        lon = np.bincount(inverse, weights=self.lon[rows]) / counts
        lat = np.bincount(inverse, weights=self.lat[rows]) / counts
        features = []
        for k in range(len(counts)):
            if counts[k] == 1:
                features.append(self._point_feature(int(rows[first[k]])))
                continue
            features.append(cluster_feature(lon[k], lat[k], int(counts[k])))
        return features


_EMPTY = np.empty(0, dtype=np.int64)


def _marking_codes(frame: pd.DataFrame) -> np.ndarray:
    """Each point's marking as its position in MARKING_CODES: the store's ``marking_rank``,
    else from ``marking`` codes (a code not known there counts as the most restricted: it
    is shown to the highest clearance only), else public."""
    if "marking_rank" in frame:
        return frame["marking_rank"].to_numpy(dtype=np.int8)
    if "marking" not in frame:
        return np.zeros(len(frame), dtype=np.int8)
    found = pd.Categorical(frame["marking"], categories=MARKING_CODES).codes
    return np.where(found < 0, len(MARKING_CODES) - 1, found).astype(np.int8)


def _inverted_index(commodities: np.ndarray) -> dict[str, np.ndarray]:
    """Commodity code -> sorted row numbers of the points that carry it."""
    rows: dict[str, list[int]] = {}
    for text, positions in pd.Series(commodities).groupby(commodities).indices.items():
        for code in split_codes(str(text)):
            rows.setdefault(code, []).extend(np.asarray(positions).tolist())
    return {code: np.sort(np.asarray(r, dtype=np.int64)) for code, r in rows.items()}

