"""What a site export holds: parameters read (good and bad), the file name, the selection
(filters, extent across the 180th meridian), and the permitting state on the as-of date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from domain.access import OPEN_ACCESS
from domain.errors import InputError
from services.site_export import site_export
from sites.selection import parse_selection
from store.startup import ensure_store
from tests.support.fixtures_data import write_data_dir

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
COUNTRIES = ("United States", "Japan", "Australia")


@pytest.fixture()
def engine(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    return ensure_store(database_url, write_data_dir(tmp_path / "data"))


def _ids(engine, **params: str) -> list[str]:  # type: ignore[no-untyped-def]
    selection = parse_selection(params, TODAY, COUNTRIES)
    return sorted(site_export(engine, selection, TODAY, NOW, principal=OPEN_ACCESS).columns["id"])


def test_filters_take_symbols_names_and_any_case(engine) -> None:  # type: ignore[no-untyped-def]
    assert _ids(engine, commodity="lithium") == ["us-alpha", "us-xss"]
    assert _ids(engine, commodity="LI") == _ids(engine, commodity="Lithium")
    assert _ids(engine, commodity="li,nd") == ["jp-gamma", "us-alpha", "us-beta", "us-xss"]
    assert _ids(engine, country="japan") == ["jp-gamma"]
    assert _ids(engine, stage="MINE", status="permitting") == ["au-delta", "us-alpha", "us-xss"]
    assert _ids(engine, bbox="-120,30,-100,42") == ["us-alpha", "us-beta", "us-xss"]
    # across the 180th meridian: west 130 to east -100 holds Japan and the western US
    assert _ids(engine, bbox="130,30,-100,42") == ["jp-gamma", "us-alpha", "us-beta",
                                                   "us-xss"]


@pytest.mark.parametrize(("params", "words"), [
    ({"commodity": "kryptonite"}, "commodity 'kryptonite' is not known"),
    ({"stage": "dreaming"}, "stage 'dreaming' is not known: use one of exploration"),
    ({"country": "Atlantis"}, "country 'Atlantis' is not known"),
    ({"bbox": "1,2,3"}, "bbox must be four numbers"),
    ({"bbox": "0,50,10,40"}, "south before north"),
    ({"as_of": "2026-13-01"}, "as_of '2026-13-01' is not a date"),
    ({"as_of": "2027-01-01"}, "after today"),
    ({"colour": "red"}, "Unknown parameter colour"),
])
def test_bad_parameters_say_what_is_wrong(params: dict[str, str], words: str) -> None:
    with pytest.raises(InputError, match=words):
        parse_selection(params, TODAY, COUNTRIES)


def test_rows_are_typed_and_carry_the_permitting_state(engine) -> None:  # type: ignore[no-untyped-def]
    frame = site_export(engine, parse_selection({}, TODAY, COUNTRIES), TODAY, NOW,
                        principal=OPEN_ACCESS)
    alpha = frame.columns.set_index("id").loc["us-alpha"]
    assert alpha["commodities"] == ["Li"] and alpha["commodity_names"] == ["Lithium"]
    assert alpha["schedule_health"] == "paused"  # its Section 404 permit is paused
    assert alpha["next_milestone"] == "Draft EIS published"  # the paused permit waits
    # a day-exact target is written as that day, and says so
    assert alpha["next_milestone_date"] == "2026-12-15"
    assert alpha["next_milestone_date_precision"] == "day"
    assert alpha["slip_days"] == 289  # draft EIS: 2026-03-01 -> 2026-12-15
    assert alpha["as_of"] == TODAY and alpha["exported_at"] == NOW
    delta = frame.columns.set_index("id").loc["au-delta"]
    geometry = dict(zip(frame.columns["id"], frame.geometry, strict=True))
    assert geometry["au-delta"] is None and delta["schedule_health"] == "no permitting record"
    assert frame.crs == "EPSG:4326"


def test_a_past_date_replays_the_history(engine) -> None:  # type: ignore[no-untyped-def]
    selection = parse_selection({"as_of": "2025-06-01", "commodity": "Li"}, TODAY, COUNTRIES)
    alpha = site_export(engine, selection, TODAY, NOW,
                        principal=OPEN_ACCESS).columns.set_index("id").loc["us-alpha"]
    assert alpha["next_milestone"] == "Draft EIS published"
    assert alpha["next_milestone_date"] == "2026-03-01"  # before the target moved
    assert selection.file_stem() == "sites_li_2025-06-01"


@pytest.mark.parametrize("params", [
    {}, {"commodity": "Li,REE", "country": "Japan", "as_of": "2025-06-01"},
    {"stage": "mine", "status": "permitting", "jointly_selected": "true", "q": "alpha",
     "bbox": "130,30,-100,42.5"},
])
def test_a_selection_written_as_url_parameters_reads_back_the_same(params: dict) -> None:
    selection = parse_selection(params, TODAY, COUNTRIES)
    assert parse_selection(selection.url_params(), TODAY, COUNTRIES) == selection
