"""GeoJSON with broken shapes: an unclosed ring is closed (the one repair with no choice to
make) and said; a shape GEOS cannot build or draw is named per feature and refused, or left
out when the user chooses to publish without the features that cannot be drawn."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from layers.preflight import inspect_upload
from layers.vector_read import VectorOptions
from services.errors import PublishRefused
from store.layer_repo import list_layers
from tests.support.sqlite_publishing import drawn_features, publish, sqlite_setting


def _feature(name: str, geometry: dict) -> dict:
    return {"type": "Feature", "properties": {"name": name}, "geometry": geometry}


def write_broken(path: Path) -> Path:
    square = [[-117.0, 39.0], [-116.9, 39.0], [-116.9, 39.1], [-117.0, 39.1]]
    features = [
        _feature("Claim 1", {"type": "Polygon", "coordinates": [square]}),  # not closed
        _feature("Camp", {"type": "Point", "coordinates": [-117.05, 39.05]}),
        _feature("Sliver", {"type": "Polygon",
                            "coordinates": [[[-117.0, 39.0], [-116.9, 39.0]]]}),  # 2 positions
        _feature("Stub", {"type": "LineString", "coordinates": [[-117.0, 39.0]]}),  # 1 position
        _feature("Gap", {"type": "Polygon", "coordinates": [
            [[-117.0, 39.0], [-116.9, 39.0], [float("nan"), 39.1], [-117.0, 39.0]]]}),
    ]
    text = json.dumps({"type": "FeatureCollection", "features": features})
    path.write_text(text, encoding="utf-8")  # NaN written as JSON's NaN, which GDAL reads
    return path


def test_broken_rings_are_closed_named_refused_then_left_out_with_consent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setting = sqlite_setting(tmp_path, monkeypatch)
    path = write_broken(setting["files"] / "claims.geojson")

    report = inspect_upload(path, path.name).report
    assert not report.ok
    [layer] = report.layers
    assert layer.rings_closed == 2  # Claim 1, and Sliver before it is found too small
    assert "it was closed by repeating the first position" in " ".join(report.warnings)
    assert layer.broken == [
        'feature 3 (name "Sliver"): too few distinct positions to make a line or an area',
        'feature 4 (name "Stub"): a line with only one position',
        'feature 5 (name "Gap"): a position that is not a number',
    ]
    [error] = report.errors
    assert error.startswith("claims.geojson: 3 features cannot be drawn")
    assert "Fix them in your GIS and export again, or choose to publish without" in error
    with pytest.raises(PublishRefused, match="cannot be drawn"):
        publish(setting, path)
    assert list_layers(setting["engine"]) == []

    chosen = VectorOptions(drop_out_of_range=True)
    report = inspect_upload(path, path.name, chosen).report
    assert report.ok, report.errors
    assert "3 features that cannot be drawn are left out" in " ".join(report.warnings)
    records = publish(setting, path, chosen)
    assert sorted((r.geometry_type, r.feature_count) for r in records) == [
        ("Point", 1), ("Polygon", 1)]
    polygon = next(r for r in records if r.geometry_type == "Polygon")
    [claim] = drawn_features(polygon)
    ring = claim["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5  # closed
