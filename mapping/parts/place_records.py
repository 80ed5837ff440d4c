"""A site panel's "Records of this place": the deposits the cross-walk links to it, its
permitting projects (and those the cross-walk thinks may be its), the survey-layer polygons it
lies within, and the survey layers whose extent covers it, with a raster's value at the
site."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from domain.access import Principal
from domain.crosswalk import method_label
from domain.i18n import tr
from mapping.cached import cached_layers, place_links, raster_value
from mapping.parts.safe_text import plain
from mapping.permit_cache import record_for
from mapping.stored_words import link_evidence


def place_records(site: dict[str, Any], principal: Principal) -> None:
    """The site's linked records, each line in words; nothing when it has none."""
    links = place_links(principal)
    mine = links[(links["a_kind"] == "site") & (links["a_key"] == site["id"])]
    lines = [*_deposits(mine), *_projects(site["id"], mine), *_features(mine),
             *_layers(site, principal)]
    if lines:
        with st.expander(tr("Records of this place ({n})").format(n=len(lines)),
                         icon=":material/link:"):
            st.markdown("\n".join(lines))


def _deposits(mine: pd.DataFrame) -> list[str]:
    deposits = mine[mine["b_kind"] == "deposit"]
    line = tr("deposit **{name}** ({key}): {status}, {method}")
    said = {True: tr("confirmed"), False: tr("possibly the same place")}
    return ["- " + line.format(name=plain(r["b_name"] or r["b_key"]), key=plain(r["b_key"]),
                               status=said[r["status"] == "confirmed"],
                               method=plain(method_label(r["method"])))
            for r in deposits.to_dict("records")]


def _projects(site_id: str, mine: pd.DataFrame) -> list[str]:
    """Its projects, then those the cross-walk offers as possibly its (not yet decided)."""
    projects = record_for(date.today()).projects
    here = projects[projects["site_id"] == site_id]
    line = tr("permitting project **{title}** ({id})")
    lines = ["- " + line.format(title=plain(r["title"]), id=plain(r["project_id"]))
             for r in here.to_dict("records")]
    maybe = mine[(mine["b_kind"] == "project") & (mine["status"] == "candidate")
                 & ~mine["b_key"].isin(here["project_id"])]
    possibly = tr("possibly permitting project **{name}** ({key}): {method}, to review on the "
                  "Cross-walk page")
    return lines + ["- " + possibly.format(name=plain(r["b_name"] or r["b_key"]),
                                           key=plain(r["b_key"]),
                                           method=plain(method_label(r["method"])))
                    for r in maybe.to_dict("records")]


def _features(mine: pd.DataFrame) -> list[str]:
    """The survey-layer polygons it lies within (the link's evidence names them)."""
    within = mine[mine["b_kind"] == "feature"]
    return [f"- {plain(link_evidence(r['detail']))}" for r in within.to_dict("records")]


def _layers(site: dict[str, Any], principal: Principal) -> list[str]:
    """The survey layers whose extent covers the site; a raster's value at the site."""
    if site.get("lat") is None or site.get("lon") is None:
        return []
    lat, lon = float(site["lat"]), float(site["lon"])
    lines = []
    line = tr("survey layer **{name}** ({kind}) covers it{value}")
    for r in cached_layers(principal):
        if r.bounds is None or not (r.bounds[0] <= lon <= r.bounds[2]
                                    and r.bounds[1] <= lat <= r.bounds[3]):
            continue
        said = ""
        if r.kind == "raster":
            value = raster_value(r, lon, lat)
            said = (tr(": no data here") if value is None
                    else tr(": {value} here").format(value=f"{value:.6g}"))
        lines.append("- " + line.format(name=plain(r.name), kind=plain(r.kind), value=said))
    return lines
