"""The deposit view index: what a map view receives is bounded by the screen."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.bbox import BBox
from domain.deposit_view import PointFilter
from sites.point_index import PointIndex


def _frame(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "id": np.arange(1, n + 1),
        "lat": rng.uniform(-60, 70, n),
        "lon": rng.uniform(-180, 180, n),
        "dev_status": rng.choice(["producer", "prospect", "occurrence"], n),
        "commodities": rng.choice(["Li", "Cu;Au", "REE;Nd", ""], n),
        "country": rng.choice(["United States", "Japan"], n),
        "name": [f"site {i}" for i in range(n)],
    })


WORLD = BBox(-180, -90, 180, 90)


def test_zoomed_out_view_is_clustered_and_bounded() -> None:
    frame = _frame(20_000)
    view = PointIndex.from_frame(frame).query(WORLD, zoom=2, filters=PointFilter(), point_limit=500)
    assert view["meta"]["mode"] == "clusters"
    assert view["meta"]["in_view"] == 20_000
    # one feature per 64-pixel cell at zoom 2: far fewer than the points
    assert len(view["features"]) < 400
    total = sum(f["properties"].get("count", 1) for f in view["features"])
    assert total == 20_000


def test_small_view_returns_points_with_ids() -> None:
    frame = _frame(5_000)
    index = PointIndex.from_frame(frame)
    box = BBox(0, 0, 20, 20)
    view = index.query(box, zoom=7, filters=PointFilter(), point_limit=5_000)
    expected = frame[(frame.lon.between(0, 20)) & (frame.lat.between(0, 20))]
    assert view["meta"]["mode"] == "points"
    assert sorted(f["properties"]["id"] for f in view["features"]) == sorted(expected["id"])


def test_filters_combine() -> None:
    frame = _frame(3_000)
    index = PointIndex.from_frame(frame)
    f = PointFilter(commodities=("Nd", "Li"), statuses=("producer",), countries=("Japan",))
    expected = frame[frame.commodities.isin(["Li", "REE;Nd"]) & (frame.dev_status == "producer")
                     & (frame.country == "Japan")]
    assert index.count(f) == len(expected)
    assert index.count(PointFilter(name_contains="SITE 12")) == len(
        frame[frame.name.str.contains("site 12")]
    )


def test_antimeridian_view() -> None:
    frame = pd.DataFrame({"id": [1, 2, 3], "lat": [0.0, 0.0, 0.0], "lon": [179.5, -179.5, 0.0],
                          "dev_status": ["producer"] * 3, "commodities": ["Li"] * 3,
                          "country": ["X"] * 3, "name": ["a", "b", "c"]})
    index = PointIndex.from_frame(frame)
    crossing = index.query(BBox(179, -1, -179, 1), zoom=8, filters=PointFilter())
    assert sorted(f["properties"]["id"] for f in crossing["features"]) == [1, 2]
    wrapped = index.query(BBox(179, -1, 181, 1), zoom=8, filters=PointFilter())
    assert sorted(f["properties"]["id"] for f in wrapped["features"]) == [1, 2]


@settings(max_examples=40, deadline=None)
@given(
    west=st.floats(-180, 170), south=st.floats(-80, 70),
    width=st.floats(0.1, 200), height=st.floats(0.1, 100), zoom=st.integers(0, 12),
)
def test_clusters_account_for_every_point_in_view(
    west: float, south: float, width: float, height: float, zoom: int
) -> None:
    frame = _frame(2_000, seed=7)
    index = PointIndex.from_frame(frame)
    box = BBox(west, south, min(west + width, 180), min(south + height, 90))
    view = index.query(box, zoom=zoom, filters=PointFilter(), point_limit=50)
    total = sum(f["properties"].get("count", 1) for f in view["features"])
    assert total == view["meta"]["in_view"]
    for feature in view["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert box.south <= lat <= box.north and box.west <= lon <= box.east
