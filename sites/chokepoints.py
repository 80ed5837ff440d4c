"""Where a supply chain hangs on one source or none: commodity × supply-chain stage, for the
United States, Japan, the partner countries and the rest of the world (framework I.9).

A cell counts the sites that carry the commodity and work at the stage, in the region, by
development status: producing, under construction, in permitting (permitting or permitted,
not yet building). It reads the sites as the map's filter does (:func:`sites.filters.
commodity_mask`: a group such as REE stands for its members; a site counts at each of its
stages), so a cell opens exactly its sites on the map (:func:`cell_filter`). A cell with no
producing site has no source; with one, a single source.

``projected``: a site in permitting or under construction whose permitting projects are all
projected to finish by the as-of date (the timelines' projected completion) counts as
producing there, and the cell says how many moved.

>>> import pandas as pd
>>> sites = pd.DataFrame({"id": ["a", "b", "c"], "commodities": ["Nd", "Nd;Dy", "Li"],
...     "stage": ["permanent magnet", "permanent magnet", "mine"], "other_stages": ["", "", ""],
...     "status": ["producer", "permitting", "producer"],
...     "country": ["Japan", "United States", "Chile"]})
>>> table = chokepoint_table(sites, {"Japan": "Japan", "United States": "United States"})
>>> cell = table[(table["commodity"] == "Nd") & (table["region"] == "United States")]
>>> cell[["producing", "permitting", "sources"]].to_dict("records")
[{'producing': 0, 'permitting': 1, 'sources': 'none'}]
>>> moved = chokepoint_table(sites, {"United States": "United States"},
...     projected_finish={"b": date(2027, 3, 1)}, as_of=date(2027, 6, 30))
>>> moved[(moved["commodity"] == "Nd") & (moved["region"] == "United States")][
...     ["producing", "permitting", "moved", "sources"]].to_dict("records")
[{'producing': 1, 'permitting': 0, 'moved': 1, 'sources': 'one'}]
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from domain.errors import InputError
from domain.i18n import N_, tr
from domain.vocab import DevStatus, Stage, commodity_label, split_codes
from sites.filters import SiteFilter, all_stages, code_matrix, commodity_masks

#: The stages of the chain the view crosses, in the chain's order.
CHAIN_STAGES = (Stage.MINE, Stage.SEPARATION_REFINING, Stage.METAL_ALLOY, Stage.MAGNET,
                Stage.BATTERY, Stage.RECYCLING, Stage.STOCKPILE)
US, JAPAN, PARTNER, REST = "United States", "Japan", "partner", "rest"
REGIONS = (US, JAPAN, PARTNER, REST)
#: English names (shown with ``tr``).
REGION_LABELS = {US: N_("United States"), JAPAN: N_("Japan"), PARTNER: N_("partner countries"),
                 REST: N_("rest of the world")}
#: Development statuses counted, by the column that counts them.
STATES: dict[str, tuple[str, ...]] = {
    "producing": (DevStatus.PRODUCER,),
    "construction": (DevStatus.CONSTRUCTION,),
    "permitting": (DevStatus.PERMITTING, DevStatus.PERMITTED),
}
COUNTED = tuple(s for statuses in STATES.values() for s in statuses)
COLUMNS = ["commodity", "commodity_name", "stage", "region", "producing", "construction",
           "permitting", "moved", "sources", "site_ids"]


def read_regions(path: Path) -> dict[str, str]:
    """``data/regions.csv``: country (as the sites spell it) -> United States, Japan or
    partner; a country not listed is in the rest of the world."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["country"].strip(): row["region"].strip() for row in csv.DictReader(handle)}


def region_of(countries: pd.Series, regions: Mapping[str, str]) -> pd.Series:
    """Each site's region from its country."""
    return countries.fillna("").map(lambda c: regions.get(c, REST)).astype(str)


def chokepoint_table(sites: pd.DataFrame, regions: Mapping[str, str],
                     projected_finish: Mapping[str, date] | None = None,
                     as_of: date | None = None) -> pd.DataFrame:
    """One row per commodity, chain stage and region (:data:`COLUMNS`), for every commodity
    and stage that at least one counted site anywhere has; ``site_ids``: the cell's sites
    (all counted states), ``sources``: none, one or several producing.

    ``projected_finish``: site id -> the latest projected completion of its permitting
    projects; given with ``as_of``, what finishes by then counts as producing."""
    sites = sites.assign(**{c: sites[c].fillna("").astype(str)
                            for c in ("commodities", "stage", "other_stages", "status")})
    status = sites["status"]
    if projected_finish and as_of is not None:
        done = sites["id"].map(lambda i: projected_finish.get(i)).map(
            lambda d: d is not None and d <= as_of).astype(bool)
        building = status.isin([*STATES["construction"], *STATES["permitting"]])
        moved = (done & building).to_numpy()
        status = status.mask(done & building, DevStatus.PRODUCER.value)
    else:
        moved = np.zeros(len(sites), dtype=bool)
    counted = status.isin(COUNTED).to_numpy()
    state_masks = {name: status.isin(values).to_numpy() for name, values in STATES.items()}
    region = region_of(sites["country"], regions).to_numpy()
    ids = sites["id"].astype(str).to_numpy()
    codes = sorted({c for text in sites.loc[counted, "commodities"] for c in split_codes(text)})
    stages = code_matrix(all_stages(sites))
    at_stage = {stage: stages[stage.value].to_numpy() if stage.value in stages.columns
                else np.zeros(len(sites), dtype=bool) for stage in CHAIN_STAGES}
    rows = []
    for code, carries in zip(codes, commodity_masks(sites, [(c,) for c in codes]), strict=True):
        has_commodity = carries & counted
        for stage in CHAIN_STAGES:
            in_cell = has_commodity & at_stage[stage]
            if not in_cell.any():
                continue
            for name in REGIONS:
                here = in_cell & (region == name)
                counts = {state: int((here & mask).sum()) for state, mask in state_masks.items()}
                rows.append({"commodity": code, "commodity_name": commodity_label(code),
                             "stage": stage.value, "region": name, **counts,
                             "moved": int((here & moved).sum()),
                             "sources": _sources(counts["producing"]),
                             "site_ids": ";".join(sorted(ids[here]))})
    return pd.DataFrame(rows, columns=COLUMNS)


def latest_finish(projects: pd.DataFrame) -> dict[str, date]:
    """Site id -> the latest projected completion of its permitting projects (a project
    summary: ``site_id``, ``projected_completion``); a site with a project that has no
    projected completion is left out (it is not known to finish)."""
    linked = projects[projects["site_id"].fillna("").astype(str) != ""]
    finish = pd.to_datetime(linked["projected_completion"], errors="coerce")
    out: dict[str, date] = {}
    for site_id, days in finish.groupby(linked["site_id"].astype(str)):
        if days.notna().all():
            out[site_id] = days.max().date()
    return out


def parse_params(params: Mapping[str, str], today: date) -> tuple[date, bool]:
    """``as_of`` (YYYY-MM-DD, default today; a later day looks ahead, as with ``projected``)
    and ``projected`` (true or false) from a URL's parameters; InputError says what is wrong."""
    unknown = sorted(set(params) - {"as_of", "projected"})
    if unknown:
        raise InputError(tr("{unknown}: not a parameter of the chokepoint table; it takes "
                            "as_of=YYYY-MM-DD and projected=true.").format(
                                unknown=", ".join(unknown)))
    text = params.get("as_of", "").strip()
    try:
        as_of = date.fromisoformat(text) if text else today
    except ValueError:
        raise InputError(tr("as_of {value} is not a date: write it as YYYY-MM-DD, e.g. "
                            "{example}.").format(value=repr(text), example="2027-12-31")) from None
    flag = params.get("projected", "false").strip().lower()
    if flag not in {"true", "false", "1", "0", ""}:
        raise InputError(tr("projected {value} is neither true nor false.").format(
            value=repr(flag)))
    return as_of, flag in {"true", "1"}


def _sources(producing: int) -> str:
    return "none" if producing == 0 else "one" if producing == 1 else "several"


def cell_filter(commodity: str, stage: str, region: str, sites: pd.DataFrame,
                regions: Mapping[str, str]) -> SiteFilter:
    """The map's filter that shows exactly one cell's sites (the countries of its region
    among ``sites``, the counted statuses)."""
    in_region = region_of(sites["country"], regions) == region
    countries = tuple(sorted(set(sites.loc[in_region, "country"].dropna().astype(str))))
    return SiteFilter(commodities=(commodity,), stages=(stage,),
                      statuses=tuple(str(s) for s in COUNTED), countries=countries)
