"""AppTest: laying out a Japanese procedure from a milestone template on the site timeline
(issue 19): on a site with no permitting record yet, in Japanese; the planned dates follow the
statute; the same procedure twice is refused in words and the record is left as it was."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from domain.i18n import language, tr
from domain.settings import load_settings
from mapping import state_keys as keys
from permits.templates import load_templates
from store.permits_repo import load_permit_data
from store.startup import ensure_store
from tests.support.sample_store import use_sample_store

MAIN = str(Path(__file__).resolve().parents[2] / "mapping" / "main.py")
TIMELINE = "pages/timeline_page.py"
START = date(2027, 4, 1)


@pytest.fixture(autouse=True)
def sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sample_store(tmp_path, monkeypatch, "app.db")


def _record_for(site_id: str):  # type: ignore[no-untyped-def]
    settings = load_settings()
    return load_permit_data(ensure_store(settings.database_url, settings.data_dir)).for_site(
        site_id)


def _japanese(text: str) -> str:
    with language("ja"):
        return tr(text)


def _lay(at: AppTest, template_id: str, start: date, title: str = "") -> AppTest:
    at.selectbox(key=keys.PROCEDURE_TEMPLATE).set_value(template_id)
    at.date_input(key=keys.PROCEDURE_START).set_value(start)
    if title:
        at.text_input(key=keys.PROCEDURE_TITLE).input(title)
    at.text_input(key=keys.PROCEDURE_AGENCY).input("福井県")
    at.button(key=keys.PROCEDURE_ADD).click()
    return at.run()


def test_a_site_without_a_record_gets_a_japanese_procedure_planned_by_the_statute() -> None:
    assert _record_for("jp-gamma").projects.empty
    at = AppTest.from_file(MAIN, default_timeout=90)
    at.query_params["lang"] = "ja"
    at.query_params[keys.SITE_PARAM] = "jp-gamma"
    at.run()
    at.switch_page(TIMELINE).run()
    assert not at.exception, at.exception
    assert at.button(key=keys.PROCEDURE_ADD).label == _japanese("Add to the record")
    at = _lay(at, "jp-eia-scoping", START, title="福井 EIA")
    assert not at.exception, at.exception

    record = _record_for("jp-gamma")
    template = load_templates(load_settings().data_dir / "rulesets")["jp-eia-scoping"]
    assert record.projects["title"].tolist() == ["福井 EIA"]
    assert record.actions["action_type"].tolist() == [template.action_type]
    assert record.actions["agency"].tolist() == ["福井県"]
    milestones = record.milestones.sort_values("sequence")
    assert milestones["name"].tolist() == [s.name for s in template.steps]
    action_id = record.actions["action_id"].iloc[0]
    planned = dict(zip(milestones["milestone_id"], milestones["current_target"], strict=True))
    on = {step.id: planned[f"{action_id}-{step.id}"].date() for step in template.steps}
    assert on[template.start] == START
    timed = [step for step in template.steps if step.after]
    assert timed  # the scoping template has statutory periods
    for step in timed:  # each planned from the step it follows, by the statute's gap
        assert on[step.id] == step.planned(on[step.after])
    # the page now shows the new record, and says what was added
    notices = [s.value for s in at.success]
    assert any(str(len(template.steps)) in n for n in notices), notices

    # the same template on the same day again: refused in words, nothing changed
    again = _lay(at, "jp-eia-scoping", START)
    assert not again.exception, again.exception
    refusal = _japanese("This procedure is already in the record ({id}): it was laid out "
                        "from the same template and start date before. Change its "
                        "milestones below, or choose another start date.").format(
                            id=action_id)
    assert refusal != "" and [e.value.replace("\\", "") for e in again.error] == [refusal]
    assert len(_record_for("jp-gamma").milestones) == len(template.steps)


def test_a_second_procedure_goes_on_the_existing_project_and_a_viewer_gets_no_form(
        monkeypatch: pytest.MonkeyPatch) -> None:
    at = AppTest.from_file(MAIN, default_timeout=90)
    at.query_params[keys.SITE_PARAM] = "us-alpha"
    at.run()
    at.switch_page(TIMELINE).run()
    before = _record_for("us-alpha")
    project = before.projects["project_id"].iloc[0]
    assert at.selectbox(key=keys.PROCEDURE_PROJECT).value == project
    at = _lay(at, "jp-mining-right", START)
    assert not at.exception, at.exception
    after = _record_for("us-alpha")
    assert len(after.projects) == len(before.projects)
    added = after.actions[~after.actions["action_id"].isin(before.actions["action_id"])]
    assert added["project_id"].tolist() == [project]
    assert len(after.milestones) > len(before.milestones)
