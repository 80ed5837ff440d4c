"""A procedure laid out from a template, stored (store.permit_procedures): new records only,
refused for a viewer and on a second laying, counted from when they were added."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from domain.access import AccessDenied, Principal, Role
from domain.errors import InputError
from domain.settings import DATA_DIR
from permits.history import record_as_of
from permits.procedures import lay_procedure, new_project
from permits.templates import load_templates
from store.audit import audit_rows
from store.permit_procedures import add_procedure
from store.permits_repo import load_changes, load_permit_data
from tests.support.fixtures_data import write_data_dir
from tests.support.sample_store import sample_engine

TEMPLATE = load_templates(DATA_DIR / "rulesets")["jp-eia-scoping"]
EDITOR = Principal("ada", Role.EDITOR, "public")
ADDED = datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    write_data_dir(tmp_path / "data")
    return sample_engine(tmp_path)


def _laid(start: date = date(2027, 4, 1)):  # type: ignore[no-untyped-def]
    project = new_project("jp-gamma", "Gamma EIA", source="test")
    return lay_procedure(TEMPLATE, project, start, agency="MOE", source="test", new=True)


def test_an_editor_adds_the_project_action_and_milestones_once(engine: Engine) -> None:
    assert add_procedure(engine, EDITOR, _laid(), template_id=TEMPLATE.id,
                         now=ADDED) == len(TEMPLATE.steps)
    stored = load_permit_data(engine).for_site("jp-gamma")
    assert (len(stored.projects), len(stored.actions), len(stored.milestones)) == (
        1, 1, len(TEMPLATE.steps))
    assert set(stored.milestones["version"]) == {1}
    details = audit_rows(engine, action="timeline-edit")["detail"].tolist()
    assert any("laid out template jp-eia-scoping" in d for d in details), details
    # counted from when they were added: the day before, the site had no record
    before = record_as_of(load_permit_data(engine), load_changes(engine), date(2026, 11, 30))
    assert before.for_site("jp-gamma").projects.empty

    with pytest.raises(InputError, match="already in the record"):
        add_procedure(engine, EDITOR, _laid(), template_id=TEMPLATE.id)
    again = load_permit_data(engine).for_site("jp-gamma")
    assert len(again.milestones) == len(TEMPLATE.steps)


def test_a_viewer_is_refused_and_nothing_is_stored(engine: Engine) -> None:
    viewer = Principal("bo", Role.VIEWER, "public")
    with pytest.raises(AccessDenied):
        add_procedure(engine, viewer, _laid(), template_id=TEMPLATE.id)
    assert load_permit_data(engine).for_site("jp-gamma").projects.empty
