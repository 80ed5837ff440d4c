"""What is in the store, where it came from, and the history of imports."""

import pandas as pd
import streamlit as st

from domain.settings import DATA_DIR
from mapping.access_state import current_principal
from mapping.cached import cached_sites, deposit_total
from mapping.store_access import engine
from sites.filters import SiteFilter
from store.records import recent_imports, store_counts

st.title("Data and sources", anchor=False)
principal = current_principal()
sites = cached_sites(principal)
# the sites and deposits the clearance reaches, not the store's counts
deposits = deposit_total(SiteFilter(), principal)
counts = store_counts(engine(), deposits=deposits)
left, middle, right = st.columns(3)
left.metric("Sites", len(sites))
middle.metric("Deposits", f"{deposits:,}")
right.metric("Imports", counts["imports"])

st.subheader("Sites by stage and country", anchor=False)
st.dataframe(pd.crosstab(sites["stage"], sites["country"]), width="stretch")

st.subheader("All sites", anchor=False)
st.dataframe(
    sites[["name", "operator", "country", "admin_area", "stage", "status", "commodities",
           "position_quality", "source"]],
    width="stretch", hide_index=True,
    column_config={"source": st.column_config.TextColumn("source", width="medium")},
)

st.subheader("Imports", anchor=False)
imports = recent_imports(engine())
if imports:
    st.dataframe(
        pd.DataFrame(imports)[["imported_at", "dataset", "file_name", "rows_read", "rows_loaded",
                               "rows_skipped"]],
        width="stretch", hide_index=True,
    )
else:
    st.caption("No deposit table imported yet. Import one with "
               "`permitmap deposits import FILE` (USGS MRDS or lithium CSV).")

st.subheader("Provenance of the bundled data", anchor=False)
provenance = DATA_DIR / "PROVENANCE.md"
if provenance.exists():
    with st.expander("data/PROVENANCE.md", expanded=False):
        st.markdown(provenance.read_text(encoding="utf-8"))
