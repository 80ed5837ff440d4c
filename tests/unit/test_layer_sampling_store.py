"""A published survey layer sampled at the stored sites and deposits (``services.
layer_sampling``) and from ``permitmap layers sample``: values and statistics checked
against NumPy, markings (of the layer, the sites, the deposits) respected and audited."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from sqlalchemy import Engine

from commands.main import main
from domain.access import OPEN_ACCESS, Principal, Role
from domain.errors import InputError, NotFoundError
from services.layer_sampling import LayerSample, SampleAt, SampleRequest, sample_layer
from store.audit import audit_rows
from store.layer_repo import LayerRecord, layer_not_found
from store.markings import set_marking
from store.records import deposit_points
from tests.support.sample_store import sample_engine, use_sample_store
from tests.support.survey_grids import (
    HEIGHT,
    NODATA,
    NORTH,
    RES,
    WEST,
    WIDTH,
    grid_values,
    publish_geojson,
    publish_grid,
    value_at,
)

VIEWER = Principal("vic", Role.VIEWER, "public")
EDITOR = Principal("ed", Role.EDITOR, "business-proprietary")
GEOD = Geod(ellps="WGS84")


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    use_sample_store(tmp_path, monkeypatch, "sampling.db")
    return sample_engine(tmp_path, "sampling.db")


@pytest.fixture()
def raster(store: Engine, tmp_path: Path) -> LayerRecord:
    return publish_grid(store, tmp_path)


# edges a quarter pixel or more off the pixel centres (whole hundredths)
BLOCK_A = shapely.box(-118.2025, 41.6025, -117.9025, 41.8025)
BLOCK_A2 = shapely.box(-118.104, 41.654, -117.804, 41.754)  # overlaps A over us-alpha
BLOCK_B = shapely.box(-116.1025, 38.9025, -115.9025, 39.1025)  # around deposit D1


@pytest.fixture()
def blocks(store: Engine, tmp_path: Path) -> LayerRecord:
    return publish_geojson(store, tmp_path, "Claim blocks",
                    [("Block A", BLOCK_A), ("Block A2", BLOCK_A2), ("Block B", BLOCK_B)])


@pytest.fixture()
def drill_holes(store: Engine, tmp_path: Path) -> LayerRecord:
    east_2km = GEOD.fwd(-118.07, 41.7, 90.0, 2_000.0)[:2]
    east_8km = GEOD.fwd(-118.07, 41.7, 90.0, 8_000.0)[:2]
    return publish_geojson(store, tmp_path, "Drill holes",
                    [("DH-1", shapely.Point(*east_2km)), ("DH-2", shapely.Point(*east_8km)),
                     ("DH-3", shapely.Point(-115.0, 36.01))])


def _sample(store: Engine, tmp_path: Path, request: SampleRequest,
            who: Principal = OPEN_ACCESS) -> LayerSample:
    return sample_layer(store, request, tmp_path / "layer_files", principal=who)


def _by_id(sample: LayerSample) -> pd.DataFrame:
    return sample.rows.set_index("id")


def test_values_at_the_sites(store: Engine, raster: LayerRecord, tmp_path: Path) -> None:
    sample = _sample(store, tmp_path, SampleRequest(raster.id))
    rows = _by_id(sample)
    assert sorted(rows.index) == ["au-delta", "jp-gamma", "us-alpha", "us-beta", "us-xss"]
    assert rows.loc["us-alpha", "value"] == 30_193 == value_at(-118.07, 41.7)
    # no position, outside the grid (Texas, Japan), on the nodata pixel: no value
    assert rows.loc[["au-delta", "us-beta", "jp-gamma", "us-xss"], "value"].isna().all()
    assert list(sample.rows.columns) == ["id", "name", "lon", "lat", "marking", "value"]
    [row] = audit_rows(store, action="export").head(1).to_dict("records")
    assert row["target"] == f"layer {raster.id}" and row["records"] == 5
    assert row["marking"] == "public" and "Magnetics grid: values at sites" in row["detail"]


def test_values_at_deposits_follow_their_markings(store: Engine, raster: LayerRecord,
                                                  tmp_path: Path) -> None:
    points = deposit_points(store).set_index("name")
    two = int(points.loc["Deposit Two", "id"])
    set_marking(store, "deposit", str(two), "controlled", principal=OPEN_ACCESS)
    request = SampleRequest(raster.id, SampleAt.DEPOSITS)
    everything = _by_id(_sample(store, tmp_path, request))
    assert everything.loc[two, "value"] == 650_450 == value_at(-115.5, 35.5)
    assert everything.loc[int(points.loc["Deposit One", "id"]), "value"] == 300_400
    public = _sample(store, tmp_path, request, VIEWER)
    assert two not in set(public.rows["id"]) and len(public.rows) == 1
    assert public.marking == "public"
    assert audit_rows(store, action="export").iloc[1]["marking"] == "controlled"


def test_statistics_within_a_radius_match_numpy(store: Engine, raster: LayerRecord,
                                                tmp_path: Path) -> None:
    sample = _sample(store, tmp_path, SampleRequest(raster.id, radius_km=5.0))
    got = _by_id(sample).loc["us-alpha"]
    values = grid_values()
    rows, cols = np.mgrid[0:HEIGHT, 0:WIDTH]
    lons, lats = WEST + (cols + 0.5) * RES, NORTH - (rows + 0.5) * RES
    _, _, metres = GEOD.inv(np.full(lons.size, -118.07), np.full(lons.size, 41.7),
                            lons.ravel(), lats.ravel())
    near = metres.reshape(values.shape)
    # the circle is a 64-gon inside the true one: pixels at 0.999 r may fall either way
    surely, maybe = near <= 4_990, near <= 5_000
    assert surely.sum() <= got["count"] <= maybe.sum()
    assert values[maybe].min() <= got["min"] <= values[surely].min()
    assert values[surely].max() <= got["max"] <= values[maybe].max()
    assert got["mean"] == pytest.approx(values[surely].mean(dtype="float64"), rel=1e-3)
    assert got["pixel_size"] == pytest.approx(RES)
    xss = _by_id(sample).loc["us-xss"]  # its own pixel is nodata, its neighbours are not
    assert values[600, 500] == NODATA and xss["count"] > 0 and xss["min"] > 0
    assert _by_id(sample).loc[["jp-gamma", "au-delta"], "count"].tolist() == [0, 0]


def test_statistics_within_the_polygons_a_site_lies_in(store: Engine, raster: LayerRecord,
                                                       blocks: LayerRecord,
                                                       tmp_path: Path) -> None:
    sample = _sample(store, tmp_path, SampleRequest(raster.id, within=blocks.id))
    assert sample.within is not None and sample.within.id == blocks.id
    alpha = _by_id(sample).loc["us-alpha"]
    assert alpha["features"] == "Block A; Block A2"
    values = grid_values()
    rows, cols = np.mgrid[0:HEIGHT, 0:WIDTH]
    inside = shapely.contains_xy(shapely.union(BLOCK_A, BLOCK_A2),
                                 WEST + (cols + 0.5) * RES, NORTH - (rows + 0.5) * RES)
    assert alpha["count"] == inside.sum() > 0
    assert (alpha["min"], alpha["max"]) == (values[inside].min(), values[inside].max())
    assert alpha["mean"] == pytest.approx(values[inside].mean(dtype="float64"), rel=1e-12)
    beta = _by_id(sample).loc["us-beta"]
    assert beta["features"] == "" and beta["count"] == 0
    deposits = _sample(store, tmp_path, SampleRequest(raster.id, SampleAt.DEPOSITS,
                                                      within=blocks.id)).rows
    assert deposits.set_index("name").loc["Deposit One", "features"] == "Block B"


def test_statistics_for_each_polygon_match_numpy(store: Engine, raster: LayerRecord,
                                                 blocks: LayerRecord, tmp_path: Path) -> None:
    sample = _sample(store, tmp_path, SampleRequest(raster.id, SampleAt.POLYGONS,
                                                    within=blocks.id))
    rows = sample.rows.set_index("name")
    assert list(rows.index) == ["Block A", "Block A2", "Block B"]
    values = grid_values()
    rows_, cols = np.mgrid[0:HEIGHT, 0:WIDTH]
    for name, block in (("Block A", BLOCK_A), ("Block B", BLOCK_B)):
        inside = shapely.contains_xy(block, WEST + (cols + 0.5) * RES,
                                     NORTH - (rows_ + 0.5) * RES)
        got = rows.loc[name]
        assert got["count"] == inside.sum() > 0
        assert (got["min"], got["max"]) == (values[inside].min(), values[inside].max())
        assert got["mean"] == pytest.approx(values[inside].mean(dtype="float64"), rel=1e-12)
        assert shapely.contains_xy(block, got["lon"], got["lat"])  # a point inside it
    assert sample.file_name() == "magnetics-grid_at_polygons_in_claim-blocks.csv"
    with pytest.raises(InputError, match="need the layer of polygons"):
        _sample(store, tmp_path, SampleRequest(raster.id, SampleAt.POLYGONS))


def test_features_near_the_sites(store: Engine, drill_holes: LayerRecord,
                                 tmp_path: Path) -> None:
    sample = _sample(store, tmp_path, SampleRequest(drill_holes.id))  # 5 km by default
    rows = _by_id(sample)
    assert rows.loc["us-alpha", ["count", "features", "feature_ids"]].tolist() == \
        [1, "DH-1", "1"]
    assert rows.loc["us-xss", "features"] == "DH-3"  # 1.1 km north
    wider = _by_id(_sample(store, tmp_path, SampleRequest(drill_holes.id, distance_km=10)))
    assert wider.loc["us-alpha", "features"] == "DH-1; DH-2"
    assert wider.loc["au-delta", "count"] == 0


def test_a_marked_layer_answers_a_public_viewer_as_an_unknown_one(
        store: Engine, raster: LayerRecord, tmp_path: Path) -> None:
    set_marking(store, "layer", raster.id, "business-proprietary", principal=OPEN_ACCESS)
    with pytest.raises(NotFoundError) as refused:
        _sample(store, tmp_path, SampleRequest(raster.id), VIEWER)
    assert str(refused.value) == str(layer_not_found(raster.id))
    with pytest.raises(NotFoundError) as unknown:
        _sample(store, tmp_path, SampleRequest("no-such-layer"), VIEWER)
    assert str(refused.value).replace(raster.id, "X") == \
        str(unknown.value).replace("no-such-layer", "X")
    cleared = _sample(store, tmp_path, SampleRequest(raster.id), EDITOR)
    assert cleared.marking == "business-proprietary"
    assert audit_rows(store, action="export").iloc[0]["marking"] == "business-proprietary"
    text = cleared.csv().decode("utf-8")
    assert text.startswith("\ufeff# Handling marking: ") and "(business-proprietary)" in \
        text.splitlines()[0]
    back = pd.read_csv(io.StringIO(text.lstrip("\ufeff")), skiprows=1)
    assert back.set_index("id").loc["us-alpha", "value"] == 30_193


def test_a_marked_site_is_left_out(store: Engine, raster: LayerRecord, tmp_path: Path) -> None:
    set_marking(store, "site", "us-alpha", "controlled", principal=OPEN_ACCESS)
    public = _sample(store, tmp_path, SampleRequest(raster.id), VIEWER)
    assert "us-alpha" not in set(public.rows["id"]) and len(public.rows) == 4
    assert "us-alpha" in set(_sample(store, tmp_path, SampleRequest(raster.id)).rows["id"])


@pytest.mark.parametrize(("request_of", "words"), [
    (lambda r, v, b: SampleRequest(v, radius_km=2.0), "applies to raster layers"),
    (lambda r, v, b: SampleRequest(r, radius_km=-1.0), "cannot be used"),
    (lambda r, v, b: SampleRequest(r, radius_km=900.0), "up to 500 km"),
    (lambda r, v, b: SampleRequest(r, radius_km=3.0, within=b), "not both"),
    (lambda r, v, b: SampleRequest(r, within=v), "statistics are taken within polygons"),
    (lambda r, v, b: SampleRequest(r, within=r), "holds a raster"),
    (lambda r, v, b: SampleRequest(r, distance_km=3.0), "a distance applies to vector"),
    (lambda r, v, b: SampleRequest(v, distance_km=-2.0), "cannot be used"),
])
def test_requests_that_cannot_be_answered_say_why(
        store: Engine, raster: LayerRecord, drill_holes: LayerRecord, blocks: LayerRecord,
        tmp_path: Path, request_of: Callable[[str, str, str], SampleRequest],
        words: str) -> None:
    request = request_of(raster.id, drill_holes.id, blocks.id)
    with pytest.raises(InputError, match=words):
        _sample(store, tmp_path, request)


def test_the_command_line_prints_one_json_object(
        store: Engine, raster: LayerRecord, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["layers", "sample", raster.id, "--at", "sites", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["layer"] == {"id": raster.id, "name": "Magnetics grid", "kind": "raster"}
    assert body["mode"] == "value" and body["at"] == "sites" and body["marking"] == "public"
    values = {row["id"]: row["value"] for row in body["rows"]}
    assert values["us-alpha"] == 30_193 and values["au-delta"] is None
    assert main(["layers", "sample", raster.id, "--at", "deposits", "--radius-km", "3"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].startswith("Magnetics grid") and "Deposit One" in text
    assert audit_rows(store, action="export")["target"].tolist()[:2] == \
        [f"layer {raster.id}"] * 2


@pytest.mark.parametrize(("args", "words"), [
    (["nope", "--at", "sites"], "No survey layer has id 'nope'; `permitmap layers list`"),
    (["{raster}", "--at", "sites", "--radius-km", "-5"], "cannot be used"),
    (["{vector}", "--at", "sites", "--radius-km", "5"], "applies to raster layers"),
    (["{raster}", "--at", "sites", "--within", "nope"], "No survey layer has id 'nope'"),
])
def test_the_command_line_refuses_in_words(
        raster: LayerRecord, drill_holes: LayerRecord, capsys: pytest.CaptureFixture[str],
        args: list[str], words: str) -> None:
    filled = [a.format(raster=raster.id, vector=drill_holes.id) for a in args]
    assert main(["layers", "sample", *filled]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and words in error and "Traceback" not in error


def test_the_command_line_gives_a_row_per_polygon(
        raster: LayerRecord, blocks: LayerRecord, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["layers", "sample", raster.id, "--at", "polygons", "--within", blocks.id,
                 "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["at"] == "polygons" and body["within"]["id"] == blocks.id
    assert [row["name"] for row in body["rows"]] == ["Block A", "Block A2", "Block B"]
    assert all(row["count"] > 0 for row in body["rows"])
