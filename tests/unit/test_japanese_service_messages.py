"""Messages made below the pages (services, sites, store, permit alerts) come in the page's
language: Japanese under ``language("ja")`` (the compiled catalog's translation, filled with
the same values), and unchanged in English."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

import domain.i18n
from domain.access import OPEN_ACCESS
from domain.errors import NotFoundError
from domain.i18n import tr
from permits.alerts import KIND_LOCKOUT, KIND_PAUSE_OVERRUN, alerts
from permits.frames import PermitData
from permits.schedule import derive_milestones
from services.grid_columns import MAX_GRIDS, parse_grid_ids
from services.layer_styles import checked_raster_style, checked_vector_style
from sites import query_params
from sites.chokepoints import parse_params
from sites.selection import PARAMETERS, parse_selection
from store.accounts import hash_password, valid_role
from store.layer_repo import get_layer, update_layer
from store.startup import ensure_store
from tests.support.fixtures_data import (
    SAMPLE_ACTIONS,
    SAMPLE_MILESTONES,
    SAMPLE_PROJECTS,
    write_data_dir,
)
from tests.support.japanese import both as _both

TODAY = date(2026, 6, 30)


def _japanese(template: str, **values: object) -> str:
    with domain.i18n.language("ja"):
        translated = tr(template)
    assert translated != template, f"no Japanese for {template!r}"
    return translated.format(**values)


def test_a_bad_url_parameter_is_refused_in_the_pages_language() -> None:
    english, japanese = _both(lambda: query_params.flag("projected", "maybe"))
    assert english == "projected must be true or false, not 'maybe'."
    assert japanese == _japanese("{name} must be true or false, not {value}.",
                                 name="projected", value="'maybe'")
    english, japanese = _both(lambda: parse_selection({"colour": "red"}, TODAY))
    assert english == f"Unknown parameter colour: use {', '.join(PARAMETERS)}."
    assert japanese == _japanese("Unknown parameter {unknown}: use {parameters}.",
                                 unknown="colour", parameters=", ".join(PARAMETERS))
    english, japanese = _both(lambda: parse_selection({"as_of": "2027-01-01"}, TODAY))
    assert english == ("as_of 2027-01-01 is after today (2026-06-30): the record can only be "
                       "shown as it stood on a past day or today.")
    assert japanese == _japanese("as_of {value} is after today ({today}): the record can only "
                                 "be shown as it stood on a past day or today.",
                                 value="2027-01-01", today="2026-06-30")


def test_the_chokepoint_table_refuses_a_bad_date_in_japanese() -> None:
    english, japanese = _both(lambda: parse_params({"as_of": "soon"}, TODAY))
    assert english == "as_of 'soon' is not a date: write it as YYYY-MM-DD, e.g. 2027-12-31."
    assert japanese == _japanese("as_of {value} is not a date: write it as YYYY-MM-DD, e.g. "
                                 "{example}.", value="'soon'", example="2027-12-31")
    assert "2027-12-31" in japanese and "'soon'" in japanese


def test_style_and_grid_limits_are_explained_in_japanese() -> None:
    english, japanese = _both(lambda: checked_raster_style("viridis", 5.0, 2.5, 0.5))
    assert english == ("The stretch's low value (5) must be below its high value (2.5); swap "
                       "them or widen the range.")
    assert japanese == _japanese("The stretch's low value ({low}) must be below its high "
                                 "value ({high}); swap them or widen the range.",
                                 low="5", high="2.5")
    english, japanese = _both(lambda: checked_vector_style("red", 2, 0.5))
    assert english == "Colour 'red' is not a colour like #d95f02; pick one."
    assert japanese == _japanese("Colour {colour} is not a colour like #d95f02; pick one.",
                                 colour="'red'")
    ids = ",".join(f"g{i}" for i in range(MAX_GRIDS + 1))
    english, japanese = _both(lambda: parse_grid_ids(ids))
    assert english == (f"{MAX_GRIDS + 1} survey grids were asked for; an export takes up to "
                       f"{MAX_GRIDS}. Choose fewer.")
    assert japanese == _japanese("{n} survey grids were asked for; an export takes up to "
                                 "{most}. Choose fewer.", n=MAX_GRIDS + 1, most=MAX_GRIDS)


def test_account_checks_answer_in_japanese() -> None:
    english, japanese = _both(lambda: valid_role("boss"))
    assert english == "'boss' is not a role: use one of viewer, editor, admin."
    assert japanese == _japanese("'{role}' is not a role: use one of {roles}.", role="boss",
                                 roles="viewer, editor, admin")
    english, japanese = _both(lambda: hash_password("short"))
    assert english.startswith("The password is too short: use at least ")
    assert japanese != english and "パスワード" in japanese


def test_a_missing_or_unnamed_layer_is_refused_in_japanese(database_url: str,
                                                           tmp_path: Path) -> None:
    engine = ensure_store(database_url, write_data_dir(tmp_path / "data"))
    english, japanese = _both(lambda: get_layer(engine, "gone-1"), NotFoundError)
    assert english == ("No survey layer with id 'gone-1'; it may have been deleted. Open the "
                       "layer catalog to see the layers there are.")
    assert japanese == _japanese("No survey layer with id {id}; it may have been deleted. "
                                 "Open the layer catalog to see the layers there are.",
                                 id="'gone-1'")
    english, japanese = _both(lambda: update_layer(engine, "gone-1", name=" ",
                                                   principal=OPEN_ACCESS))
    assert english == "A layer needs a name; type one before saving."
    assert japanese == _japanese(english)


def test_alerts_are_listed_in_the_pages_language() -> None:
    sample = PermitData.from_frames(pd.DataFrame(SAMPLE_PROJECTS),
                                    pd.DataFrame(SAMPLE_ACTIONS),
                                    pd.DataFrame(SAMPLE_MILESTONES))

    def listed(on: date) -> pd.DataFrame:
        derived = derive_milestones(sample, on)
        found = alerts(sample, derived, pd.DataFrame(columns=["status", "due", "message",
                                                              "project_id"]),
                       on, lockout_days=30, warning_days=14, stale_days=90)
        return found.set_index("kind")["message"]

    english = listed(date(2026, 11, 25))
    with domain.i18n.language("ja"):
        japanese = listed(date(2026, 11, 25))
    lock = english[KIND_LOCKOUT]
    assert lock.endswith("(locked now).") and "date changes lock on 2026-11-15" in lock
    name = lock.split(": target ")[0]
    assert japanese[KIND_LOCKOUT] == _japanese(
        "{name}: target {target}; date changes lock on {lock} (locked now).",
        name=name, target="2026-12-15", lock="2026-11-15")
    later = date(2027, 8, 1)
    english_pause = listed(later)[KIND_PAUSE_OVERRUN]
    with domain.i18n.language("ja"):
        japanese_pause = listed(later)[KIND_PAUSE_OVERRUN]
    first_en = english_pause if isinstance(english_pause, str) else english_pause.iloc[0]
    first_ja = japanese_pause if isinstance(japanese_pause, str) else japanese_pause.iloc[0]
    assert "still paused. Next steps: " in first_en
    assert first_ja != first_en and "中断" in first_ja
