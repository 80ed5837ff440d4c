"""AppTest: every page runs without exception; filters change the result; links restore state."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sites.filters import SiteFilter
from sites.selection import PARAMETERS, SiteSelection, parse_selection
from tests.support.fixtures_data import SAMPLE_SITES, XSS_NAME
from tests.support.sample_store import use_sample_store

MAIN = str(Path(__file__).resolve().parents[2] / "mapping" / "main.py")


@pytest.fixture(autouse=True)
def sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sample_store(tmp_path, monkeypatch, "app.db")


def _run(**query: str) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def _summary(at: AppTest) -> str:
    """The map page's counts, after its title on the one header line."""
    line = next(m.value for m in at.markdown if "sites**" in m.value)
    return line.split(" · ", 1)[1]


def test_map_page_runs_and_counts_sites() -> None:
    at = _run()
    assert not at.exception
    assert _summary(at).startswith(f"**{len(SAMPLE_SITES)} of {len(SAMPLE_SITES)} sites**")
    assert "without a known location" in _summary(at)  # the unlocated sample site


def test_commodity_filter_changes_the_result() -> None:
    at = _run()
    at.multiselect(key="f_commodity").set_value(["Nd"]).run()
    assert not at.exception
    assert _summary(at).startswith(f"**2 of {len(SAMPLE_SITES)} sites**")
    assert at.query_params["commodity"] == "Nd"


def test_search_and_empty_result_message() -> None:
    at = _run()
    at.text_input(key="f_search").set_value("gamma").run()
    assert _summary(at).startswith("**1 of")
    at.multiselect(key="f_country").set_value(["United States"]).run()
    assert not at.exception
    assert _summary(at).startswith("**0 of")
    assert any("No site matches" in w.value and "clear a filter" in w.value for w in at.warning)


def test_jointly_selected_filter() -> None:
    at = _run()
    at.checkbox(key="f_joint").check().run()
    assert _summary(at).startswith("**1 of")


def test_shared_link_restores_filters_and_selected_site() -> None:
    at = _run(stage="permanent magnet", site="jp-gamma")
    assert not at.exception
    assert at.multiselect(key="f_stage").value == ["permanent magnet"]
    assert _summary(at).startswith("**1 of")
    assert any(h.value == "Gamma Magnet Works" for h in at.subheader)


def test_detail_panel_shows_hostile_text_as_text() -> None:
    at = _run(site="us-xss")
    assert any(h.value == XSS_NAME for h in at.subheader)
    operator = next(m.value for m in at.markdown if m.value.startswith("**Operator:**"))
    # every markdown/HTML character is backslash-escaped: shown literally, never as HTML
    assert operator == "**Operator:** \\<img src\\=x onerror\\=alert\\(1\\)\\>"


def test_unknown_site_in_link_says_so() -> None:
    at = _run(site="no-such-site")
    assert not at.exception
    assert any("no longer in the store" in w.value for w in at.warning)


def test_data_page_runs() -> None:
    at = _run()
    at.switch_page("pages/data_page.py").run()
    assert not at.exception
    assert any(m.label == "Sites" and m.value == str(len(SAMPLE_SITES)) for m in at.metric)


def test_new_data_shows_on_the_next_run() -> None:
    """Caches key on the data revision: a change by any process reaches the page."""
    from sqlalchemy.orm import Session

    from domain.settings import load_settings
    from store.records import upsert_sites
    from store.startup import ensure_store
    from tests.support.fixtures_data import site_row

    at = _run()
    assert _summary(at).startswith(f"**{len(SAMPLE_SITES)} of {len(SAMPLE_SITES)} sites**")
    settings = load_settings()
    engine = ensure_store(settings.database_url, settings.data_dir)
    with Session(engine) as session, session.begin():
        upsert_sites(session, [site_row("us-new", "New Site", jointly_selected=None)])
    at.run()
    total = len(SAMPLE_SITES) + 1
    assert _summary(at).startswith(f"**{total} of {total} sites**")


def test_a_site_hidden_by_the_filters_is_deselected() -> None:
    at = _run(site="jp-gamma")
    assert any(h.value == "Gamma Magnet Works" for h in at.subheader)
    at.multiselect(key="f_country").set_value(["United States"]).run()
    assert not at.exception
    assert not any(h.value == "Gamma Magnet Works" for h in at.subheader)
    assert "site" not in at.query_params


def test_a_shared_deposit_link_opens_the_deposit() -> None:
    at = _run(deposit="2")
    assert not at.exception
    assert any(h.value == "Deposit Two" for h in at.subheader)


def test_counts_beside_values_follow_the_other_filters() -> None:
    at = _run()
    # AppTest lists the options as the page shows them
    assert "United States (3)" in at.multiselect(key="f_country").options
    at.multiselect(key="f_commodity").set_value(["Nd"]).run()
    labels = at.multiselect(key="f_country").options
    assert "United States (1)" in labels and "Japan (1)" in labels


def test_a_site_without_location_opens_from_the_picker() -> None:
    at = _run()
    picker = at.selectbox(key="site_picker")
    assert "Delta Unlocated  (no known location)" in picker.options
    picker.select("Delta Unlocated  (no known location)").run()
    assert not at.exception
    assert any(h.value == "Delta Unlocated" for h in at.subheader)
    assert at.query_params["site"] == "au-delta"
    assert any("not known, so this record is not on the map" in m.value for m in at.markdown)


def test_approximate_locations_say_so_once() -> None:
    at = _run(site="jp-gamma")
    captions = [c.value for c in at.caption]
    assert "location approximate" in captions


def _ticked_filters(at: AppTest) -> tuple[list[str], bool]:
    return list(at.multiselect(key="f_commodity").value), bool(at.checkbox(key="f_joint").value)


def test_a_link_in_the_old_page_form_opens_and_is_rewritten() -> None:
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.query_params["commodity"] = ["Nd", "Li"]  # repeated, as the page wrote it before
    at.query_params["joint"] = "true"
    at.run()
    assert not at.exception
    assert _ticked_filters(at) == (["Nd", "Li"], True)
    assert at.query_params["commodity"] == "Nd,Li"
    assert at.query_params["jointly_selected"] == "true"
    assert "joint" not in at.query_params


def test_the_page_url_is_the_selection_the_api_and_cli_take() -> None:
    at = _run(commodity="nd,lithium", jointly_selected="true", q="a")
    assert not at.exception
    assert _ticked_filters(at) == (["Nd", "Li"], True)
    page_filter = SiteFilter(commodities=("Nd", "Li"), jointly_selected_only=True, search="a")
    params = {k: v for k, v in at.query_params.items() if k in PARAMETERS}
    assert parse_selection(params, date.today()) == SiteSelection(page_filter, date.today())
    expected = SiteSelection(page_filter, date.today()).url_params()
    assert params == {k: v for k, v in expected.items() if k != "as_of"}


@pytest.mark.parametrize("ident", ["²", "99999999999999999999999", "-1", "1e3"])
def test_a_hand_edited_deposit_link_is_ignored_not_a_broken_page(ident: str) -> None:
    at = _run(deposit=ident)
    assert not at.exception
    assert not any(b.key == "close_detail" for b in at.button)  # no panel opened
    at.run()  # and the next run of the session is not broken either
    assert not at.exception


def test_a_site_clicked_before_is_centred_when_opened_again_by_link() -> None:
    """Click a site on the map, close its panel, open it by a link (or search, or back):
    the map is asked to go to it, though the map's last click still names it."""
    at = _run()
    alpha = next(s for s in SAMPLE_SITES if s["id"] == "us-alpha")
    at.session_state["site_map"] = {
        "last_active_drawing": {"properties": {"kind": "site", "id": "us-alpha"}}}
    at.run()
    assert not at.exception
    assert at.query_params["site"] == "us-alpha"
    clicked_request = at.session_state["map_view_request"]
    assert clicked_request is None or clicked_request.get("kind") != "site"  # a click: no move
    at.button(key="close_detail").click().run()
    assert "site" not in at.query_params
    at.query_params["site"] = "us-alpha"
    at.run()
    request = at.session_state["map_view_request"]
    assert request["kind"] == "site"
    assert (request["lat"], request["lon"]) == (float(alpha["lat"]), float(alpha["lon"]))


def _click(at: AppTest, site_id: str, clicks: int) -> AppTest:
    """What st_folium reports after a click on a site's marker: the feature and the map's
    running count of clicks on features."""
    at.session_state["site_map"] = {
        "last_active_drawing": {"properties": {"kind": "site", "id": site_id}},
        "last_object_clicked_count": clicks}
    return at.run()


def _panel_open(at: AppTest) -> bool:
    return any(b.key == "close_detail" for b in at.button)


def test_the_marker_clicked_last_opens_again_after_its_panel_was_closed() -> None:
    at = _click(_run(), "us-alpha", 1)
    assert _panel_open(at) and at.query_params["site"] == "us-alpha"
    at.button(key="close_detail").click().run()
    assert not _panel_open(at)
    at.run()  # the map's output unchanged (a rerun for another reason): stays closed
    assert not _panel_open(at)
    _click(at, "us-alpha", 2)  # the same marker clicked again
    assert not at.exception
    assert _panel_open(at) and at.query_params["site"] == "us-alpha"


def test_back_to_before_the_first_click_closes_the_panel() -> None:
    at = _click(_run(), "us-alpha", 1)
    assert _panel_open(at)
    del at.query_params["site"]  # the back button: the URL the page had before the click
    at.run()
    assert not at.exception
    assert not _panel_open(at)
    assert "site" not in at.query_params
    at.query_params["site"] = "us-alpha"  # and forward again
    at.run()
    assert _panel_open(at)


def test_the_map_opened_from_another_page_keeps_its_selection() -> None:
    at = _click(_run(), "us-alpha", 1)
    at.switch_page("pages/portfolio_page.py").run()
    assert not at.exception
    at.query_params.clear()  # the page list's link to the map carries no selection
    at.switch_page("pages/map_page.py").run()
    assert not at.exception
    assert _panel_open(at) and at.query_params["site"] == "us-alpha"


def test_the_first_view_frames_the_matching_sites() -> None:
    at = _run(commodity="Nd")
    request = at.session_state["map_view_request"]
    assert request["kind"] == "bounds"
    (south, west), (north, east) = request["bounds"]
    matching = [s for s in SAMPLE_SITES if "Nd" in s["commodities"].split(";") and s["lat"]]
    others = [s for s in SAMPLE_SITES if s not in matching and s["lat"]]
    assert matching
    for site in matching:
        assert south <= float(site["lat"]) <= north and west <= float(site["lon"]) <= east
    assert any(not (south <= float(s["lat"]) <= north and west <= float(s["lon"]) <= east)
               for s in others)
