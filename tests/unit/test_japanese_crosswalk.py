"""The cross-walk in Japanese: a link's evidence and a permits import's reasons are stored in
English (the record) and shown in the reader's language by matching them back to the template
they were made from (``mapping.stored_words``); the methods are shown by their labels."""

from __future__ import annotations

import string
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from domain.crosswalk import IMPORTED_BY, NAME_DISTANCE, decider_label, method_label
from domain.i18n import language, tr
from mapping.stored_words import _pattern, link_detail, link_evidence, stored_text
from permits import site_links
from permits.site_links import DETAILS, link_projects
from sites import crosswalk
from sites.crosswalk import EVIDENCE, site_project_links
from store.crosswalk_repo import stored_links
from tests.support.sample_store import crosswalk_store
from tests.unit.test_site_links import project, sites

MAIN = str(Path(__file__).resolve().parents[2] / "mapping" / "main.py")
TEMPLATES = (*EVIDENCE, *DETAILS)


def _ja(template: str, **values: object) -> str:
    """The catalog's translation of ``template`` filled with ``values``."""
    with language("ja"):
        return tr(template).format(**values)


def _fields(template: str) -> list[str]:
    return list(_pattern(template)[0].groupindex)


def test_every_template_has_a_japanese_translation_with_its_fields() -> None:
    for template in TEMPLATES:
        japanese = _ja(template, **{f: f"<{f}>" for f in _fields(template)})
        assert japanese != template.format(**{f: f"<{f}>" for f in _fields(template)})
        assert all(f"<{f}>" in japanese for f in _fields(template)), template


@settings(max_examples=60, deadline=None)
@given(template=st.sampled_from(TEMPLATES),
       words=st.lists(st.text(string.ascii_letters + string.digits + "éÖ", min_size=1,
                              max_size=12), min_size=3, max_size=3))
def test_a_stored_text_round_trips_for_every_template(template: str, words: list[str]) -> None:
    values = dict(zip(_fields(template), words, strict=False))
    assume(values.get("count") != "two")  # "two sites match equally" is its own template
    text = template.format(**values)
    assert stored_text(text, TEMPLATES) == text  # English: as stored
    with language("ja"):
        assert stored_text(text, TEMPLATES) == _ja(template, **values)


@pytest.mark.parametrize("text", ["", "written by hand", "names alike",
                                  "lies within Block A of survey layer",  # the end cut off
                                  "Xlinked before", "no site with a similar name."])
def test_a_text_no_template_made_is_shown_as_it_is(text: str) -> None:
    with language("ja"):
        assert stored_text(text, TEMPLATES) == text
        assert link_evidence(text) == text


def test_the_most_specific_template_wins() -> None:
    text = "two sites match equally: us-km-a, us-km-b"
    with language("ja"):
        assert stored_text(text, TEMPLATES) == _ja(site_links.TWO_TIED, sites="us-km-a, us-km-b")


def test_import_reasons_a_person_caused_are_shown_in_japanese() -> None:
    too_far = link_projects(pd.DataFrame([project("Stibnite Gold", 40.0, -115.3)]), sites())
    detail = too_far.rows[0].detail
    assert detail == "similar name 'Stibnite Gold Project' but 546 km away (limit 50 km)"
    assert link_detail(detail) == detail
    with language("ja"):
        assert link_detail(detail) == _ja(site_links.TOO_FAR, name="Stibnite Gold Project",
                                          km="546", limit="50")

    no_state = link_projects(pd.DataFrame([project("Thacker Pass Lithium Project")]), sites())
    detail = no_state.rows[0].detail
    assert detail == ("similar name 'Thacker Pass Lithium Mine Project' but the site is in "
                      "Nevada and the project in no state given")
    with language("ja"):
        assert link_detail(detail) == _ja(
            site_links.OTHER_STATE, name="Thacker Pass Lithium Mine Project",
            site_state="Nevada", state=tr(site_links.NO_STATE_GIVEN))

    approximate = link_projects(pd.DataFrame([project("Idaho Cobalt Operations", 45.01,
                                                      -113.9)]), sites())
    detail = approximate.rows[0].detail
    assert detail.startswith("similar name 'Idaho Cobalt Operations (ICO)' but its position is "
                             "approximate (centre of Lemhi County")
    with language("ja"):
        place = _ja(site_links.APPROXIMATE_AT, place="centre of Lemhi County, Idaho")
        assert link_detail(detail) == _ja(site_links.POSITION_REFUSED,
                                          name="Idaho Cobalt Operations (ICO)", position=place)


def test_a_name_only_candidate_quotes_the_imports_reason_in_japanese() -> None:
    frame = pd.DataFrame({"id": ["us-thacker-pass"], "name": ["Thacker Pass Lithium Mine"]})
    projects = pd.DataFrame({"project_id": ["fpd-7"], "title": ["Thacker Pass Lithium"],
                             "site_id": [""]})
    reason = {"fpd-7": {"method": "", "detail": "no site with a similar name"}}
    [link] = site_project_links(frame, projects, reason)
    assert link.detail == ("names 1.00 alike (thacker pass lithium / thacker pass lithium); "
                           "not linked by the import: no site with a similar name")
    assert link_evidence(link.detail) == link.detail
    with language("ja"):
        assert link_evidence(link.detail) == _ja(
            crosswalk.NAMES_ALIKE_NOT_LINKED, score="1.00",
            names="thacker pass lithium / thacker pass lithium",
            why=tr(site_links.NO_SIMILAR_NAME))


def test_methods_and_the_import_are_shown_by_their_labels() -> None:
    assert method_label(NAME_DISTANCE) == "name and distance"
    assert decider_label(IMPORTED_BY) == "permits import"
    assert method_label("something new") == "something new"
    assert decider_label("edna") == "edna"
    with language("ja"):
        assert method_label(NAME_DISTANCE) == tr("name and distance") != "name and distance"
        assert decider_label(IMPORTED_BY) == tr("permits import") != "permits import"


@pytest.fixture()
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    return crosswalk_store(tmp_path, monkeypatch)


def _page(lang: str | None) -> pd.DataFrame:
    at = AppTest.from_file(MAIN, default_timeout=60)
    if lang:
        at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/crosswalk_page.py").run()
    assert not at.exception
    table: pd.DataFrame = at.dataframe[0].value
    return table[table["a"].str.contains("us-one")]


def test_the_cross_walk_page_shows_stored_evidence_in_the_readers_language(
        engine: Engine) -> None:
    stored = stored_links(engine)
    detail = str(stored[stored["a_key"] == "us-one"]["detail"].iloc[0])
    assert detail.startswith("names ") and detail.endswith(" km apart")
    english = _page(None)
    assert english["evidence"].iloc[0] == detail
    assert english["method"].iloc[0] == "name and distance"
    japanese = _page("ja")
    found = _pattern(crosswalk.NAMES_ALIKE)[0].fullmatch(detail)
    assert found is not None
    assert japanese["evidence"].iloc[0] == _ja(crosswalk.NAMES_ALIKE, **found.groupdict())
    assert japanese["method"].iloc[0] == _ja("name and distance")
    assert stored_links(engine)["detail"].tolist() == stored["detail"].tolist()  # as stored
