"""AppTest: the survey-layer pages (catalog, sampling, upload), the cross-walk and a site's
records of its place, the data page, the account page and the admin page, opened in Japanese
(``?lang=ja``): no text of theirs is left in English, and a few labels are the catalog's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely
from streamlit.testing.v1 import AppTest

from domain.access import HIGHEST, OPEN_ACCESS, Principal, Role
from domain.i18n import language, ntr, tr
from mapping import access_state
from mapping import state_keys as keys
from mapping.catalogs import extract
from mapping.store_access import engine as store_engine
from services.crosswalk import refresh_crosswalk
from store.accounts import add_account, new_token
from store.crosswalk_repo import CONFIRMED, decide, stored_links
from tests.support.fixtures_data import SAMPLE_SITES, site_row
from tests.support.layer_files import write_claims_zip, write_magnetics_tif
from tests.support.sample_store import sample_engine, use_sample_store
from tests.support.survey_grids import publish_geojson, publish_grid

MAIN = str(Path(__file__).resolve().parents[2] / "mapping" / "main.py")
#: The files whose texts these tests look for on the pages.
FILES = {"mapping/pages/layers_page.py", "mapping/parts/layer_panels.py",
         "mapping/parts/layer_sampling_panel.py", "mapping/pages/upload_page.py",
         "mapping/parts/upload_report.py", "mapping/pages/crosswalk_page.py",
         "mapping/parts/place_records.py", "mapping/pages/data_page.py",
         "mapping/pages/account_page.py", "mapping/pages/admin_page.py",
         "mapping/page_errors.py"}
#: The fields of an element's message that hold words a person reads.
TEXT_FIELDS = {"label", "help", "placeholder", "body", "text"}
PASSWORD = "correct horse battery"
ADA = Principal("ada", Role.ADMIN, HIGHEST)
BEA = Principal("bea", Role.EDITOR, "public")


@pytest.fixture(autouse=True)
def sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sample_store(tmp_path, monkeypatch, "ja.db",
                     sites=[*SAMPLE_SITES, site_row("us-one", "Deposit One",
                                                    lat=39.001, lon=-116.0)])


def _japanese(text: str) -> str:
    with language("ja"):
        return tr(text)


def _english_left() -> set[str]:
    """The English texts of these pages that have a Japanese of their own (one that differs)."""
    english = set()
    with language("ja"):
        for message in extract():
            if not message.id or not any(f in FILES for f, _ in message.locations):
                continue
            if isinstance(message.id, str):
                forms = {message.id: tr(message.id)}
            else:
                forms = {text: ntr(message.id[0], message.id[1], n)
                         for text, n in zip(message.id, (1, 2), strict=True)}
            english |= {text for text, japanese in forms.items() if japanese != text}
    return english


ENGLISH = _english_left()


def _strings(message: Any) -> Iterator[str]:
    """The reader's words in an element's protobuf message (nested ones too)."""
    for field, value in message.ListFields():
        if field.type == field.TYPE_MESSAGE:
            values = [value] if hasattr(value, "ListFields") else list(value)
            for item in values:
                yield from _strings(item)
        elif field.name in TEXT_FIELDS and isinstance(value, str):
            yield value


def _texts(node: Any) -> Iterator[str]:
    """Every label, help, placeholder and body on the page, bare of bold and icons."""
    proto = getattr(node, "proto", None)
    if proto is not None and hasattr(proto, "ListFields"):
        for text in _strings(proto):
            bare = re.sub(r"^:material/\w+:\s*", "", text.strip())
            yield bare
            yield bare.strip("*")
    for child in getattr(node, "children", {}).values():
        yield from _texts(child)


def _assert_japanese(at: AppTest) -> None:
    assert not at.exception, at.exception
    left = sorted({text for text in _texts(at._tree) if text in ENGLISH})
    assert not left, left


def _open(page: str, monkeypatch: pytest.MonkeyPatch, who: Principal | None = None,
          **params: str) -> AppTest:
    if who is not None:
        monkeypatch.setattr(access_state, "current_principal", lambda: who)
        monkeypatch.setattr(access_state, "page_session_secret", lambda: "")
    at = AppTest.from_file(MAIN, default_timeout=120)
    at.query_params["lang"] = "ja"
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    if page != "pages/map_page.py":
        at.switch_page(page).run()
    _assert_japanese(at)
    return at


def test_the_layer_catalog_and_its_sampling_in_japanese(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = _open("pages/layers_page.py", monkeypatch)
    assert empty.info[0].value.startswith(_japanese("No survey layer yet."))
    engine = sample_engine(tmp_path, "ja.db")
    raster = publish_grid(engine, tmp_path)
    vector = publish_geojson(engine, tmp_path, "Claim blocks",
                             [("Block A", shapely.box(-118.2, 41.6, -117.9, 41.8))])
    at = _open("pages/layers_page.py", monkeypatch)
    assert at.title[0].value == _japanese("Survey layers") != "Survey layers"
    assert _japanese("Save style") in {b.label for b in at.button}
    for record in (raster, vector):
        at.toggle(key=keys.layer_key(record.id, keys.SAMPLE_SHOW, record.version)) \
            .set_value(True)
    at.run()
    _assert_japanese(at)
    assert at.toggle(key=keys.layer_key(raster.id, keys.SAMPLE_SHOW, raster.version)).label \
        == _japanese("Show the table")
    columns = {c for frame in at.dataframe for c in frame.value.columns}
    assert {_japanese("Value"), _japanese("Features")} <= columns
    at.number_input(key=keys.layer_key(raster.id, keys.SAMPLE_RADIUS, raster.version)) \
        .set_value(5.0).run()
    _assert_japanese(at)
    assert _japanese("Valid pixels") in {c for f in at.dataframe for c in f.value.columns}


def test_the_upload_page_and_its_report_in_japanese(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _open("pages/upload_page.py", monkeypatch)
    assert at.title[0].value == _japanese("Upload a survey layer")
    claims = write_claims_zip(tmp_path)
    at.file_uploader(key=keys.UPLOAD_FILE).set_value(
        [(claims.name, claims.read_bytes(), "application/zip")]).run()
    _assert_japanese(at)
    assert _japanese("Publish") in {b.label for b in at.button}
    assert _japanese("Name") in {t.label for t in at.text_input}
    grid = write_magnetics_tif(tmp_path)
    at.file_uploader(key=keys.UPLOAD_FILE).set_value(
        [(grid.name, grid.read_bytes(), "image/tiff")]).run()
    _assert_japanese(at)
    assert _japanese("Bands") in {m.label for m in at.metric}


def test_the_crosswalk_and_the_records_of_a_place_in_japanese(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = sample_engine(tmp_path, "ja.db")
    refresh_crosswalk(engine, principal=OPEN_ACCESS)
    links = stored_links(engine)
    deposit = links[(links["a_kind"] == "site") & (links["b_kind"] == "deposit")]
    decide(engine, int(deposit["id"].iloc[0]), CONFIRMED, principal=OPEN_ACCESS)
    at = _open("pages/crosswalk_page.py", monkeypatch)
    assert at.title[0].value == _japanese("Cross-walk: records of one place")
    assert at.selectbox(key=keys.CROSSWALK_KIND).label == _japanese("Linked to")
    assert at.selectbox(key=keys.CROSSWALK_POSITION).label == _japanese("Confirmed link")
    at.segmented_control(key=keys.CROSSWALK_STATUS).set_value("all").run()
    _assert_japanese(at)
    panel = _open("pages/map_page.py", monkeypatch, site="us-one")
    heading = _japanese("Records of this place ({n})").split("（")[0]
    assert any(e.label.startswith(heading) for e in panel.expander)


def test_the_data_page_in_japanese(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _open("pages/data_page.py", monkeypatch)
    assert at.title[0].value == _japanese("Data and sources")
    assert {m.label for m in at.metric} == {_japanese(t) for t in ("Sites", "Deposits",
                                                                    "Imports")}


def test_the_account_page_in_japanese(monkeypatch: pytest.MonkeyPatch) -> None:
    add_account(store_engine(), "bea", "editor", password=PASSWORD, actor="test")
    new_token(store_engine(), "bea", "QGIS", actor=BEA)
    access_state.forget_all()
    at = _open("pages/account_page.py", monkeypatch, who=BEA)
    assert at.title[0].value == _japanese("Your account")
    assert at.text_input(key="account_token_label").label == _japanese("What the token is for")
    assert _japanese("Change the password") in {b.label for b in at.button}


def test_the_admin_page_in_japanese(monkeypatch: pytest.MonkeyPatch) -> None:
    add_account(store_engine(), "ada", "admin", HIGHEST, PASSWORD, actor="test")
    add_account(store_engine(), "vic", "viewer", actor="test")
    access_state.forget_all()
    at = _open("pages/admin_page.py", monkeypatch, who=ADA)
    assert at.title[0].value == _japanese("Accounts and audit")
    assert at.text_input(key="admin_add_name").label == _japanese("Account name")
    assert at.selectbox(key="audit_action").value == "(any)"  # the value stays the code
    at.toggle(key="admin_anonymous_view").set_value(True).run()
    _assert_japanese(at)
    assert at.success[0].value == _japanese("The anonymous public view is on.")
