"""AppTest: the Survey layers page's "Values at the sites" (a raster) and "Features near the
sites" (a vector layer): read only when switched on, the table, a radius, the audited CSV."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.transform import from_origin
from streamlit.testing.v1 import AppTest

from domain.access import OPEN_ACCESS
from mapping import state_keys as keys
from services.publishing import LayerDetails, publish_upload
from store.audit import audit_rows
from store.layer_repo import LayerRecord
from tests.support.sample_store import sample_engine, use_sample_store

MAIN = str(Path(__file__).resolve().parents[2] / "mapping" / "main.py")


@pytest.fixture(autouse=True)
def sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sample_store(tmp_path, monkeypatch, "app.db")


def _publish(tmp_path: Path, path: Path, name: str) -> LayerRecord:
    [record] = publish_upload(sample_engine(tmp_path, "app.db"), path, path.name,
                              LayerDetails(name, "bob"), layer_dir=tmp_path / "layer_files",
                              principal=OPEN_ACCESS)
    return record


def _raster(tmp_path: Path) -> LayerRecord:
    """0.01° pixels over Nevada and Oregon holding row * 1000 + column; site us-alpha
    (41.7 N, 118.07 W) is the centre of row 30, column 193."""
    rows, cols = np.mgrid[0:801, 0:601]
    path = tmp_path / "grid.tif"
    profile = {"driver": "GTiff", "width": 601, "height": 801, "count": 1, "dtype": "float32",
               "crs": "EPSG:4326", "nodata": -9999.0,
               "transform": from_origin(-120.005, 42.005, 0.01, 0.01)}
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write((rows * 1000 + cols).astype("float32"), 1)
    return _publish(tmp_path, path, "Magnetics grid")


def _catalog() -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=90).run()
    at.switch_page("pages/layers_page.py").run()
    assert not at.exception, at.exception
    return at


def _table(at: AppTest) -> pd.DataFrame:
    [frame] = [d.value for d in at.dataframe if "Name" in d.value.columns]
    return frame.set_index("Id")


def test_values_at_the_sites_with_a_radius_and_an_audited_download(tmp_path: Path) -> None:
    record = _raster(tmp_path)
    at = _catalog()
    assert any(m.value == "**Values at the sites**" for m in at.markdown)
    assert not [d for d in at.dataframe if "Name" in d.value.columns]  # nothing read yet
    at.toggle(key=keys.layer_key(record.id, keys.SAMPLE_SHOW, record.version)).set_value(True)
    at.run()
    assert not at.exception, at.exception
    table = _table(at)
    assert table.loc["us-alpha", "Value"] == 30_193
    assert pd.isna(table.loc["jp-gamma", "Value"])  # outside the grid
    at.number_input(key=keys.layer_key(record.id, keys.SAMPLE_RADIUS, record.version)) \
        .set_value(5.0).run()
    assert not at.exception, at.exception
    table = _table(at)
    assert {"Min", "Max", "Mean", "Valid pixels", "Pixel size"} <= set(table.columns)
    assert table.loc["us-alpha", "Valid pixels"] > 50
    assert table.loc["us-alpha", "Min"] < 30_193 < table.loc["us-alpha", "Max"]
    engine = sample_engine(tmp_path, "app.db")
    before = len(audit_rows(engine, action="export"))
    [download] = at.download_button
    download.click().run()
    assert not at.exception, at.exception
    exports = audit_rows(engine, action="export")
    assert len(exports) == before + 1
    assert exports.iloc[0]["detail"] == "Magnetics grid: within 5 km at sites (CSV download)"
    assert exports.iloc[0]["records"] == 5


def test_features_near_the_sites(tmp_path: Path) -> None:
    path = tmp_path / "holes.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "DH-7"},
         "geometry": {"type": "Point", "coordinates": [-118.06, 41.71]}}]}), encoding="utf-8")
    record = _publish(tmp_path, path, "Drill holes")
    at = _catalog()
    assert any(m.value == "**Features near the sites**" for m in at.markdown)
    at.toggle(key=keys.layer_key(record.id, keys.SAMPLE_SHOW, record.version)).set_value(True)
    at.run()
    assert not at.exception, at.exception
    table = _table(at)
    assert table.loc["us-alpha", "Features"] == "DH-7"  # 1.4 km away
    assert table.loc["us-beta", "Features"] == ""
    at.number_input(key=keys.layer_key(record.id, keys.SAMPLE_DISTANCE, record.version)) \
        .set_value(1.0).run()
    assert _table(at).loc["us-alpha", "Features"] == ""
