"""AppTest: the site timeline, its history replay and edit form, the portfolio, the alerts and
the map coloured by schedule health, on the sample permitting record
(tests/support/fixtures_data.py).

Dates that the lock-out depends on are set relative to today in the store, so the tests do
not expire; the as-of views use fixed dates.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from domain.access import OPEN_ACCESS
from domain.settings import load_settings
from permits.editing import plan_milestone_edit
from permits.portfolio import GROUPINGS
from store.db import bump_revision
from store.permit_tables import permit_milestones
from store.permits_repo import get_record, load_changes, save_edit
from store.startup import ensure_store
from tests.support.fixtures_data import write_data_dir
from tests.support.sample_store import use_sample_store

MAIN = str(Path(__file__).resolve().parents[2] / "mapping" / "main.py")
TIMELINE = "pages/timeline_page.py"
SAVE = "Save the change"


@pytest.fixture(autouse=True)
def sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sample_store(tmp_path, monkeypatch, "app.db")


def _engine() -> Engine:
    settings = load_settings()
    return ensure_store(settings.database_url, settings.data_dir)


def _set_targets(**days_from_today: int) -> None:
    """Move current targets (milestone id -> days from today) without a history entry."""
    with Session(_engine()) as session, session.begin():
        for milestone_id, days in days_from_today.items():
            session.execute(update(permit_milestones)
                            .where(permit_milestones.c.milestone_id == milestone_id)
                            .values(current_target=date.today() + timedelta(days=days)))
        bump_revision(session)


def _page(page: str, **query: str) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at.switch_page(page).run()


def _texts(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "error", "warning", "info", "success", "caption")
             for e in getattr(at, kind)]
    return "\n".join(str(p).replace("\\", "") for p in parts)


def _frame_with(at: AppTest, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _target(at: AppTest, name: str) -> pd.Timestamp:
    table = _frame_with(at, "current_target")
    return pd.Timestamp(table.loc[table["name"] == name, "current_target"].iloc[0])


def _fill(at: AppTest, milestone_id: str, *, reason: str | None = None, who: str = "Ada",
          extension: str | None = None, **dates: date) -> AppTest:
    at.selectbox(key="edit_milestone").set_value(milestone_id).run()
    for field, value in dates.items():
        at.date_input(key=f"edit_{field}_{milestone_id}_0").set_value(value)
    if reason is not None:
        at.selectbox(key=f"edit_reason_choice_{milestone_id}_0").set_value(reason)
    if extension is not None:
        at.radio(key=f"edit_extension_{milestone_id}_0").set_value(extension)
    at.text_input(key=f"edit_who_{milestone_id}_0").input(who)
    next(b for b in at.button if b.label == SAVE).click()
    return at.run()


def _form_changes() -> pd.DataFrame:
    changes = load_changes(_engine())
    return changes[changes["kind"] != "source"]


def test_timeline_shows_breach_pause_and_figures() -> None:
    at = _page(TIMELINE, site="us-alpha")
    assert not at.exception
    assert any(h.value == "Alpha Lithium Mine" for h in at.subheader)
    text = _texts(at)
    assert ("Record of decision signed due 2027-03-01 under the EIS within 2 years clock "
            "(from 2025-03-01); current target 2027-09-30 exceeds it by 213 days.") in text
    assert any("exceeds it by 213 days" in e.value.replace("\\", "") for e in at.error)
    paused = next(w.value for w in at.warning if "Paused" in w.value).replace("\\", "")
    assert "Section 404 Clean Water Act (USACE) since 2026-01-15" in paused
    assert "Project Sponsor Factors" in paused and "revised mitigation plan" in paused
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Complete"] == "25 %" and metrics["Projected completion"] == "2027-09-30"
    assert len(at.get("vega_lite_chart")) == 1  # the Gantt chart
    assert at.query_params["site"] == "us-alpha"


def test_as_of_replays_the_history() -> None:
    past = _page(TIMELINE, site="us-alpha", as_of="2025-06-01")
    assert not past.exception
    assert _target(past, "Draft EIS published") == pd.Timestamp("2026-03-01")
    assert past.query_params["as_of"] == "2025-06-01"
    assert any("set “View as of” back to today" in i.value for i in past.info)  # no editing
    assert not any("Paused" in w.value for w in past.warning)  # the pause began in 2026
    now = _page(TIMELINE, site="us-alpha")
    assert _target(now, "Draft EIS published") == pd.Timestamp("2026-12-15")
    assert "as_of" not in now.query_params


def test_the_as_of_date_follows_the_user_from_page_to_page() -> None:
    at = _page(TIMELINE, site="us-alpha")
    at.date_input(key="as_of_input").set_value(date(2025, 6, 1)).run()
    assert _target(at, "Draft EIS published") == pd.Timestamp("2026-03-01")
    assert at.query_params["as_of"] == "2025-06-01"
    at.switch_page("pages/portfolio_page.py").run()
    assert not at.exception
    assert at.date_input(key="as_of_input").value == date(2025, 6, 1)
    assert at.query_params["as_of"] == "2025-06-01"


def test_a_bad_as_of_date_warns_and_shows_today() -> None:
    at = _page(TIMELINE, site="us-alpha", as_of="2025-13-45")
    assert not at.exception
    assert any("not a date written YYYY-MM-DD" in w.value for w in at.warning)
    assert at.date_input(key="as_of_input").value == date.today()


def test_a_site_without_record_says_so() -> None:
    at = _page(TIMELINE, site="jp-gamma")
    assert not at.exception
    assert any("No permitting record for this site" in i.value for i in at.info)


def test_a_valid_change_saves_and_enters_the_history() -> None:
    _set_targets(**{"pm-alpha-rod": 200})
    at = _page(TIMELINE, site="us-alpha")
    new = date.today() + timedelta(days=260)
    _fill(at, "pm-alpha-rod", reason="Litigation or court order", current_target=new)
    assert not at.exception
    assert any("Saved: current target" in s.value.replace("\\", "") for s in at.success)
    stored = get_record(_engine(), "milestone", "pm-alpha-rod")
    assert stored["current_target"] == new and stored["version"] == 2
    history = _frame_with(at, "who")
    row = history[(history["field"] == "current_target") & (history["who"] == "Ada")]
    assert row["after"].tolist() == [new.isoformat()]
    assert row["reason"].tolist() == ["Litigation or court order"]
    assert at.session_state["editor_name"] == "Ada"  # remembered for the next form
    # a fresh form with the stored values
    assert at.date_input(key="edit_current_target_pm-alpha-rod_1").value == new
    assert at.selectbox(key="edit_reason_choice_pm-alpha-rod_1").value is None
    assert at.text_input(key="edit_who_pm-alpha-rod_1").value == "Ada"


def test_a_change_without_reason_is_refused_and_nothing_stored() -> None:
    _set_targets(**{"pm-alpha-rod": 200})
    at = _page(TIMELINE, site="us-alpha")
    new = date.today() + timedelta(days=230)
    _fill(at, "pm-alpha-rod", current_target=new)
    assert not at.exception
    assert any("needs a reason" in e.value for e in at.error)
    assert get_record(_engine(), "milestone", "pm-alpha-rod")["version"] == 1
    assert _form_changes().empty
    # the entry is still in the form
    assert at.date_input(key="edit_current_target_pm-alpha-rod_0").value == new


def test_the_lockout_refuses_unless_recorded_as_an_extension() -> None:
    _set_targets(**{"pm-alpha-deis": 10})
    at = _page(TIMELINE, site="us-alpha")
    new = date.today() + timedelta(days=90)
    _fill(at, "pm-alpha-deis", reason="Additional analysis required", current_target=new)
    assert any("locked out" in e.value for e in at.error)
    assert _form_changes().empty
    _fill(at, "pm-alpha-deis", reason="Additional analysis required", current_target=new,
          extension="Approved")
    assert not at.exception
    assert any(s.value.startswith("Saved") for s in at.success)
    assert get_record(_engine(), "milestone", "pm-alpha-deis")["current_target"] == new
    assert set(_form_changes()["kind"]) == {"extension approved"}


def test_a_concurrent_save_is_shown_and_nothing_from_the_form_is_stored() -> None:
    _set_targets(**{"pm-alpha-rod": 200})
    at = _page(TIMELINE, site="us-alpha")
    at.selectbox(key="edit_milestone").set_value("pm-alpha-rod").run()  # the form reads v1
    engine = _engine()
    current = get_record(engine, "milestone", "pm-alpha-rod")
    theirs = date.today() + timedelta(days=300)
    plan = plan_milestone_edit(current, {"current_target": theirs},
                               reason="Change in scope of project", today=date.today(),
                               lockout_days=30)
    save_edit(engine, "milestone", "pm-alpha-rod", current["version"], plan, who="Grace",
              reason="Change in scope of project", principal=OPEN_ACCESS)
    mine = date.today() + timedelta(days=250)
    _fill(at, "pm-alpha-rod", reason="Litigation or court order", current_target=mine)
    assert not at.exception
    error = next(e.value for e in at.error if "Grace" in e.value).replace("\\", "")
    assert "Grace saved a change" in error and theirs.isoformat() in error
    stored = get_record(engine, "milestone", "pm-alpha-rod")
    assert stored["current_target"] == theirs and stored["version"] == 2
    assert set(_form_changes()["who"]) == {"Grace"}
    assert at.date_input(key="edit_current_target_pm-alpha-rod_0").value == mine  # kept


def test_portfolio_renders_measures_for_each_grouping() -> None:
    at = _page("pages/portfolio_page.py")
    assert not at.exception
    for grouping in GROUPINGS:
        at.radio(key="portfolio_group").set_value(grouping).run()
        assert not at.exception
        measures = _frame_with(at, grouping)
        assert len(measures) >= 1 and "on_time_share" in measures.columns
    projects = _frame_with(at, "timeline")
    assert "timeline?site=us-alpha" in set(projects["timeline"])
    assert "./?site=us-alpha" in set(projects["map"])  # the map, centred on the site


def test_alerts_list_the_lockout_and_the_rule_breach() -> None:
    at = _page("pages/alerts_page.py", as_of="2026-11-20")
    assert not at.exception
    counts = {m.label: m.value for m in at.metric}
    assert counts["Entering the lock-out"] == "1" and counts["Rule-set breach"] == "1"
    text = _texts(at)
    assert "Draft EIS published: target 2026-12-15; date changes lock on 2026-11-15" in text
    assert "exceeds it by 213 days" in text
    assert "(timeline?site=us-alpha&as_of=2026-11-20)" in text
    assert "[on the map](./?site=us-alpha)" in text


def test_pages_explain_an_empty_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERMITMAP_DB_PATH", str(tmp_path / "empty.db"))
    monkeypatch.setenv("PERMITMAP_DATA_DIR",
                       str(write_data_dir(tmp_path / "empty", permits=False)))
    for page in (TIMELINE, "pages/portfolio_page.py", "pages/alerts_page.py"):
        at = _page(page, site="us-alpha")
        assert not at.exception, page
        assert at.info or at.success, page


def test_map_coloured_by_schedule_health() -> None:
    at = _page("pages/map_page.py", colour="health", site="us-alpha")
    assert not at.exception
    assert at.radio(key="f_colour").value == "health"
    assert at.query_params["colour"] == "health"
    links = [e for e in at.get("page_link")]
    assert links and "Permitting timeline (paused)" in links[0].proto.label


def test_an_action_is_paused_with_reason_and_next_steps_then_resumed() -> None:
    at = _page(TIMELINE, site="us-alpha")
    at.selectbox(key="action_edit").set_value("pm-alpha-eis").run()
    key = "action_{}_pm-alpha-eis_0".format
    at.selectbox(key=key("status")).set_value("Paused")
    at.text_input(key=key("who")).input("Ada")
    at.button[[b.label for b in at.button].index("Save the action")].click().run()
    assert any("needs its reason" in e.value for e in at.error)  # refused, nothing stored
    assert get_record(_engine(), "action", "pm-alpha-eis")["version"] == 1
    at.selectbox(key=key("pause_reason")).set_value("Litigation")
    at.text_area(key=key("pause_next_steps")).input("Await the court's ruling.")
    at.button[[b.label for b in at.button].index("Save the action")].click().run()
    assert not at.exception
    stored = get_record(_engine(), "action", "pm-alpha-eis")
    assert (stored["status"], stored["pause_reason"], stored["pause_start"]) == (
        "Paused", "Litigation", date.today())
    history = load_changes(_engine())
    assert set(history.loc[history["entity"] == "action", "field"]) == {
        "status", "pause_start", "pause_reason", "pause_next_steps"}
