"""The survey layer catalog in the store (SQLite and PostgreSQL): add, refuse, edit, delete."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import shapely

from domain.access import OPEN_ACCESS
from domain.bbox import BBox
from domain.errors import InputError, NotFoundError
from store.errors import DuplicateUpload
from store.layer_repo import (
    NewLayer,
    add_layers,
    count_features,
    delete_layer,
    get_layer,
    layer_features,
    layer_revision,
    list_layers,
    update_layer,
)
from store.startup import ensure_store
from tests.support.fixtures_data import write_data_dir


@pytest.fixture()
def engine(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    return ensure_store(database_url, write_data_dir(tmp_path / "data"))


def _features(geometries: list, properties: list[dict]) -> pd.DataFrame:
    boxes = shapely.bounds(geometries)
    return pd.DataFrame({
        "geometry": shapely.to_wkb(geometries), "properties": [json.dumps(p) for p in properties],
        "min_lon": boxes[:, 0], "min_lat": boxes[:, 1], "max_lon": boxes[:, 2],
        "max_lat": boxes[:, 3]})


def _layer(checksum: str = "c" * 64, **changes) -> NewLayer:  # type: ignore[no-untyped-def]
    geometries = [shapely.Point(139.7, 35.7), shapely.box(-117.0, 41.0, -116.5, 41.5)]
    values = dict(name="秋田 claims", kind="vector", uploaded_by="alice",
                  original_filename="claims.gpkg", checksum=checksum, source_layer="claims",
                  geometry_type="Polygon", feature_count=2, bounds=(-117.0, 35.7, 139.7, 41.5),
                  surveyed_on=date(2026, 5, 1), style={"colour": "#1b9e77"},
                  features=_features(geometries, [{"名前": "鉱区 1", "ha": 12.5},
                                                  {"名前": None, "ha": 3}]))
    values.update(changes)
    return NewLayer(**values)  # type: ignore[arg-type]


def test_a_layer_is_stored_with_its_features_and_metadata(engine) -> None:  # type: ignore[no-untyped-def]
    before = layer_revision(engine)
    [record] = add_layers(engine, [_layer()], principal=OPEN_ACCESS)
    assert record.id.startswith("claims-") and record.name == "秋田 claims"
    assert record.surveyed_on == date(2026, 5, 1) and record.style == {"colour": "#1b9e77"}
    assert record.bounds == (-117.0, 35.7, 139.7, 41.5) and record.uploaded_at.tzinfo
    assert layer_revision(engine) == before + 1
    rows = layer_features(engine, record.id)
    assert rows["feature_no"].tolist() == [1, 2]
    assert shapely.from_wkb(rows["geometry"][1]).equals(shapely.box(-117.0, 41.0, -116.5, 41.5))
    assert json.loads(rows["properties"][0]) == {"名前": "鉱区 1", "ha": 12.5}
    # only the features whose box meets the view
    assert layer_features(engine, record.id, BBox(130, 30, 145, 40))["feature_no"].tolist() == [1]


def test_features_per_view_across_the_180th_meridian_and_with_heights(engine) -> None:  # type: ignore[no-untyped-def]
    """Fiji's survey on both sides of 180°, a point with a height: each view gets the features
    its box meets, on SQLite by the stored boxes and on PostGIS by the GiST index too."""
    geometries = [shapely.Point(179.5, -17.0, 120.0), shapely.Point(-179.6, -16.8),
                  shapely.box(178.0, -19.0, 178.5, -18.5), shapely.Point(10.0, 10.0)]
    layer = _layer(checksum="f" * 64, geometry_type="Point", feature_count=4,
                   bounds=(-180.0, -19.0, 180.0, 10.0),
                   features=_features(geometries, [{"n": i} for i in range(4)]))
    [record] = add_layers(engine, [layer], principal=OPEN_ACCESS)
    def numbers(box: BBox) -> list[int]:
        return layer_features(engine, record.id, box)["feature_no"].tolist()

    assert numbers(BBox(179, -18, -179, -16)) == [1, 2]
    assert numbers(BBox(177.9, -19.5, 178.1, -18.9)) == [3]
    assert numbers(BBox(-10, -10, 5, 5)) == []
    assert numbers(BBox(-180, -90, 180, 90)) == [1, 2, 3, 4]
    assert shapely.from_wkb(layer_features(engine, record.id)["geometry"][0]).has_z
    if engine.dialect.name == "postgresql":
        from sqlalchemy import text

        with engine.connect() as connection:
            dims = connection.execute(text(
                "SELECT ST_NDims(geom), ST_SRID(geom) FROM survey_features "
                "WHERE layer_id = :id ORDER BY feature_no"), {"id": record.id}).all()
        assert dims[0] == (2, 4326)

def test_the_same_layer_twice_is_refused_and_nothing_is_added(engine) -> None:  # type: ignore[no-untyped-def]
    add_layers(engine, [_layer()], principal=OPEN_ACCESS)
    with pytest.raises(DuplicateUpload, match=r"published before.*alice"):
        add_layers(engine, [_layer(source_layer="other"), _layer()], principal=OPEN_ACCESS)
    assert len(list_layers(engine)) == 1
    # another layer of the same file (a GeoPackage's second table) is welcome
    add_layers(engine, [_layer(source_layer="other")], principal=OPEN_ACCESS)
    assert len(list_layers(engine)) == 2


def test_publishing_from_two_processes_at_once_counts_both(engine) -> None:  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda n: add_layers(engine, [_layer(checksum=f"{n:064d}")],
                                           principal=OPEN_ACCESS), range(8)))
    assert layer_revision(engine) == 8 and len(list_layers(engine)) == 8


def test_a_failure_while_placing_files_stores_nothing(engine) -> None:  # type: ignore[no-untyped-def]
    def fail(_ids: list[str]) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        add_layers(engine, [_layer(), _layer(source_layer="b")], place_files=fail,
                   principal=OPEN_ACCESS)
    assert list_layers(engine) == []
    assert layer_revision(engine) == 0


def test_rename_hide_restyle_and_delete(engine) -> None:  # type: ignore[no-untyped-def]
    [record] = add_layers(engine, [_layer()], principal=OPEN_ACCESS)
    renamed = update_layer(engine, record.id, name="  Claims 2026 ", hidden=True,
                           style={"colour": "#000000"}, principal=OPEN_ACCESS)
    assert (renamed.name, renamed.hidden, renamed.style) == ("Claims 2026", True,
                                                             {"colour": "#000000"})
    assert renamed.version == record.version + 1
    assert list_layers(engine, include_hidden=False) == []
    with pytest.raises(InputError, match="needs a name"):
        update_layer(engine, record.id, name="  ", principal=OPEN_ACCESS)
    delete_layer(engine, record.id, principal=OPEN_ACCESS)
    assert count_features(engine, record.id) == 0
    with pytest.raises(NotFoundError, match="No survey layer"):
        get_layer(engine, record.id)
