"""Build or refresh the cross-walk from the store's records: curated deposits against every
imported deposit table, sites against every deposit (``permitmap crosswalk``)."""

from __future__ import annotations

from sqlalchemy import Engine

from domain.access import Principal
from sites.crosswalk import DEPOSIT_KM, SITE_KM, deposit_links, site_deposit_links
from store.crosswalk_repo import RefreshSummary, refresh_links
from store.records import CURATED_DATASET, deposit_names, load_sites


def refresh_crosswalk(engine: Engine, *, principal: Principal, deposit_km: float = DEPOSIT_KM,
                      site_km: float = SITE_KM) -> RefreshSummary:
    """Find the candidate links and store them; decisions made before are kept."""
    deposits = deposit_names(engine)
    curated = deposits[deposits["dataset"] == CURATED_DATASET]
    imported = deposits[deposits["dataset"] != CURATED_DATASET]
    found = deposit_links(curated, imported, deposit_km)
    found += site_deposit_links(load_sites(engine), deposits, site_km)
    return refresh_links(engine, found, principal=principal)
