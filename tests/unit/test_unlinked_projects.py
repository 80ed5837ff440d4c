"""Permitting projects without a site are listed as "not linked to a site" with the importer's
reason, in ``permits report`` and on the pages, never under a blank site."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from commands.main import main
from permits.status_report import NO_SITE_GIVEN
from store.permits_repo import unlinked_reasons
from tests.support.sample_store import sample_engine, use_sample_store
from tests.unit.test_dashboard_import import content, write_csv

MAIN = str(Path(__file__).resolve().parents[2] / "mapping" / "main.py")


@pytest.fixture(autouse=True)
def sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sample_store(tmp_path, monkeypatch, "unlinked.db")


def _import(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    path = write_csv(tmp_path / "dashboard.csv", content())
    assert main(["permits", "import", str(path), *extra]) == 0
    return capsys.readouterr().out


def test_the_report_lists_them_with_the_importers_reason(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _import(tmp_path, capsys)
    reasons = unlinked_reasons(sample_engine(tmp_path, "unlinked.db"))
    assert set(reasons) == {"fpd-101", "fpd-102"}  # no sample site is Stibnite or Thacker Pass
    assert all(reason and reason != NO_SITE_GIVEN for reason in reasons.values())
    assert main(["permits", "report", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert all(site["site_id"] for site in report["sites"])  # nothing under a blank site
    unlinked = {p["project_id"]: p for p in report["not_linked_to_a_site"]}
    assert set(unlinked) == {"fpd-101", "fpd-102"}
    assert unlinked["fpd-101"]["title"] == "Stibnite Gold Project"
    assert unlinked["fpd-101"]["reason"] == reasons["fpd-101"]
    assert main(["permits", "report"]) == 0
    text = capsys.readouterr().out
    assert "not linked to a site: 2 projects" in text
    assert f"fpd-101 Stibnite Gold Project: {reasons['fpd-101']}" in text


def test_a_project_linked_by_a_later_import_is_no_longer_listed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _import(tmp_path, capsys)
    _import(tmp_path, capsys, "--link", "101=us-alpha")
    assert set(unlinked_reasons(sample_engine(tmp_path, "unlinked.db"))) == {"fpd-102"}
    assert main(["permits", "report", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [p["project_id"] for p in report["not_linked_to_a_site"]] == ["fpd-102"]
    assert any("fpd-101" in site["projects"] for site in report["sites"]
               if site["site_id"] == "us-alpha")


def test_the_pages_say_not_linked_to_a_site_and_why(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _import(tmp_path, capsys)
    reason = unlinked_reasons(sample_engine(tmp_path, "unlinked.db"))["fpd-101"]
    at = AppTest.from_file(MAIN, default_timeout=90).run()
    at.switch_page("pages/portfolio_page.py").run()
    assert not at.exception
    projects = next(d.value for d in at.dataframe if "title" in d.value.columns)
    stibnite = projects[projects["title"] == "Stibnite Gold Project"]
    assert stibnite["site"].tolist() == [f"not linked to a site: {reason}"]
    assert (projects["site"] != "").all()
    at.switch_page("pages/alerts_page.py").run()
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown)
    assert "no linked site" not in text
    if "Stibnite Gold Project" in text:  # the sample dashboard raises alerts for it
        assert "not linked to a site (" in text
