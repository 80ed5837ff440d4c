"""The cross-walk's links to review: records found to be one place (a curated deposit and an
imported one, a site and a deposit or a permitting project, a site or deposit and the survey
polygon it lies in), each with how it was found; editors confirm or reject them (a confirmed
project link moves the project to the site), admins refresh the candidates from the records."""

import pandas as pd
import streamlit as st

from domain.access import Action
from domain.errors import PermitmapError
from mapping import state_keys as keys
from mapping.access_state import current_principal
from mapping.cached import cached_sites, place_links
from mapping.store_access import engine
from services.crosswalk import refresh_crosswalk
from store.crosswalk_repo import CONFIRMED, STATUSES, decide, stored_links, use_position

st.title("Cross-walk: records of one place", anchor=False)
principal = current_principal()
may_decide = principal.may(Action.LINK_RECORDS)
st.caption("Each line says two records are one place and how that was found: the same "
           "source record id (score 1), alike names close by (the score falls with the "
           "distance), alike names alone (half the score: check it), or a point within a "
           "survey layer's polygon. Confirming a permitting project's link moves the project "
           "to the site; rejecting it takes the project off the site, and imports keep both. "
           "Confirmed and rejected links survive new imports; a refresh only adds and updates "
           "candidates. "
           + ("Set a decision and save." if may_decide else
              "Editors confirm or reject them."))
if principal.may(Action.IMPORT_TABLE) and st.button("Find candidates again",
                                                     icon=":material/refresh:",
                                                     help="As `permitmap crosswalk` does"):
    summary = refresh_crosswalk(engine(), principal=principal)
    st.success(f"{summary.found} links found: {summary.new} new, {summary.dropped} candidates "
               "no longer found dropped.", icon=":material/check:")

KINDS = {"all": "all", "deposit": "deposits", "project": "permitting projects",
         "feature": "survey-layer polygons"}
shown, kind = st.columns(2)
with shown:
    status = st.segmented_control("Show", ["all", *STATUSES], default="candidate",
                                  key=keys.CROSSWALK_STATUS) or "all"
with kind:
    of_kind = st.selectbox("Linked to", list(KINDS), format_func=KINDS.__getitem__,
                           key=keys.CROSSWALK_KIND)
sites = cached_sites(principal)
visible = place_links(principal)  # those to a record the viewer may not see left out
visible = visible[(visible["a_kind"] != "site") | visible["a_key"].isin(sites["id"])]
stored = stored_links(engine())
stored = stored[stored["id"].isin(visible["id"])]
links = stored
if status != "all":
    links = links[links["status"] == status]
if of_kind != "all":
    links = links[links["b_kind"] == of_kind]
site_names = dict(zip(sites["id"], sites["name"], strict=True))
names = dict(zip(visible["b_key"], visible["b_name"], strict=False))


def _named(kind: str, key: str) -> str:
    name = site_names.get(key, "") if kind == "site" else names.get(key, "")
    return f"{kind} {name} ({key})" if name else f"{kind} {key}"


def _review(links: pd.DataFrame) -> None:
    """The links as a table whose decision column an editor sets, and the save button."""
    links = links.reset_index(drop=True)  # the editor's rows are positions
    table = pd.DataFrame({
        "id": links["id"], "decision": links["status"],
        "a": [_named(k, v) for k, v in zip(links["a_kind"], links["a_key"], strict=True)],
        "b": [_named(k, v) for k, v in zip(links["b_kind"], links["b_key"], strict=True)],
        "method": links["method"], "score": links["score"], "km": links["distance_km"],
        "evidence": links["detail"], "decided_by": links["decided_by"],
    })
    edited = st.data_editor(
        table, hide_index=True, width="stretch", key=keys.CROSSWALK_EDITOR,
        disabled=[c for c in table.columns if c != "decision" or not may_decide],
        column_config={
            "id": None,
            "a": st.column_config.TextColumn("Record", width="medium"),
            "b": st.column_config.TextColumn("Same place as", width="medium"),
            "method": "How found", "score": st.column_config.NumberColumn("Score", format="%.2f"),
            "km": st.column_config.NumberColumn("Apart (km)", format="%.1f"),
            "evidence": st.column_config.TextColumn("Evidence", width="large"),
            "decision": st.column_config.SelectboxColumn("Decision", options=list(STATUSES),
                                                         required=True),
            "decided_by": "Decided by",
        })
    changed = edited[edited["decision"] != table["decision"]]
    if may_decide and st.button(f"Save {len(changed)} decision{'' if len(changed) == 1 else 's'}",
                                disabled=changed.empty, type="primary", icon=":material/save:"):
        try:
            for row in changed.to_dict("records"):
                decide(engine(), int(row["id"]), str(row["decision"]), principal=principal)
        except PermitmapError as exc:
            st.error(str(exc), icon=":material/error:")
        else:
            del st.session_state[keys.CROSSWALK_EDITOR]
            st.rerun()


if links.empty:
    st.info("No link here yet. An admin finds candidates with `permitmap crosswalk` (or the "
            "button above) after importing a deposit table.", icon=":material/info:")
else:
    _review(links)

# A site placed only approximately may take the published position of a deposit that a
# confirmed link ties it to (store.crosswalk_repo.use_position says when it may not).
tied = stored[(stored["status"] == CONFIRMED) & (stored["a_kind"] == "site")
              & (stored["b_kind"] == "deposit")]
if may_decide and not tied.empty:
    st.subheader("A site's position from its deposit", anchor=False)
    choices = {int(r["id"]): f"{_named('site', r['a_key'])} ← {_named('deposit', r['b_key'])}"
               + (" (in use)" if r["use_position"] else "")
               for r in tied.to_dict("records")}
    chosen = st.selectbox("Confirmed link", list(choices), format_func=choices.__getitem__,
                          key=keys.CROSSWALK_POSITION)
    in_use = bool(tied.set_index("id").loc[chosen, "use_position"])
    label = "Give the site its own position back" if in_use else "Use the deposit's position"
    if st.button(label, icon=":material/my_location:"):
        try:
            use_position(engine(), int(chosen), not in_use, principal=principal)
        except PermitmapError as exc:
            st.error(str(exc), icon=":material/error:")
        else:
            st.rerun()
