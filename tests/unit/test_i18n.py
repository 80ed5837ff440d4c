"""The interface's languages (``domain.i18n``) and their catalogs (``mapping.catalogs``):
English as written, Japanese from the compiled catalog, one language per thread of work, and
the check that fails when a text of the code has no Japanese translation."""

from __future__ import annotations

import ast
import threading
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from domain.i18n import JAPANESE, current_language, language, ntr, set_language, tr, trc
from mapping import catalogs

ROOT = Path(__file__).resolve().parents[2]


def _catalog_string(message: str) -> str:
    with catalogs.po_path(JAPANESE).open("rb") as handle:
        found = read_po(handle, locale=JAPANESE).get(message)
    assert found is not None, f"{message!r} is not in the Japanese catalog"
    return str(found.string)


def test_english_is_the_code_and_japanese_comes_from_the_catalog() -> None:
    assert tr("Map") == "Map" and ntr("{n} site", "{n} sites", 2) == "{n} sites"
    with language("ja"):
        assert current_language() == "ja"
        assert tr("Map") == _catalog_string("Map") != "Map"
        assert tr("a text nobody wrote") == "a text nobody wrote"  # untranslated: English
    assert current_language() == "en"


def test_each_thread_of_work_keeps_its_own_language() -> None:
    seen: dict[str, str] = {}
    ready = threading.Barrier(2)

    def page(lang: str) -> None:
        set_language(lang)
        ready.wait()  # both set before either reads
        seen[lang] = tr("Map")

    threads = [threading.Thread(target=page, args=(lang,)) for lang in ("en", "ja")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"en": "Map", "ja": _catalog_string("Map")}


def test_every_text_of_the_code_has_its_japanese_translation() -> None:
    gaps = catalogs.missing()
    assert gaps == [], "\n".join(f"{g.why}: {g.message!r} ({g.where})" for g in gaps[:20])
    assert len(catalogs.extract()) >= 100  # the check looked at the code's texts


def test_the_check_names_a_text_without_translation(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    with catalogs.po_path(JAPANESE).open("rb") as handle:
        catalog = read_po(handle, locale=JAPANESE)
    catalog.delete("Map")
    catalog["Close"].string = ""
    catalog["Zoomed to the survey layer {name}."].string = "拡大しました。"  # a field lost
    copy = tmp_path / "permitmap.po"
    with copy.open("wb") as handle:
        write_po(handle, catalog)
    monkeypatch.setattr(catalogs, "po_path", lambda _language: copy)
    gaps = {(g.message, g.why) for g in catalogs.missing()}
    assert gaps == {("Map", "not in the catalog"), ("Close", "not translated"),
                    ("Zoomed to the survey layer {name}.", "other {fields}")}
    assert catalogs.main(["check"]) == 1


def test_no_text_is_marked_inside_an_f_string() -> None:
    """Babel cannot read a ``tr("…")`` inside an f-string: it would never be translated."""
    hidden = []
    for package in catalogs.SOURCES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.JoinedStr):
                    hidden += [f"{path.relative_to(ROOT)}:{call.lineno}"
                               for call in ast.walk(node) if isinstance(call, ast.Call)
                               and getattr(call.func, "id", "") in {"tr", "ntr", "trc", "N_"}]
    assert hidden == []


def test_compiling_writes_the_mo_the_app_reads(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "ja" / "LC_MESSAGES" / "permitmap.po"
    source.parent.mkdir(parents=True)
    source.write_bytes(catalogs.po_path(JAPANESE).read_bytes())
    monkeypatch.setattr(catalogs, "po_path", lambda lang: tmp_path / lang / "LC_MESSAGES"
                        / "permitmap.po")
    assert catalogs.compile_catalogs() == [source.with_suffix(".mo")]
    assert catalogs.compile_catalogs() == []  # up to date: nothing rewritten
    import gettext

    compiled = gettext.translation("permitmap", tmp_path, languages=["ja"])
    assert compiled.gettext("Map") == _catalog_string("Map")


def test_the_api_takes_lang_as_the_language_of_its_messages_not_a_filter(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette.testclient import TestClient

    from mapping.web.routes import starlette_app
    from tests.support.sample_store import use_sample_store

    use_sample_store(tmp_path, monkeypatch, "api.db")
    client = TestClient(starlette_app())
    plain = client.get("/api/sites.geojson?commodity=Li").json()
    japanese = client.get("/api/sites.geojson?commodity=Li&lang=ja")
    assert japanese.status_code == 200
    assert [f["id"] for f in japanese.json()["features"]] == [f["id"] for f in plain["features"]]
    assert client.get("/api/sites.geojson?sort=name&lang=ja").status_code == 400


def test_alerts_worked_out_in_english_first_are_japanese_in_japanese(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The alerts are cached (one server, many people): per language, so English asked first
    leaves no English sentence for the next person, who reads Japanese."""
    from datetime import date

    from mapping.permit_cache import alerts_for
    from tests.support.sample_store import use_sample_store

    use_sample_store(tmp_path, monkeypatch, "alerts.db")
    as_of = date(2026, 11, 25)
    set_language("en")
    english = alerts_for(as_of)["message"].tolist()
    set_language("ja")
    try:
        japanese = alerts_for(as_of)["message"].tolist()
    finally:
        set_language("en")
    assert len(english) == len(japanese) > 0
    translated = [e for e in english if "paused since" in e or "no update for" in e
                  or "date changes lock" in e]
    assert translated and not set(translated) & set(japanese)


def test_one_english_word_is_said_two_ways_by_its_context() -> None:
    """The audit trail's "Action" (an operation) and a permitting action are one English
    word and two Japanese ones: ``trc`` keeps them apart, and the catalog check sees both."""
    with language(JAPANESE):
        permitting, audited = tr("Action"), trc("audit", "Action")
    assert permitting != audited and "Action" not in (permitting, audited)
    assert trc("audit", "Action") == "Action"  # English: the word itself
    contexts = {(m.id, m.context) for m in catalogs.extract() if m.id == "Action"}
    assert contexts == {("Action", None), ("Action", "audit")}
