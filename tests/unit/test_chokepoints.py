"""The chokepoint table on a small built dataset, every figure counted by hand."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from domain.settings import DATA_DIR
from sites.chokepoints import (
    CHAIN_STAGES,
    REGIONS,
    cell_filter,
    chokepoint_table,
    latest_finish,
    read_regions,
)
from sites.filters import filter_sites

REGION_OF = {"United States": "United States", "Japan": "Japan", "Australia": "partner",
             "Canada": "partner"}


def _site(ident: str, commodities: str, stage: str, status: str, country: str,
          other_stages: str = "") -> dict[str, str]:
    return {"id": ident, "commodities": commodities, "stage": stage, "status": status,
            "country": country, "other_stages": other_stages}


SITES = pd.DataFrame([
    _site("jp-mag", "Nd;Pr", "permanent magnet", "producer", "Japan"),
    _site("us-mag-a", "Nd", "permanent magnet", "construction", "United States"),
    _site("us-mag-b", "Nd", "permanent magnet", "permitting", "United States"),
    _site("us-sep", "REE", "separation/refining", "producer", "United States",
          other_stages="metal/alloy"),
    _site("au-mine-1", "REE", "mine", "producer", "Australia"),
    _site("au-mine-2", "REE", "mine", "producer", "Australia"),
    _site("cn-mine", "REE", "mine", "producer", "China"),
    _site("ca-li", "Li", "mine", "permitted", "Canada"),
    _site("us-li-x", "Li;Sb", "mine", "exploration", "United States"),  # not counted
    _site("us-cat", "Pt", "catalyst", "producer", "United States"),  # not a chain stage
])


def _cell(table: pd.DataFrame, commodity: str, stage: str, region: str) -> dict[str, object]:
    rows = table[(table["commodity"] == commodity) & (table["stage"] == stage)
                 & (table["region"] == region)]
    assert len(rows) == 1, (commodity, stage, region)
    return dict(rows.iloc[0])


def test_counts_by_state_and_sources_by_hand() -> None:
    table = chokepoint_table(SITES, REGION_OF)
    nd_magnets_us = _cell(table, "Nd", "permanent magnet", "United States")
    assert (nd_magnets_us["producing"], nd_magnets_us["construction"],
            nd_magnets_us["permitting"], nd_magnets_us["sources"]) == (0, 1, 1, "none")
    assert nd_magnets_us["site_ids"] == "us-mag-a;us-mag-b"
    nd_magnets_japan = _cell(table, "Nd", "permanent magnet", "Japan")
    assert (nd_magnets_japan["producing"], nd_magnets_japan["sources"]) == (1, "one")
    ree_mines = {r: _cell(table, "REE", "mine", r) for r in REGIONS}
    assert [ree_mines[r]["producing"] for r in REGIONS] == [0, 0, 2, 1]
    assert [ree_mines[r]["sources"] for r in REGIONS] == ["none", "none", "several", "one"]
    # REE stands for its members, as on the map: the Nd magnet makers are REE magnet makers
    assert _cell(table, "REE", "permanent magnet", "Japan")["producing"] == 1
    # a site counts at its other stages too
    assert _cell(table, "REE", "metal/alloy", "United States")["producing"] == 1
    li_mines_partner = _cell(table, "Li", "mine", "partner")
    assert (li_mines_partner["producing"], li_mines_partner["permitting"]) == (0, 1)


def test_what_is_not_counted_makes_no_row() -> None:
    table = chokepoint_table(SITES, REGION_OF)
    assert "Sb" not in set(table["commodity"])  # only on an exploration site
    assert "Pt" not in set(table["commodity"])  # a catalyst plant: not a stage of the chain
    assert set(table["stage"]) <= {s.value for s in CHAIN_STAGES}
    assert "us-li-x" not in ";".join(table["site_ids"])
    # every commodity-stage pair with a row has all four regions
    assert (table.groupby(["commodity", "stage"])["region"].nunique() == len(REGIONS)).all()


def test_the_projected_view_moves_a_project_to_producing_on_its_date() -> None:
    finish = {"us-mag-a": date(2027, 6, 30), "us-mag-b": date(2029, 1, 1)}
    before = chokepoint_table(SITES, REGION_OF, projected_finish=finish, as_of=date(2027, 6, 29))
    cell = _cell(before, "Nd", "permanent magnet", "United States")
    assert (cell["producing"], cell["construction"], cell["moved"]) == (0, 1, 0)
    on_the_day = chokepoint_table(SITES, REGION_OF, projected_finish=finish,
                                  as_of=date(2027, 6, 30))
    cell = _cell(on_the_day, "Nd", "permanent magnet", "United States")
    assert (cell["producing"], cell["construction"], cell["permitting"], cell["moved"],
            cell["sources"]) == (1, 0, 1, 1, "one")
    later = chokepoint_table(SITES, REGION_OF, projected_finish=finish, as_of=date(2029, 1, 1))
    cell = _cell(later, "Nd", "permanent magnet", "United States")
    assert (cell["producing"], cell["moved"], cell["sources"]) == (2, 2, "several")


def test_a_site_finishes_when_its_last_project_does() -> None:
    projects = pd.DataFrame({
        "site_id": ["a", "a", "b", "b", None],
        "projected_completion": ["2027-01-01", "2028-05-01", "2027-01-01", None, "2026-01-01"],
    })
    assert latest_finish(projects) == {"a": date(2028, 5, 1)}  # b's second has no date


@pytest.mark.parametrize(("commodity", "stage", "region"), [
    ("Nd", "permanent magnet", "United States"), ("REE", "mine", "partner"),
    ("REE", "mine", "rest"), ("REE", "permanent magnet", "Japan"), ("Li", "mine", "partner"),
])
def test_a_cell_opens_exactly_its_sites_with_the_maps_filter(commodity: str, stage: str,
                                                            region: str) -> None:
    table = chokepoint_table(SITES, REGION_OF)
    cell = _cell(table, commodity, stage, region)
    shown = filter_sites(SITES, cell_filter(commodity, stage, region, SITES, REGION_OF))
    assert ";".join(sorted(shown["id"])) == cell["site_ids"]


def test_the_bundled_regions_file_names_the_participants_and_partners() -> None:
    regions = read_regions(DATA_DIR / "regions.csv")
    assert regions["United States"] == "United States" and regions["Japan"] == "Japan"
    assert regions["Australia"] == "partner" and "China" not in regions
    bundled = pd.read_csv(DATA_DIR / "sites.csv", dtype=str)
    table = chokepoint_table(bundled, regions)
    assert not table.empty and set(table["region"]) == set(REGIONS)
