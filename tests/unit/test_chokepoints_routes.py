"""The chokepoint table from the store: ``GET /api/chokepoints.csv``, ``permitmap chokepoints``
and the briefing pack agree; a marked site counts only for those cleared for it; the
projected view moves a site on its projects' projected completion; every table is audited."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from starlette.testclient import TestClient

from commands.main import main
from domain.access import HIGHEST, PUBLIC, Principal, Role
from mapping.web.routes import starlette_app
from services.chokepoints import chokepoints
from services.site_export import permit_state
from sites.chokepoints import latest_finish
from store.audit import audit_rows
from tests.support.sample_store import sample_engine, use_sample_store

TODAY = date.today()


@pytest.fixture(autouse=True)
def sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sample_store(tmp_path, monkeypatch, "chokepoints.db")


def _read(csv_bytes: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(csv_bytes), encoding="utf-8-sig", skiprows=1,
                       keep_default_na=False)


def _cell(table: pd.DataFrame, commodity: str, stage: str, region: str) -> pd.Series:
    rows = table[(table["commodity"] == commodity) & (table["stage"] == stage)
                 & (table["region"] == region)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_the_route_gives_the_table_as_csv_with_its_marking(tmp_path: Path) -> None:
    response = TestClient(starlette_app()).get("/api/chokepoints.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert f'filename="chokepoints_{TODAY.isoformat()}.csv"' in response.headers[
        "content-disposition"]
    first = response.content.decode("utf-8-sig").splitlines()[0]
    assert first.startswith("# ") and "Public" in first
    table = _read(response.content)
    li_mines_us = _cell(table, "Li", "mine", "United States")  # Alpha and the XSS site
    assert (li_mines_us["producing"], li_mines_us["permitting"]) == (0, 2)
    assert li_mines_us["site_ids"].split(";") == ["us-alpha", "us-xss"]
    magnets_japan = _cell(table, "Nd", "permanent magnet", "Japan")  # Gamma
    assert (magnets_japan["producing"], magnets_japan["sources"]) == (1, "one")
    # a site without a known location counts: it exists, it is only not on the map
    assert _cell(table, "Ni", "mine", "partner")["site_ids"] == "au-delta"
    rows = audit_rows(sample_engine(tmp_path, "chokepoints.db"), action="export")
    assert "chokepoints" in rows["detail"].tolist()


@pytest.mark.parametrize(("query", "words"), [
    ("as_of=2026-13-01", "is not a date"), ("projected=maybe", "neither true nor false"),
    ("commodity=Li", "not a parameter of the chokepoint table"),
])
def test_bad_parameters_are_refused_in_words(query: str, words: str) -> None:
    response = TestClient(starlette_app()).get(f"/api/chokepoints.csv?{query}")
    assert response.status_code == 400
    assert words in response.json()["error"]


def test_the_command_line_prints_the_same_table(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chokepoints", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    route = _read(TestClient(starlette_app()).get("/api/chokepoints.csv").content)
    assert printed["cells"] == len(route) == len(printed["table"])
    assert printed["no_source"] == int((route["sources"] == "none").sum())
    assert printed["single_source"] == int((route["sources"] == "one").sum())
    cell = next(c for c in printed["table"] if (c["commodity"], c["stage"], c["region"])
                == ("Li", "mine", "United States"))
    assert cell["site_ids"] == ["us-alpha", "us-xss"] and cell["permitting"] == 2
    assert main(["chokepoints"]) == 0  # the text table
    text = capsys.readouterr().out
    assert "Li" in text and "0/0/2 !!" in text
    with pytest.raises(SystemExit) as usage:  # argparse: a usage error, in words
        main(["chokepoints", "--as-of", "someday"])
    assert usage.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_the_projected_view_moves_a_site_on_its_projects_projected_completion(
        tmp_path: Path) -> None:
    engine = sample_engine(tmp_path, "chokepoints.db")
    cleared = Principal("analyst", Role.VIEWER, HIGHEST)
    finish = latest_finish(permit_state(engine, TODAY, TODAY).projects)
    assert "us-alpha" in finish, "the sample's Alpha projects have projected completions"
    day = finish["us-alpha"]
    assert day > TODAY, "the sample's Alpha finishes in the future"
    before = chokepoints(engine, day - timedelta(days=1), TODAY, principal=cleared,
                         projected=True).table
    assert _cell(before, "Li", "mine", "United States")["moved"] == 0
    on_the_day = chokepoints(engine, day, TODAY, principal=cleared, projected=True).table
    cell = _cell(on_the_day, "Li", "mine", "United States")
    assert (cell["producing"], cell["permitting"], cell["moved"], cell["sources"]) == (
        1, 1, 1, "one")
    not_projected = chokepoints(engine, day, TODAY, principal=cleared).table
    assert _cell(not_projected, "Li", "mine", "United States")["producing"] == 0


def test_a_marked_site_counts_only_for_those_cleared_for_it(tmp_path: Path) -> None:
    engine = sample_engine(tmp_path, "chokepoints.db")
    assert main(["mark", "site", "us-alpha", "controlled"]) == 0
    public = chokepoints(engine, TODAY, TODAY, principal=Principal("reader", Role.VIEWER,
                                                                  PUBLIC))
    assert "us-alpha" not in ";".join(public.table["site_ids"])
    assert _cell(public.table, "Li", "mine", "United States")["permitting"] == 1
    assert public.marking == PUBLIC
    cleared = chokepoints(engine, TODAY, TODAY, principal=Principal("analyst", Role.VIEWER,
                                                                   HIGHEST))
    assert _cell(cleared.table, "Li", "mine", "United States")["permitting"] == 2
    assert cleared.marking == HIGHEST
    assert cleared.csv().decode("utf-8-sig").splitlines()[0].startswith("# ")
