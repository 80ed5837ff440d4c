"""What is in the store, where it came from, and the history of imports."""

import pandas as pd
import streamlit as st

from domain.i18n import current_language, tr
from domain.settings import DATA_DIR
from mapping.access_state import current_principal
from mapping.cached import cached_sites, deposit_total
from mapping.parts.grid import grid
from mapping.store_access import engine
from mapping.vocab_words import country, word
from sites.filters import SiteFilter
from sites.names import shown_names
from store.records import recent_imports, store_counts

st.title(tr("Data and sources"), anchor=False)
principal = current_principal()
sites = cached_sites(principal)
# the sites and deposits the clearance reaches, not the store's counts
deposits = deposit_total(SiteFilter(), principal)
counts = store_counts(engine(), deposits=deposits)
left, middle, right = st.columns(3)
left.metric(tr("Sites"), len(sites))
middle.metric(tr("Deposits"), f"{deposits:,}")
right.metric(tr("Imports"), counts["imports"])

# values in the page's language (names, stages, statuses, countries); the store keeps its own
lang = current_language()
shown = sites.assign(
    name=shown_names(sites, lang), operator=shown_names(sites, lang, "operator"),
    admin_area=shown_names(sites, lang, "admin_area"),
    stage=sites["stage"].map(lambda code: word("stage", code)),
    status=sites["status"].map(lambda code: word("dev_status", code)),
    country=sites["country"].map(country))

st.subheader(tr("Sites by stage and country"), anchor=False)
# TRANSLATORS: "stage" and "country" head the table's rows and columns (the store's names).
by_stage = pd.crosstab(shown["stage"], shown["country"]).rename_axis(
    index=tr("stage"), columns=tr("country"))
grid(by_stage, width="stretch")

st.subheader(tr("All sites"), anchor=False)
# The table's columns keep the store's names; only their headings are translated.
# TRANSLATORS: column headings of the table of all sites (the store's field names in English).
site_columns = {"name": tr("name"), "operator": tr("operator"), "country": tr("country"),
                "admin_area": tr("admin_area"), "stage": tr("stage"), "status": tr("status"),
                "commodities": tr("commodities"), "position_quality": tr("position_quality")}
grid(
    shown[["name", "operator", "country", "admin_area", "stage", "status", "commodities",
           "position_quality", "source"]],
    width="stretch", hide_index=True,
    column_config={**site_columns,
                   "source": st.column_config.TextColumn(tr("source"), width="medium")},
)

st.subheader(tr("Imports"), anchor=False)
imports = recent_imports(engine())
if imports:
    # TRANSLATORS: column headings of the table of imports (the store's field names).
    import_columns = {"imported_at": tr("imported_at"), "dataset": tr("dataset"),
                      "file_name": tr("file_name"), "rows_read": tr("rows_read"),
                      "rows_loaded": tr("rows_loaded"), "rows_skipped": tr("rows_skipped")}
    grid(
        pd.DataFrame(imports)[list(import_columns)],
        width="stretch", hide_index=True, column_config=import_columns,
    )
else:
    st.caption(tr("No deposit table imported yet. Import one with {command} (USGS MRDS or "
                  "lithium CSV).").format(command="`permitmap deposits import FILE`"))

st.subheader(tr("Provenance of the bundled data"), anchor=False)
provenance = DATA_DIR / "PROVENANCE.md"
if provenance.exists():
    with st.expander("data/PROVENANCE.md", expanded=False):
        st.markdown(provenance.read_text(encoding="utf-8"))
