"""The cross-walk's permitting-project and survey-polygon links: the links a permits import
made (decided by it), "name only" candidates for the projects it left without a site, a
decision that moves a project and survives re-imports, and sites within a layer's polygons
(named and marked as their layer)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import shapely
from sqlalchemy import Engine

from commands.main import main
from domain.access import OPEN_ACCESS, Principal, Role
from domain.crosswalk import IMPORTED_BY, NAME_DISTANCE, NAME_ONLY, SAME_ID, WITHIN
from services.crosswalk import refresh_crosswalk
from store.crosswalk_repo import CONFIRMED, REJECTED, decide, place_links, stored_links
from store.layer_repo import delete_layer
from store.markings import set_marking
from store.permits_repo import load_changes, load_permit_data, unlinked_reasons
from tests.support.sample_store import sample_engine, use_sample_store
from tests.support.survey_grids import publish_geojson
from tests.unit.test_dashboard_import import STIBNITE, THACKER, content, write_csv

EDITOR = Principal("edna", Role.EDITOR)
# Thacker's rows renamed and placed 1 km from the sample site "Alpha Lithium" (41.7, -118.07);
# Stibnite's named like the sample site "Gamma Magnet Works" (Japan) but in Idaho.
ALPHA = THACKER | {"project_title": "Alpha Lithium Mine Project",
                   "project_latlong": (41.709, -118.07)}
GAMMA = STIBNITE | {"project_title": "Gamma Magnet Works Project"}


@pytest.fixture()
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    use_sample_store(tmp_path, monkeypatch, "projects.db")
    return sample_engine(tmp_path, "projects.db")


def _import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    rows = [row | (ALPHA if row["project_id"] == "102" else GAMMA) for row in content()]
    assert main(["permits", "import", str(write_csv(tmp_path / "dashboard.csv", rows))]) == 0
    return capsys.readouterr().out


def _link(engine: Engine, site: str, project: str) -> pd.Series:
    links = stored_links(engine)
    return links[(links["a_key"] == site) & (links["b_key"] == project)].iloc[0]


def _site_of(engine: Engine, project: str) -> str:
    return str(load_permit_data(engine).projects.set_index("project_id").at[project, "site_id"])


def test_the_imports_links_are_decided_and_an_unlinked_project_gets_a_candidate(
        engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _import(tmp_path, capsys)
    assert "fpd-101 'Gamma Magnet Works Project': similar name" in out  # left unlinked
    refresh_crosswalk(engine, principal=OPEN_ACCESS)
    alpha = _link(engine, "us-alpha", "fpd-102")
    assert (alpha["method"], alpha["status"], alpha["decided_by"]) == \
        (NAME_DISTANCE, CONFIRMED, IMPORTED_BY)
    assert alpha["score"] >= 0.8 and "1.0 km apart" in alpha["detail"]
    sample = _link(engine, "us-beta", "pm-beta")  # the bundled record names its site
    assert (sample["method"], sample["status"], sample["score"]) == (SAME_ID, CONFIRMED, 1.0)
    gamma = _link(engine, "jp-gamma", "fpd-101")
    assert (gamma["method"], gamma["status"]) == (NAME_ONLY, "candidate")
    assert 0.4 <= gamma["score"] <= 0.5 and "not linked by the import" in gamma["detail"]
    assert "fpd-101" in unlinked_reasons(engine)

    decide(engine, int(gamma["id"]), CONFIRMED, principal=EDITOR)
    assert _site_of(engine, "fpd-101") == "jp-gamma"
    moved = load_changes(engine, ["fpd-101"])
    moved = moved[moved["field"] == "site_id"]
    assert moved[["before", "after", "who"]].values.tolist() == [["", "jp-gamma", "edna"]]
    assert "fpd-101" not in unlinked_reasons(engine)
    _import(tmp_path, capsys)  # the file again: the confirmed link holds
    assert _site_of(engine, "fpd-101") == "jp-gamma"
    refresh_crosswalk(engine, principal=OPEN_ACCESS)
    assert _link(engine, "jp-gamma", "fpd-101")["status"] == CONFIRMED


def test_a_rejected_import_link_takes_the_project_off_the_site_for_good(
        engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _import(tmp_path, capsys)
    refresh_crosswalk(engine, principal=OPEN_ACCESS)
    decide(engine, int(_link(engine, "us-alpha", "fpd-102")["id"]), REJECTED, principal=EDITOR)
    assert _site_of(engine, "fpd-102") == ""
    out = _import(tmp_path, capsys)
    assert "fpd-102 'Alpha Lithium Mine Project': the cross-walk says it is not us-alpha" in out
    assert _site_of(engine, "fpd-102") == ""
    refresh_crosswalk(engine, principal=OPEN_ACCESS)
    again = _link(engine, "us-alpha", "fpd-102")
    assert (again["status"], again["decided_by"]) == (REJECTED, "edna")  # not reopened


def test_sites_within_a_layers_polygons_are_linked_to_them(
        engine: Engine, tmp_path: Path) -> None:
    none_yet = place_links(engine)
    assert none_yet.empty and list(none_yet.columns[-2:]) == ["b_name", "b_marking"]
    blocks = publish_geojson(engine, tmp_path, "Claim blocks", [
        ("Block A", shapely.box(-118.2, 41.6, -117.9, 41.8)),  # holds us-alpha
        ("Block B", shapely.box(-116.1, 38.9, -115.9, 39.1))])  # holds deposit D1
    refresh_crosswalk(engine, principal=OPEN_ACCESS)
    links = stored_links(engine)
    within = links[links["method"] == WITHIN].sort_values("b_key")
    assert within[["a_kind", "a_key", "b_key"]].values.tolist() == [
        ["site", "us-alpha", f"{blocks.id}/1"],
        ["deposit", "permitmap-curated/D1", f"{blocks.id}/2"]]
    assert within.iloc[0]["detail"] == "lies within Block A of survey layer Claim blocks"
    listed = place_links(engine).set_index("b_key").loc[f"{blocks.id}/1"]
    assert (listed["b_name"], listed["b_marking"]) == ("Claim blocks", "public")
    set_marking(engine, "layer", blocks.id, "business-proprietary", principal=OPEN_ACCESS)
    assert place_links(engine).set_index("b_key").at[f"{blocks.id}/1", "b_marking"] == \
        "business-proprietary"
    delete_layer(engine, blocks.id, principal=OPEN_ACCESS)
    assert not place_links(engine)["b_key"].str.startswith(blocks.id).any()
