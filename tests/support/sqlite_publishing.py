"""Publishing into a throwaway SQLite store, and reading back what the routes serve: for the
upload tests that check a file class end to end (pre-flight, publish, drawn)."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from domain.access import OPEN_ACCESS
from layers.vector_read import VectorOptions
from mapping.web.routes import starlette_app
from services.publishing import LayerDetails, publish_upload
from store.layer_repo import LayerRecord
from store.startup import ensure_store
from tests.support.fixtures_data import write_data_dir

DETAILS = LayerDetails(name="Survey", uploaded_by="alice")


def sqlite_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """A SQLite store with the settings pointing at it; ``files`` is a folder for uploads."""
    url = f"sqlite:///{tmp_path / 'store' / 'permitmap.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PERMITMAP_DATA_DIR", str(write_data_dir(tmp_path / "data")))
    monkeypatch.setenv("PERMITMAP_LAYER_DIR", str(tmp_path / "layer_files"))
    engine = ensure_store(url, tmp_path / "data")
    files = tmp_path / "uploads"
    files.mkdir()
    return {"engine": engine, "layer_dir": tmp_path / "layer_files", "files": files}


def publish(setting: dict, path: Path, options: VectorOptions | None = None) -> list[LayerRecord]:
    """Publish ``path`` with open access, as the upload page would."""
    return publish_upload(setting["engine"], path, path.name, DETAILS, options=options,
                          layer_dir=setting["layer_dir"], principal=OPEN_ACCESS)


def drawn_features(record: LayerRecord) -> list[dict]:
    """The features the map receives for a vector layer."""
    response = TestClient(starlette_app()).get(f"/api/layers/{record.id}/features.geojson")
    assert response.status_code == 200, response.text
    features: list[dict] = response.json()["features"]
    return features
