"""Setting handling markings on SQLite and PostgreSQL: whole records and single attributes,
refused for viewers (and the refusal audited), audited with before and after, bumping the
revision each reader keys on; bad kinds, ids, markings and attributes answered in words; and
``permitmap mark`` on the command line.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from commands.cli_principal import os_user
from commands.main import main
from domain.access import AccessDenied, Principal, Role
from domain.errors import InputError, NotFoundError
from store.audit import audit_rows
from store.db import data_revision
from store.deposit_views import DEPOSITS_REVISION
from store.layer_repo import add_layers, layer_revision
from store.markings import attribute_marks, markable_attributes, set_marking
from store.models import Deposit, Site, StoreMeta
from tests.support.layer_fixtures import sample_layer
from tests.support.sample_store import seeded_store

EDITOR = Principal("ed", Role.EDITOR, "controlled")
VIEWER = Principal("vi", Role.VIEWER, "controlled")


@pytest.fixture
def store(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """A seeded store on each backend (the fixture data's sites and deposits)."""
    return seeded_store(database_url, tmp_path, monkeypatch)


def _first(engine: Engine, table: type[Site] | type[Deposit]) -> str:
    with Session(engine) as session:
        return str(session.scalars(select(table.id).order_by(table.id)).first())


def _meta(engine: Engine, key: str) -> str:
    with Session(engine) as session:
        row = session.get(StoreMeta, key)
        return row.value if row else "0"


def test_site_marking_and_attribute_marking(store: Engine) -> None:
    site = _first(store, Site)
    revision = data_revision(store)
    change = set_marking(store, "site", site, "Controlled ", principal=EDITOR)
    assert (change.before, change.after) == ("public", "controlled")
    assert change.describe() == f"site {site}: public -> controlled"
    with Session(store) as session:
        assert session.get(Site, site).marking == "controlled"  # type: ignore[union-attr]
    assert data_revision(store) == revision + 1

    set_marking(store, "site", site, "business-proprietary", principal=EDITOR,
                attribute="operator")
    assert attribute_marks(store, "site") == {site: {"operator": "business-proprietary"}}
    assert attribute_marks(store, "deposit") == {}
    # "public" clears the attribute's own marking
    cleared = set_marking(store, "site", site, "public", principal=EDITOR, attribute="operator")
    assert cleared.before == "business-proprietary"
    assert attribute_marks(store, "site") == {}

    rows = audit_rows(store, action="mark").iloc[::-1]  # oldest first
    assert list(rows["target"]) == [f"site:{site}", f"site:{site}:operator",
                                    f"site:{site}:operator"]
    assert list(rows["detail"]) == ["public -> controlled", "public -> business-proprietary",
                                    "business-proprietary -> public"]
    assert list(rows["marking"]) == ["controlled", "business-proprietary",
                                     "business-proprietary"]
    assert set(rows["actor"]) == {"ed"}


def test_deposit_and_layer_markings_bump_their_revisions(store: Engine) -> None:
    deposit = _first(store, Deposit)
    before = int(_meta(store, DEPOSITS_REVISION))
    set_marking(store, "deposit", deposit, "controlled", principal=EDITOR)
    assert int(_meta(store, DEPOSITS_REVISION)) == before + 1
    with Session(store) as session:
        assert session.get(Deposit, int(deposit)).marking == "controlled"  # type: ignore[union-attr]

    [layer] = [r.id for r in add_layers(store, [sample_layer("bores")], principal=EDITOR)]
    layers_before = layer_revision(store)
    set_marking(store, "layer", layer, "business-proprietary", principal=EDITOR)
    assert layer_revision(store) == layers_before + 1


def test_viewers_are_refused_and_the_refusal_is_audited(store: Engine) -> None:
    site = _first(store, Site)
    with pytest.raises(AccessDenied, match="needs the editor role"):
        set_marking(store, "site", site, "controlled", principal=VIEWER)
    with Session(store) as session:
        assert session.get(Site, site).marking == "public"  # type: ignore[union-attr]
    refused = audit_rows(store, action="mark")
    assert list(refused["outcome"]) == ["refused"] and list(refused["actor"]) == ["vi"]


@pytest.mark.parametrize(("kind", "record", "marking", "attribute", "error", "words"), [
    ("parcel", "x", "public", "", InputError, "cannot carry a marking"),
    ("site", "no-such-site", "public", "", NotFoundError, "No site has id 'no-such-site'"),
    ("deposit", "abc", "public", "", InputError, "whole number"),
    ("deposit", "999999", "public", "", NotFoundError, "No deposit has id '999999'"),
    ("layer", "nope", "public", "", NotFoundError, "permitmap layers list"),
    ("site", "FIRST", "secret", "", InputError, "use one of public, business-proprietary"),
    ("site", "FIRST", "controlled", "colour", InputError, "no markable attribute 'colour'"),
    ("site", "FIRST", "controlled", "name", InputError, "mark the whole site"),
])
def test_bad_requests_are_answered_in_words_and_change_nothing(
        store: Engine, kind: str, record: str, marking: str, attribute: str,
        error: type[Exception], words: str) -> None:
    record = _first(store, Site) if record == "FIRST" else record
    revision = data_revision(store)
    with pytest.raises(error, match=words):
        set_marking(store, kind, record, marking, principal=EDITOR, attribute=attribute)
    assert data_revision(store) == revision
    assert audit_rows(store, action="mark").empty


def test_mark_on_the_command_line(store: Engine, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    site = _first(store, Site)
    assert main(["mark", "site", site, "controlled", "--attribute", "operator"]) == 0
    assert capsys.readouterr().out == (f"Marked site {site} operator: public -> "
                                       "controlled.\n")
    assert attribute_marks(store, "site") == {site: {"operator": "controlled"}}
    assert list(audit_rows(store, action="mark")["actor"]) == [f"cli:{os_user()}"]

    monkeypatch.setattr(sys, "argv", ["permitmap"])
    assert main(["mark", "site", site, "top-secret"]) != 0
    err = capsys.readouterr().err
    assert err.startswith("error: 'top-secret' is not a handling marking")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_marking_above_the_clearance_cannot_be_lowered_or_seen(store: Engine) -> None:
    site = _first(store, Site)
    lower = Principal("bo", Role.EDITOR, "business-proprietary")
    set_marking(store, "site", site, "controlled", principal=EDITOR, attribute="operator")
    with pytest.raises(AccessDenied, match="operator of this site is marked controlled"):
        set_marking(store, "site", site, "public", principal=lower, attribute="operator")
    assert attribute_marks(store, "site") == {site: {"operator": "controlled"}}
    refused = audit_rows(store, action="mark").iloc[0]
    assert (refused["actor"], refused["outcome"]) == ("bo", "refused")
    # raising it, or marking another attribute, is theirs to do
    set_marking(store, "site", site, "business-proprietary", principal=lower,
                attribute="description")

    set_marking(store, "site", site, "controlled", principal=EDITOR)
    with pytest.raises(NotFoundError, match=f"No site has id '{site}'"):  # as if not there
        set_marking(store, "site", site, "public", principal=lower)
    with Session(store) as session:
        assert session.get(Site, site).marking == "controlled"  # type: ignore[union-attr]


def test_a_layer_is_marked_as_a_whole(store: Engine) -> None:
    [layer] = [r.id for r in add_layers(store, [sample_layer("grid")], principal=EDITOR)]
    assert markable_attributes("layer") == ()
    with pytest.raises(InputError, match="layer is marked as a whole"):
        set_marking(store, "layer", layer, "controlled", principal=EDITOR,
                    attribute="description")
    assert attribute_marks(store, "layer") == {}
    assert "operator" in markable_attributes("site")
    assert "commodities" in markable_attributes("deposit")
