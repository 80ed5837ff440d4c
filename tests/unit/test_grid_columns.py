"""Survey-grid values as columns of a site export (``services.grid_columns``): from the
service, the command line (``permitmap export sites --grid``) and the URL
(``/api/sites.csv?grid=``); values checked against the grid as written, markings raised and
audited, refusals in words."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
import shapely
from sqlalchemy import Engine
from starlette.testclient import TestClient

from commands.main import main
from domain.access import OPEN_ACCESS, Principal, Role
from domain.errors import InputError, NotFoundError
from mapping.web.routes import starlette_app
from services.grid_columns import parse_grid_ids
from services.site_export import site_export
from sites.selection import parse_selection
from store.audit import audit_rows
from store.layer_repo import LayerRecord, layer_not_found
from store.markings import set_marking
from tests.support.sample_store import sample_engine, use_sample_store
from tests.support.survey_grids import publish_geojson, publish_grid, value_at

VIEWER = Principal("vic", Role.VIEWER, "public")
EDITOR = Principal("ed", Role.EDITOR, "business-proprietary")
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    use_sample_store(tmp_path, monkeypatch, "grids.db")
    return sample_engine(tmp_path, "grids.db")


@pytest.fixture()
def grid(store: Engine, tmp_path: Path) -> LayerRecord:
    return publish_grid(store, tmp_path)


def _export(store: Engine, tmp_path: Path, grids: list[str],
            who: Principal = OPEN_ACCESS) -> pd.DataFrame:
    today = date.today()
    features = site_export(store, parse_selection({}, today, ()), today, NOW, principal=who,
                           detail="csv", grids=grids, layer_dir=tmp_path / "layer_files")
    return features.columns.set_index("id")


def test_each_grid_is_a_column_of_values_at_the_sites(store: Engine, grid: LayerRecord,
                                                      tmp_path: Path) -> None:
    plain = _export(store, tmp_path, [])
    rows = _export(store, tmp_path, [grid.id])
    assert list(rows.columns) == [*plain.columns, "grid_magnetics_grid"]
    assert rows.loc["us-alpha", "grid_magnetics_grid"] == 30_193 == value_at(-118.07, 41.7)
    # no position (au-delta), outside the grid (us-beta, jp-gamma), the no-data pixel (us-xss)
    assert rows.loc[["au-delta", "us-beta", "jp-gamma", "us-xss"],
                    "grid_magnetics_grid"].isna().all()
    assert (rows["marking"] == "public").all()
    detail = audit_rows(store, action="export").iloc[0]["detail"]
    assert detail == "csv; grids: Magnetics grid"


def test_two_grids_of_one_name_get_two_columns(store: Engine, grid: LayerRecord,
                                               tmp_path: Path) -> None:
    twin = publish_grid(store, tmp_path, "Magnetics grid!", factor=2)
    rows = _export(store, tmp_path, [grid.id, twin.id])
    second = f"grid_{twin.id}".replace("-", "_")
    assert rows.loc["us-alpha", ["grid_magnetics_grid", second]].tolist() == [30_193, 60_386]


def test_a_marked_grid_marks_the_rows_and_hides_from_a_viewer(
        store: Engine, grid: LayerRecord, tmp_path: Path) -> None:
    set_marking(store, "layer", grid.id, "business-proprietary", principal=OPEN_ACCESS)
    with pytest.raises(NotFoundError) as refused:
        _export(store, tmp_path, [grid.id], VIEWER)
    assert str(refused.value) == str(layer_not_found(grid.id))
    rows = _export(store, tmp_path, [grid.id], EDITOR)
    assert (rows["marking"] == "business-proprietary").all()
    assert audit_rows(store, action="export").iloc[0]["marking"] == "business-proprietary"


def test_a_vector_layer_or_too_many_grids_are_refused_in_words(
        store: Engine, grid: LayerRecord, tmp_path: Path) -> None:
    holes = publish_geojson(store, tmp_path, "Drill holes", [("DH-1", shapely.Point(-118, 41))])
    with pytest.raises(InputError, match="holds vector features, not a grid of values"):
        _export(store, tmp_path, [holes.id])
    with pytest.raises(InputError, match="takes up to 10"):
        parse_grid_ids(",".join(f"g{n}" for n in range(11)))
    assert audit_rows(store, action="export").empty  # nothing left


def test_the_command_line_adds_the_column(store: Engine, grid: LayerRecord, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sites.csv"
    assert main(["export", "sites", "--format", "csv", "--grid", grid.id,
                 "--out", str(out)]) == 0
    table = pd.read_csv(io.StringIO(out.read_text("utf-8-sig")), comment="#")
    assert table.set_index("id").loc["us-alpha", "grid_magnetics_grid"] == 30_193
    assert main(["export", "sites", "--format", "csv", "--grid", "nope",
                 "--out", str(out)]) == 1
    assert "No survey layer with id 'nope'" in capsys.readouterr().err


def test_the_url_adds_the_column_and_the_pack_refuses_it(
        store: Engine, grid: LayerRecord) -> None:
    client = TestClient(starlette_app())
    response = client.get(f"/api/sites.csv?country=united%20states&grid={grid.id}")
    assert response.status_code == 200, response.text
    table = pd.read_csv(io.StringIO(response.content.decode("utf-8-sig")), comment="#")
    assert sorted(table["id"]) == ["us-alpha", "us-beta", "us-xss"]
    assert table.set_index("id").loc["us-alpha", "grid_magnetics_grid"] == 30_193
    geojson = client.get(f"/api/sites.geojson?grid={grid.id}").json()
    alpha = next(f for f in geojson["features"] if f["id"] == "us-alpha")
    assert alpha["properties"]["grid_magnetics_grid"] == 30_193
    beta = next(f for f in geojson["features"] if f["id"] == "us-beta")
    assert beta["properties"]["grid_magnetics_grid"] is None
    refused = client.get(f"/api/briefing.zip?grid={grid.id}")
    assert refused.status_code == 400 and "does not take it" in refused.text
