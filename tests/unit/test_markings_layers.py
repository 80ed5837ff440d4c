"""Handling markings on survey layers, on the reading side, on SQLite and PostGIS: a vector and
a raster layer marked business-proprietary are, for a viewer of public clearance, not in the
catalog, the map's overlays or the layers page, and their features, tiles and downloads (every
format, the COG too) are answered as those of an unknown layer (404, the same words); an
account cleared for them gets all of it, each export stating the marking; an editor sets a
layer's marking on the layers page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from domain.access import OPEN_ACCESS, Principal, Role
from exports.export_file import ExportFormat
from mapping.access_state import forget_all
from mapping.store_access import engine
from mapping.web.routes import starlette_app
from services.publishing import LayerDetails, publish_upload
from store.accounts import add_account, new_token
from store.layer_repo import (
    LayerRecord,
    NewLayer,
    add_layers,
    get_layer,
    list_layers,
    visible_layers,
)
from store.markings import set_marking
from tests.support.app_pages import page_as
from tests.support.fixtures_data import write_data_dir
from tests.support.layer_files import write_magnetics_tif
from tests.support.layer_fixtures import sample_layer

MARKING = "business-proprietary"
ADMIN = Principal("ada", Role.ADMIN, "controlled")
EDITOR = Principal("ed", Role.EDITOR, MARKING)
VIEWER = Principal("vic", Role.VIEWER, "public")
PASSWORD = "correct horse battery"
TILE = "9/89/192"  # over the magnetics raster


@dataclass(frozen=True)
class Marked:
    engine: Engine
    vector: LayerRecord
    raster: LayerRecord
    open_vector: LayerRecord
    viewer_token: str
    editor_token: str


@pytest.fixture()
def marked(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[Marked]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PERMITMAP_DATA_DIR", str(write_data_dir(tmp_path / "data")))
    monkeypatch.setenv("PERMITMAP_LAYER_DIR", str(tmp_path / "layer_files"))
    forget_all()
    eng = engine()
    vector, open_vector = add_layers(eng, [_polygons("SECRET-CLAIMS-XYZ"),
                                           _polygons("Open claims")], principal=OPEN_ACCESS)
    files = tmp_path / "uploads"
    files.mkdir()
    path = write_magnetics_tif(files)
    [raster] = publish_upload(eng, path, path.name, LayerDetails("SECRET-MAGNETICS-XYZ", "bob"),
                              layer_dir=tmp_path / "layer_files", principal=OPEN_ACCESS)
    for record in (vector, raster):
        set_marking(eng, "layer", record.id, MARKING, principal=ADMIN)
    add_account(eng, "vic", "viewer", password=PASSWORD, actor="test")
    add_account(eng, "ed", "editor", MARKING, password=PASSWORD, actor="test")
    forget_all()
    yield Marked(eng, get_layer(eng, vector.id), get_layer(eng, raster.id), open_vector,
                 new_token(eng, "vic", "QGIS", actor="vic"),
                 new_token(eng, "ed", "QGIS", actor="ed"))
    forget_all()


def _polygons(name: str) -> NewLayer:
    """The sample layer's polygon only: a Shapefile holds one kind of geometry."""
    layer = sample_layer(name)
    assert layer.features is not None
    return replace(layer, features=layer.features.iloc[1:], feature_count=1)


def _get(client: TestClient, url: str, token: str) -> Any:
    return client.get(url, headers={"authorization": f"Bearer {token}"})


def _urls(m: Marked) -> list[tuple[str, str]]:
    """(layer id, URL) of everything a marked layer answers."""
    vector = [(m.vector.id, f"/api/layers/{m.vector.id}/features.geojson"),
              (m.vector.id, f"/api/layers/{m.vector.id}/features.geojson?bbox=-180,-90,180,90"),
              *((m.vector.id, f"/api/layers/{m.vector.id}/export?format={fmt.value}")
                for fmt in ExportFormat)]
    raster = [(m.raster.id, f"/tiles/{m.raster.id}/{TILE}.png"),
              (m.raster.id, f"/tiles/{m.raster.id}/0/0/0.png"),
              (m.raster.id, f"/api/layers/{m.raster.id}/export?format=tif"),
              (m.raster.id, f"/api/layers/{m.raster.id}/export"),
              # what would name the layer's kind must not answer either
              (m.raster.id, f"/api/layers/{m.raster.id}/features.geojson"),
              (m.vector.id, f"/tiles/{m.vector.id}/0/0/0.png"),
              (m.raster.id, f"/api/layers/{m.raster.id}/export?format=csv")]
    return vector + raster


def test_a_viewer_without_clearance_gets_what_an_unknown_layer_gets(marked: Marked) -> None:
    client = TestClient(starlette_app())
    for layer_id, url in _urls(marked):
        refused = _get(client, url, marked.viewer_token)
        unknown = _get(client, url.replace(layer_id, "no-such-layer"), marked.viewer_token)
        assert (refused.status_code, unknown.status_code) == (404, 404), url
        assert refused.json()["error"].replace(layer_id, "X") == \
            unknown.json()["error"].replace("no-such-layer", "X"), url
        assert b"SECRET" not in refused.content
    # the layer they may see still answers
    assert _get(client, f"/api/layers/{marked.open_vector.id}/features.geojson",
                marked.viewer_token).status_code == 200


def test_an_account_with_clearance_gets_everything_marked(marked: Marked) -> None:
    client = TestClient(starlette_app())
    for _layer_id, url in _urls(marked)[:-3]:
        response = _get(client, url, marked.editor_token)
        assert response.status_code == 200, (url, response.text)
    tile = _get(client, f"/tiles/{marked.raster.id}/{TILE}.png", marked.editor_token)
    assert tile.headers["cache-control"].startswith("private")


@pytest.mark.parametrize("fmt", [f.value for f in ExportFormat])
def test_each_export_of_a_marked_layer_states_its_marking(marked: Marked, fmt: str) -> None:
    client = TestClient(starlette_app())
    response = _get(client, f"/api/layers/{marked.vector.id}/export?format={fmt}",
                    marked.editor_token)
    assert response.status_code == 200, response.text
    if fmt == "csv":
        assert MARKING in response.content.decode().splitlines()[0]
    elif fmt == "geojson":
        body = json.loads(response.content)
        assert next(iter(body)) == "marking" and MARKING in json.dumps(body["marking"])
    public = _get(client, f"/api/layers/{marked.open_vector.id}/export?format={fmt}",
                  marked.editor_token)
    assert public.status_code == 200
    assert MARKING.encode() not in public.content


def test_the_catalog_and_the_overlays_leave_marked_layers_out(marked: Marked) -> None:
    from mapping.cached import cached_layers, shown_overlays

    everything = list_layers(marked.engine)
    assert len(everything) == 3
    assert [r.id for r in visible_layers(everything, VIEWER)] == [marked.open_vector.id]
    assert {r.id for r in visible_layers(everything, EDITOR)} == {r.id for r in everything}
    assert [r.id for r in cached_layers(VIEWER)] == [marked.open_vector.id]
    assert [o.id for o in shown_overlays(VIEWER)] == [marked.open_vector.id]
    assert len(shown_overlays(EDITOR)) == 3


def test_the_layers_page_lists_only_what_the_clearance_reaches_and_an_editor_marks(
        marked: Marked, monkeypatch: pytest.MonkeyPatch) -> None:

    def page(who: Principal) -> Any:
        return page_as(monkeypatch, who, "pages/layers_page.py")

    def names(at: Any) -> str:
        return " ".join(e.label for e in at.expander)

    viewer = page(VIEWER)
    assert "SECRET" not in names(viewer) and "Open claims" in names(viewer)
    assert "Save marking" not in {b.label for b in viewer.button}
    editor = page(EDITOR)
    assert "SECRET-CLAIMS-XYZ" in names(editor) and "SECRET-MAGNETICS-XYZ" in names(editor)
    # the editor marks the open layer controlled: above their own clearance, so it leaves
    # their list too; the change is audited by the store
    index = [e.label for e in editor.expander].index(
        next(e.label for e in editor.expander if "Open claims" in e.label))
    editor.expander[index].selectbox[0].set_value("controlled")
    form_buttons = [b for b in editor.expander[index].button if b.label == "Save marking"]
    form_buttons[0].click().run()
    assert not editor.exception, editor.exception
    assert get_layer(marked.engine, marked.open_vector.id).marking == "controlled"
    assert "Open claims" not in names(page(EDITOR))


def test_a_refused_marking_on_the_page_is_a_plain_message(
        marked: Marked, monkeypatch: pytest.MonkeyPatch) -> None:


    class Stale(Principal):
        """A page drawn for an editor whose role was lowered since: the store refuses."""

        def may(self, action: Any) -> bool:
            return True

        def require(self, action: Any) -> None:
            Principal(self.name, self.role, self.clearance, self.kind).require(action)

    who = Stale("vic", Role.VIEWER, "controlled")
    at = page_as(monkeypatch, who, "pages/layers_page.py")
    save = next(b for b in at.button if b.label == "Save marking")
    save.click().run()
    assert not at.exception
    assert any("that needs the editor role" in e.value for e in at.error)


def test_uploading_a_marked_layer_s_file_again_names_nothing(marked: Marked) -> None:
    from store.errors import DuplicateUpload

    lower = Principal("pat", Role.EDITOR, "public")
    with pytest.raises(DuplicateUpload) as refused:
        add_layers(marked.engine, [_polygons("SECRET-CLAIMS-XYZ")], principal=lower)
    said = str(refused.value)
    assert "marked above your clearance" in said
    assert "SECRET" not in said and marked.vector.uploaded_by not in said
    with pytest.raises(DuplicateUpload, match="'SECRET-CLAIMS-XYZ', uploaded by"):
        add_layers(marked.engine, [_polygons("SECRET-CLAIMS-XYZ")], principal=EDITOR)
