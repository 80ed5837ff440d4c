"""Supply-chain chokepoints: commodity × stage for one region at a time, each cell a link to its
sites on the map; below, every cell with one producing source or none, in all regions."""

from datetime import date
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from domain.i18n import N_, tr
from mapping import state_keys as keys
from mapping.access_state import current_principal
from mapping.cached import cached_sites
from mapping.parts.as_of_picker import as_of_sidebar
from mapping.parts.grid import grid
from mapping.permit_cache import projects_for
from mapping.vocab_words import commodity, word
from services.chokepoints import regions_file
from sites.chokepoints import (
    CHAIN_STAGES,
    REGION_LABELS,
    REGIONS,
    cell_filter,
    chokepoint_table,
    latest_finish,
    read_regions,
)
from sites.selection import SiteSelection

# the words of sites.chokepoints.REGION_LABELS, for the catalog (shown with tr below)
_REGION_WORDS = (N_("United States"), N_("Japan"), N_("partner countries"),
                 N_("rest of the world"))
# labels made here, in the page's language (a format_func may be called elsewhere)
region_labels = {r: tr(REGION_LABELS[r]) for r in REGIONS}

st.title(tr("Supply-chain chokepoints"), anchor=False)
principal = current_principal()
as_of = as_of_sidebar()
projected = st.sidebar.toggle(
    tr("Projected"), key=keys.CHOKEPOINT_PROJECTED,
    help=tr("Count a site in permitting or under construction as producing once its "
            "permitting projects' projected completion (from their timelines) is on or before "
            "the date."))
sites = cached_sites(principal)
regions = read_regions(regions_file())
# projected from the record of the day (today's for a later day: what is known now)
finish = latest_finish(projects_for(min(as_of, date.today()))) if projected else None
table = chokepoint_table(sites, regions, finish, as_of)
legend = (
    tr("Sites by development status, {date}, projected: producing · under construction · in "
       "permitting (permitting or permitted); (one): a single producing source, (none): no "
       "producing source. Development statuses are as now recorded; the date chooses the "
       "permitting record and the projection. A cell opens its sites on the map.")
    if projected else
    tr("Sites by development status, {date}: producing · under construction · in permitting "
       "(permitting or permitted); (one): a single producing source, (none): no producing "
       "source. Development statuses are as now recorded; the date chooses the permitting "
       "record. A cell opens its sites on the map."))
st.caption(legend.format(date=as_of.isoformat()))
if table.empty:
    st.info(tr("No site is producing, under construction or in permitting at a stage of the "
               "chain (mine to stockpile)."), icon=":material/info:")
    st.stop()

region = str(st.radio(tr("Region"), REGIONS, format_func=region_labels.__getitem__,
                      key=keys.CHOKEPOINT_REGION, horizontal=True))
SOURCE_WORDS = {"none": N_("no producing source"), "one": N_("one producing source"),
                "several": N_("several producing sources")}
# words: no emoji font offline
FLAGS = {"none": tr(" (none)"), "one": tr(" (one)"), "several": ""}
MOVED = tr(" (+{n} projected)")


def _cell_link(row: pd.Series) -> str:
    """The map showing the cell's sites (the map's own filters: ``sites.chokepoints.
    cell_filter``), with the cell's figures after '#' for its label; a cell without sites
    links to nothing."""
    label = (f"{row['producing']} · {row['construction']} · {row['permitting']}"
             f"{FLAGS[row['sources']]}{MOVED.format(n=row.moved) if row['moved'] else ''}")
    if not row["site_ids"]:
        return f"#{label}"
    found = cell_filter(row["commodity"], row["stage"], row["region"], sites, regions)
    params = SiteSelection(found, as_of).url_params()
    params.pop("as_of")  # the map keeps its own date (the sidebar's, shared by the pages)
    return f"./?{urlencode(params)}#{label}"


here = table[table["region"] == region].copy()
here["cell"] = here.apply(_cell_link, axis=1)
here["commodity_shown"] = here["commodity"].map(commodity)
matrix = here.pivot(index="commodity_shown", columns="stage", values="cell").fillna("")
matrix.index.name = tr("Commodity")
stages = [s.value for s in CHAIN_STAGES if s.value in matrix.columns]
grid(matrix[stages], width="stretch", column_config={
    stage: st.column_config.LinkColumn(word("stage", stage), display_text=r"#(.*)$")
    for stage in stages})

flagged = here[here["sources"] != "several"]
label = region_labels[region]
st.subheader(tr("{region}: {one} cells with one producing source, {none} with none").format(
    region=f"{label[0].upper()}{label[1:]}", one=int((flagged["sources"] == "one").sum()),
    none=int((flagged["sources"] == "none").sum())), anchor=False)
grid(
    flagged.assign(region=flagged["region"].map(region_labels),
                   commodity_name=flagged["commodity"].map(commodity),
                   stage=flagged["stage"].map(lambda s: word("stage", s)),
                   sources=flagged["sources"].map(lambda s: tr(SOURCE_WORDS[s])))[
        ["commodity_name", "stage", "region", "producing", "construction", "permitting",
         "moved", "sources"]],
    hide_index=True, width="stretch",
    column_config={"commodity_name": tr("Commodity"), "stage": tr("Stage"),
                   "region": tr("Region"), "producing": tr("Producing"),
                   "construction": tr("Under construction"), "permitting": tr("In permitting"),
                   "moved": tr("Moved by projection"), "sources": tr("Producing sources")})
params = {"as_of": as_of.isoformat()} | ({"projected": "true"} if projected else {})
st.link_button(tr("Download the table (CSV)"), f"/api/chokepoints.csv?{urlencode(params)}",
               icon=":material/download:")
