"""AppTest: the pages give a viewer with public clearance nothing marked above it (not the
controlled site, not its permitting project, not the business-proprietary operator): not on
the map (its GeoJSON and popups), in the counts, the search, the detail panel, the data page,
the portfolio, the alerts or the timeline's site picker. Someone cleared sees them; an editor
sets a marking on the site's timeline page, a viewer is not offered to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from mapping.store_access import engine
from store.markings import attribute_marks
from store.models import Deposit, Site
from tests.support.app_pages import page_as
from tests.support.fixtures_data import write_data_dir
from tests.support.marked_sites import (
    CLEARED,
    EDITOR,
    HIDDEN_NAME,
    HIDDEN_PROJECT,
    HIDDEN_SITE,
    OPERATOR_SITE,
    SECRET_OPERATOR,
    VIEWER,
    leaked,
    mark,
    marked_site_rows,
)


@pytest.fixture(autouse=True)
def marked_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("PERMITMAP_DB_PATH", str(tmp_path / "app.db"))
    monkeypatch.setenv("PERMITMAP_DATA_DIR",
                       str(write_data_dir(tmp_path / "data", sites=marked_site_rows())))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    eng = engine()
    mark(eng)
    yield eng


_page = page_as


def everything_sent(at: AppTest) -> str:
    """Every element the page sent, as its message's text (the map's script, tables as
    Arrow, widgets' options): what a browser would receive."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    parts += [frame.value.to_csv() for frame in at.dataframe]
    return "\n".join(parts)


def _said(at: AppTest) -> str:
    return "\n".join(str(e.value).replace("\\", "") for kind in
                     ("markdown", "caption", "info", "warning", "error", "success")
                     for e in getattr(at, kind))


def test_the_map_gives_a_viewer_nothing_marked(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(monkeypatch, VIEWER, "pages/map_page.py")
    assert leaked(everything_sent(at)) == []
    assert "**4 of 4 sites** match" in _said(at)  # the controlled one is not counted
    map_script = at.get("component_instance")[0].proto.json_args
    assert OPERATOR_SITE in map_script and "operator withheld" in map_script
    # a search for the withheld operator finds nothing
    at.text_input(key="f_search").set_value("SECRET-OPERATOR").run()
    assert "**0 of 4 sites** match" in _said(at)


def test_the_map_shows_someone_cleared_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(monkeypatch, CLEARED, "pages/map_page.py")
    assert {HIDDEN_NAME, SECRET_OPERATOR} <= set(leaked(everything_sent(at)))
    assert "**5 of 5 sites** match" in _said(at)
    at.text_input(key="f_search").set_value("SECRET-OPERATOR").run()
    assert "**1 of 5 sites** match" in _said(at)


def test_the_detail_panel_withholds_and_a_hidden_site_is_not_there(
        monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(monkeypatch, VIEWER, "pages/map_page.py", site=OPERATOR_SITE)
    said = _said(at)
    assert "Operator: _withheld_" in said.replace("*", "")
    assert "Withheld at your clearance: operator (Business proprietary)." in said
    assert leaked(everything_sent(at)) == []
    hidden = _page(monkeypatch, VIEWER, "pages/map_page.py", site=HIDDEN_SITE)
    assert "no longer in the store" in _said(hidden)  # as for a site that never was
    assert leaked(everything_sent(hidden)) == []
    assert not hidden.get("page_link")  # no link to its timeline either


@pytest.mark.parametrize("page", ["pages/data_page.py", "pages/portfolio_page.py",
                                  "pages/alerts_page.py", "pages/timeline_page.py"])
def test_the_other_pages_give_a_viewer_nothing_marked(monkeypatch: pytest.MonkeyPatch,
                                                      page: str) -> None:
    at = _page(monkeypatch, VIEWER, page)
    sent = everything_sent(at)
    assert leaked(sent) == [] and "pm-beta" not in sent
    cleared = everything_sent(_page(monkeypatch, CLEARED, page))
    if page != "pages/alerts_page.py":  # the hidden site's project raises no alert
        assert HIDDEN_NAME in cleared or HIDDEN_PROJECT in cleared


def test_the_data_page_counts_only_what_the_viewer_sees(
        monkeypatch: pytest.MonkeyPatch, marked_store: Engine) -> None:
    from store.markings import set_marking

    with Session(marked_store) as session:
        deposits = list(session.scalars(select(Deposit.id)))
    set_marking(marked_store, "deposit", str(deposits[0]), "controlled", principal=EDITOR)
    at = _page(monkeypatch, VIEWER, "pages/data_page.py")
    assert next(m for m in at.metric if m.label == "Sites").value == "4"
    assert next(m for m in at.metric if m.label == "Deposits").value == str(len(deposits) - 1)
    at = _page(monkeypatch, CLEARED, "pages/data_page.py")
    assert next(m for m in at.metric if m.label == "Sites").value == "5"
    assert next(m for m in at.metric if m.label == "Deposits").value == str(len(deposits))


def test_the_timeline_of_a_hidden_site_is_no_site_at_all(
        monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(monkeypatch, VIEWER, "pages/timeline_page.py", site=HIDDEN_SITE)
    assert f"No site has the id “{HIDDEN_SITE}”" in _said(at).replace("\\", "")
    assert leaked(everything_sent(at)) == []
    assert HIDDEN_NAME not in " ".join(at.selectbox(key="timeline_site").options)


def test_an_editor_marks_a_site_on_its_timeline_page(monkeypatch: pytest.MonkeyPatch,
                                                     marked_store: Engine) -> None:
    at = _page(monkeypatch, EDITOR, "pages/timeline_page.py", site="jp-gamma")
    at.selectbox(key="mark_target_site_jp-gamma").set_value("description").run()
    at.selectbox(key="mark_code_site_jp-gamma_description").set_value("controlled").run()
    next(b for b in at.button if b.label == "Set the marking").click().run()
    assert not at.exception
    assert "Marked site jp-gamma description: public -> controlled." in _said(at)
    assert attribute_marks(marked_store, "site")["jp-gamma"] == {"description": "controlled"}
    at.selectbox(key="mark_target_site_jp-gamma").set_value("").run()  # the whole site
    at.selectbox(key="mark_code_site_jp-gamma_").set_value("business-proprietary").run()
    next(b for b in at.button if b.label == "Set the marking").click().run()
    with Session(marked_store) as session:
        assert session.get(Site, "jp-gamma").marking == "business-proprietary"  # type: ignore[union-attr]


def test_a_site_removed_meanwhile_is_said_in_words(monkeypatch: pytest.MonkeyPatch,
                                            marked_store: Engine) -> None:
    at = _page(monkeypatch, EDITOR, "pages/timeline_page.py", site="jp-gamma")
    with Session(marked_store) as session, session.begin():  # removed meanwhile elsewhere
        session.execute(delete(Site).where(Site.id == "jp-gamma"))
    next(b for b in at.button if b.label == "Set the marking").click().run()
    assert not at.exception
    assert "No site has id 'jp-gamma'" in " ".join(e.value for e in at.error)


def test_an_editor_marks_a_deposit_from_the_map(monkeypatch: pytest.MonkeyPatch,
                                                marked_store: Engine) -> None:
    with Session(marked_store) as session:
        deposit = str(session.scalars(select(Deposit.id).order_by(Deposit.id)).first())
    at = _page(monkeypatch, EDITOR, "pages/map_page.py", deposit=deposit)
    assert "Handling marking" in [e.label for e in at.expander]
    at.selectbox(key=f"mark_target_deposit_{deposit}").set_value("deposit_type").run()
    at.selectbox(key=f"mark_code_deposit_{deposit}_deposit_type").set_value(
        "business-proprietary").run()
    next(b for b in at.button if b.label == "Set the marking").click().run()
    assert not at.exception
    assert (f"Marked deposit {deposit} deposit_type: public -> business-proprietary."
            in _said(at))
    assert attribute_marks(marked_store, "deposit") == {
        deposit: {"deposit_type": "business-proprietary"}}
    viewer = _page(monkeypatch, VIEWER, "pages/map_page.py", deposit=deposit)
    assert "Handling marking" not in [e.label for e in viewer.expander]
    assert "Withheld at your clearance: deposit type" in _said(viewer)


def test_a_viewer_is_not_offered_the_marking_control(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(monkeypatch, VIEWER, "pages/timeline_page.py", site="jp-gamma")
    assert "Set the marking" not in [b.label for b in at.button]
    assert "Handling marking" not in [e.label for e in at.expander]


def test_every_page_copes_with_every_attribute_withheld(monkeypatch: pytest.MonkeyPatch,
                                                        marked_store: Engine) -> None:
    from store.markings import markable_attributes, set_marking

    for attribute in markable_attributes("site"):
        set_marking(marked_store, "site", "jp-gamma", "controlled", principal=EDITOR,
                    attribute=attribute)
    for page in ("pages/map_page.py", "pages/data_page.py", "pages/portfolio_page.py",
                 "pages/alerts_page.py", "pages/timeline_page.py"):
        _page(monkeypatch, VIEWER, page, site="jp-gamma")  # no exception
    at = _page(monkeypatch, VIEWER, "pages/map_page.py", site="jp-gamma")
    said = _said(at)
    assert "Withheld at your clearance: admin area (Controlled); " in said
    assert "; operator (Controlled); " in said
