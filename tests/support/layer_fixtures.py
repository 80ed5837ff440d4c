"""A small survey layer to store in tests: two features (a point near Tokyo, a box in
Nevada) as the upload pipeline hands them to ``store.layer_repo.add_layers``, or a raster's
record without features."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pandas as pd
import shapely

from store.layer_repo import NewLayer


def sample_layer(name: str, kind: str = "vector",
                 properties: tuple[dict[str, Any], dict[str, Any]] = ({"名前": "鉱区 1"},
                                                                       {"ha": 3}),
                 **changes: Any) -> NewLayer:
    """A layer named ``name`` whose checksum follows the name; ``changes`` set any other
    field of NewLayer (surveyed_on, style, ...)."""
    geometries = [shapely.Point(139.7, 35.7), shapely.box(-117.0, 41.0, -116.5, 41.5)]
    boxes = shapely.bounds(geometries)
    features = pd.DataFrame({
        "geometry": shapely.to_wkb(geometries),
        "properties": [json.dumps(p) for p in properties],
        "min_lon": boxes[:, 0], "min_lat": boxes[:, 1], "max_lon": boxes[:, 2],
        "max_lat": boxes[:, 3]}) if kind == "vector" else None
    return NewLayer(name=name, kind=kind, uploaded_by="alice", original_filename=f"{name}.gpkg",
                    checksum=hashlib.sha256(name.encode()).hexdigest(),
                    geometry_type="Polygon" if features is not None else "",
                    feature_count=2 if features is not None else 0,
                    bounds=(-117.0, 35.7, 139.7, 41.5), features=features, **changes)
