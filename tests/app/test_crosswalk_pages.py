"""AppTest: the cross-walk page lists the links with how each was found and saves an editor's
decisions; a site's panel lists the records of its place."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely
from streamlit.testing.v1 import AppTest

from domain.access import OPEN_ACCESS
from services.crosswalk import refresh_crosswalk
from store.crosswalk_repo import CONFIRMED, stored_links
from tests.support.sample_store import crosswalk_store
from tests.support.survey_grids import publish_geojson

MAIN = str(Path(__file__).resolve().parents[2] / "mapping" / "main.py")


@pytest.fixture()
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    return crosswalk_store(tmp_path, monkeypatch)


def test_the_page_lists_the_links_and_saves_a_decision(engine) -> None:  # type: ignore[no-untyped-def]
    links = stored_links(engine)
    assert len(links) >= 1
    at = AppTest.from_file(MAIN, default_timeout=60).run()
    at.switch_page("pages/crosswalk_page.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    row = table[table["a"].str.contains("us-one")]
    assert len(row) == 1 and row["b"].iloc[0].startswith("deposit Deposit One")
    assert row["method"].iloc[0] == "name and distance"
    link_id = int(row["id"].iloc[0])
    at.session_state["crosswalk_editor"] = {
        "edited_rows": {int(row.index[0]): {"decision": CONFIRMED}},
        "added_rows": [], "deleted_rows": []}
    at.run()
    save = next(b for b in at.button if b.label.startswith("Save 1 decision"))
    save.click().run()
    assert not at.exception
    stored = stored_links(engine).set_index("id")
    assert stored.loc[link_id, "status"] == CONFIRMED


def test_a_sites_panel_lists_the_records_of_its_place(engine) -> None:  # type: ignore[no-untyped-def]
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.query_params["site"] = "us-one"
    at.run()
    assert not at.exception
    records = next(e for e in at.expander if e.label.startswith("Records of this place"))
    text = "\n".join(m.value for m in records.markdown)
    assert "deposit **Deposit One**" in text and "possibly the same place" in text


def test_links_to_projects_and_polygons_are_listed_by_kind(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    publish_geojson(engine, tmp_path, "Claim blocks",
                    [("Block A", shapely.box(-118.2, 41.6, -117.9, 41.8))])  # holds us-alpha
    refresh_crosswalk(engine, principal=OPEN_ACCESS)
    at = AppTest.from_file(MAIN, default_timeout=60).run()
    at.switch_page("pages/crosswalk_page.py").run()
    at.segmented_control(key="crosswalk_status").set_value("all").run()
    at.selectbox(key="crosswalk_kind").set_value("feature").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 1 and table["b"].iloc[0].startswith("feature Claim blocks (")
    assert table["a"].iloc[0] == "site Alpha Lithium (us-alpha)"
    at.selectbox(key="crosswalk_kind").set_value("project").run()
    projects = at.dataframe[0].value
    assert set(projects["a"]) == {"site Alpha Lithium (us-alpha)",
                                  "site Beta Rare Earths (us-beta)"}
    assert set(projects["decided_by"]) == {"permits import"}

    panel = AppTest.from_file(MAIN, default_timeout=60)
    panel.query_params["site"] = "us-alpha"
    panel.run()
    records = next(e for e in panel.expander if e.label.startswith("Records of this place"))
    text = "\n".join(m.value for m in records.markdown)
    assert "lies within Block A of survey layer Claim blocks" in text
    assert "permitting project **Alpha Lithium Mine**" in text
