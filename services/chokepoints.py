"""The chokepoint view from the store, as someone may see it: for the command line, the CSV
download and the briefing pack (the page computes the same table from its caches).

A site the reader's clearance does not reach is not counted, and one whose commodities,
stage, status or country are withheld from them counts only by what they may read; the
table's marking is the highest of the sites it counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from domain.access import Action, Principal
from domain.settings import DATA_DIR, load_settings
from exports.marking import csv_text
from services.site_export import permit_state, readable_sites
from sites.chokepoints import chokepoint_table, latest_finish, read_regions
from store.acting import marking_of, require
from store.audit import record_now


@dataclass(frozen=True)
class Chokepoints:
    """The table (:data:`sites.chokepoints.COLUMNS`), its date, whether projected, and the
    highest marking of the sites it counts."""

    table: pd.DataFrame
    as_of: date
    projected: bool
    marking: str

    def csv(self) -> bytes:
        """CSV with the marking line first, as every CSV export."""
        return csv_text(self.table, self.marking).encode("utf-8")

    def file_name(self) -> str:
        return f"chokepoints_{self.as_of.isoformat()}{'_projected' if self.projected else ''}.csv"


def regions_file() -> Path:
    """``regions.csv`` of the configured data folder, else the bundled one (an office's own
    data folder need not have it)."""
    path = load_settings().data_dir / "regions.csv"
    return path if path.is_file() else DATA_DIR / "regions.csv"


def chokepoints(engine: Engine, as_of: date, today: date, *, principal: Principal,
                projected: bool = False, sites: pd.DataFrame | None = None,
                audit: bool = True) -> Chokepoints:
    """The table on ``as_of`` over the sites ``principal`` may see (or over ``sites``, a
    selection of them); ``projected``: permitting projects finish on their projected dates.
    Audited as an export of the table unless ``audit`` is False (a part of another export,
    audited there)."""
    require(engine, principal, Action.EXPORT, "chokepoints", f"as_of={as_of.isoformat()}")
    visible = readable_sites(engine, principal) if sites is None else sites
    finish = None
    if projected:
        # projected from the record of the day (today's for a later day: what is known now)
        projects = permit_state(engine, min(as_of, today), today).projects
        finish = latest_finish(projects[projects["site_id"].isin(visible["id"])])
    table = chokepoint_table(visible, read_regions(regions_file()), finish, as_of)
    counted = set(";".join(table["site_ids"]).split(";")) - {""}
    marking = marking_of(visible.loc[visible["id"].isin(counted), "marking"]
                         if "marking" in visible.columns else None)
    result = Chokepoints(table, as_of, projected, marking)
    if audit:
        record_now(engine, principal, "export", target=f"as_of={as_of.isoformat()}",
                   detail=f"chokepoints{' projected' if projected else ''}",
                   records=len(counted), marking=marking)
    return result
