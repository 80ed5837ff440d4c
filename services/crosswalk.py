"""Build or refresh the cross-walk from the store's records (``permitmap crosswalk``): curated
deposits against every imported deposit table, sites against every deposit, permitting
projects against the sites, and sites and curated deposits within the polygons of the survey
layers."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from domain.access import Principal
from domain.crosswalk import Link, deposit_key
from services.layer_sampling import labelled_features
from sites.crosswalk import (
    DEPOSIT_KM,
    SITE_KM,
    deposit_links,
    feature_links,
    site_deposit_links,
    site_project_links,
)
from store.crosswalk_repo import RefreshSummary, refresh_links
from store.layer_repo import list_layers
from store.permits_repo import import_link_rows, load_permit_data
from store.records import CURATED_DATASET, deposit_names, load_sites


def refresh_crosswalk(engine: Engine, *, principal: Principal, deposit_km: float = DEPOSIT_KM,
                      site_km: float = SITE_KM) -> RefreshSummary:
    """Find the candidate links and store them; decisions made before are kept."""
    deposits = deposit_names(engine)
    curated = deposits[deposits["dataset"] == CURATED_DATASET]
    imported = deposits[deposits["dataset"] != CURATED_DATASET]
    sites = load_sites(engine)
    found = deposit_links(curated, imported, deposit_km)
    found += site_deposit_links(sites, deposits, site_km)
    found += site_project_links(sites, load_permit_data(engine).projects,
                                import_link_rows(engine))
    found += _polygon_links(engine, sites, curated)
    return refresh_links(engine, found, principal=principal)


def _polygon_links(engine: Engine, sites: pd.DataFrame, curated: pd.DataFrame) -> list[Link]:
    """Sites and curated deposits within the polygons of every polygon survey layer."""
    places = [("site", sites.assign(key=sites["id"])),
              ("deposit", curated.assign(key=[deposit_key(d, r) for d, r in zip(
                  curated["dataset"], curated["source_record_id"], strict=True)]))]
    links: list[Link] = []
    for layer in list_layers(engine):
        if layer.kind != "vector" or layer.geometry_type != "Polygon":
            continue
        polygons = labelled_features(engine, layer.id)
        for kind, frame in places:
            links += feature_links(frame, kind, layer.id, layer.name, polygons.geoms,
                                   polygons.labels, polygons.numbers)
    return links
