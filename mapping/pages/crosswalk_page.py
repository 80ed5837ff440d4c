"""The cross-walk's links to review: records found to be one place (a curated deposit and an
imported one, a site and a deposit or a permitting project, a site or deposit and the survey
polygon it lies in), each with how it was found; editors confirm or reject them (a confirmed
project link moves the project to the site), admins refresh the candidates from the records."""

import pandas as pd
import streamlit as st

from domain.access import Action
from domain.crosswalk import decider_label, method_label
from domain.errors import PermitmapError
from domain.i18n import N_, ntr, tr
from mapping import state_keys as keys
from mapping.access_state import current_principal
from mapping.cached import cached_sites, place_links
from mapping.store_access import engine
from mapping.stored_words import link_evidence
from services.crosswalk import refresh_crosswalk
from store.crosswalk_repo import CONFIRMED, STATUSES, decide, stored_links, use_position

STATUS_WORDS = {"candidate": N_("candidate"), "confirmed": N_("confirmed"),
                "rejected": N_("rejected")}

COMMAND = "`permitmap crosswalk`"
KINDS = {"all": N_("all"), "deposit": N_("deposits"), "project": N_("permitting projects"),
         "feature": N_("survey-layer polygons")}
#: The kind of a record in a link, as a word before its name ("site Kings Mountain (S1)").
RECORD_KINDS = {"site": N_("site"), "deposit": N_("deposit"), "project": N_("project"),
                "feature": N_("feature")}

st.title(tr("Cross-walk: records of one place"), anchor=False)
principal = current_principal()
may_decide = principal.may(Action.LINK_RECORDS)
st.caption(tr("Each line says two records are one place and how that was found: the same "
              "source record id (score 1), alike names close by (the score falls with the "
              "distance), alike names alone (half the score: check it), or a point within a "
              "survey layer's polygon. Confirming a permitting project's link moves the "
              "project to the site; rejecting it takes the project off the site, and imports "
              "keep both. Confirmed and rejected links survive new imports; a refresh only "
              "adds and updates candidates.")
           + " " + (tr("Set a decision and save.") if may_decide else
                    tr("Editors confirm or reject them.")))
if principal.may(Action.IMPORT_TABLE) and st.button(
        tr("Find candidates again"), icon=":material/refresh:",
        help=tr("As {command} does").format(command=COMMAND)):
    summary = refresh_crosswalk(engine(), principal=principal)
    st.success(tr("{found} links found: {new} new, {dropped} candidates no longer found "
                  "dropped.").format(found=summary.found, new=summary.new,
                                     dropped=summary.dropped), icon=":material/check:")

shown, kind = st.columns(2)
with shown:
    # the statuses are the store's codes; shown in the page's language
    statuses = {"all": tr("all")} | {code: tr(STATUS_WORDS[code]) for code in STATUSES}
    status = st.segmented_control(tr("Show"), list(statuses), default="candidate",
                                  format_func=statuses.__getitem__,
                                  key=keys.CROSSWALK_STATUS) or "all"
with kind:
    kinds = {code: tr(label) for code, label in KINDS.items()}
    of_kind = st.selectbox(tr("Linked to"), list(kinds), format_func=kinds.__getitem__,
                           key=keys.CROSSWALK_KIND)
kind_words = {code: tr(word) for code, word in RECORD_KINDS.items()}
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
    word = kind_words.get(kind, kind)
    return f"{word} {name} ({key})" if name else f"{word} {key}"


def _review(links: pd.DataFrame) -> None:
    """The links as a table whose decision column an editor sets, and the save button."""
    links = links.reset_index(drop=True)  # the editor's rows are positions
    table = pd.DataFrame({
        "id": links["id"], "decision": links["status"],
        "a": [_named(k, v) for k, v in zip(links["a_kind"], links["a_key"], strict=True)],
        "b": [_named(k, v) for k, v in zip(links["b_kind"], links["b_key"], strict=True)],
        # stored in English (the record): shown in the reader's language
        "method": links["method"].map(method_label), "score": links["score"],
        "km": links["distance_km"], "evidence": links["detail"].map(link_evidence),
        "decided_by": links["decided_by"].map(decider_label),
    })
    edited = st.data_editor(
        table, hide_index=True, width="stretch", key=keys.CROSSWALK_EDITOR,
        disabled=[c for c in table.columns if c != "decision" or not may_decide],
        column_config={
            "id": None,
            "a": st.column_config.TextColumn(tr("Record"), width="medium"),
            "b": st.column_config.TextColumn(tr("Same place as"), width="medium"),
            "method": tr("How found"),
            "score": st.column_config.NumberColumn(tr("Score"), format="%.2f"),
            "km": st.column_config.NumberColumn(tr("Apart (km)"), format="%.1f"),
            "evidence": st.column_config.TextColumn(tr("Evidence"), width="large"),
            "decision": st.column_config.SelectboxColumn(
                tr("Decision"), options=list(STATUSES), required=True,
                format_func=lambda code: tr(STATUS_WORDS.get(str(code), str(code)))),
            "decided_by": tr("Decided by"),
        })
    changed = edited[edited["decision"] != table["decision"]]
    save = ntr("Save {n} decision", "Save {n} decisions", len(changed)).format(n=len(changed))
    if may_decide and st.button(save, disabled=changed.empty, type="primary",
                                icon=":material/save:"):
        try:
            for row in changed.to_dict("records"):
                decide(engine(), int(row["id"]), str(row["decision"]), principal=principal)
        except PermitmapError as exc:
            st.error(str(exc), icon=":material/error:")
        else:
            del st.session_state[keys.CROSSWALK_EDITOR]
            st.rerun()


if links.empty:
    st.info(tr("No link here yet. An admin finds candidates with {command} (or the button "
               "above) after importing a deposit table.").format(command=COMMAND),
            icon=":material/info:")
else:
    _review(links)

# A site placed only approximately may take the published position of a deposit that a
# confirmed link ties it to (store.crosswalk_repo.use_position says when it may not).
tied = stored[(stored["status"] == CONFIRMED) & (stored["a_kind"] == "site")
              & (stored["b_kind"] == "deposit")]
if may_decide and not tied.empty:
    st.subheader(tr("A site's position from its deposit"), anchor=False)
    using = " " + tr("(in use)")
    choices = {int(r["id"]): f"{_named('site', r['a_key'])} ← {_named('deposit', r['b_key'])}"
               + (using if r["use_position"] else "")
               for r in tied.to_dict("records")}
    chosen = st.selectbox(tr("Confirmed link"), list(choices), format_func=choices.__getitem__,
                          key=keys.CROSSWALK_POSITION)
    in_use = bool(tied.set_index("id").loc[chosen, "use_position"])
    label = (tr("Give the site its own position back") if in_use
             else tr("Use the deposit's position"))
    if st.button(label, icon=":material/my_location:"):
        try:
            use_position(engine(), int(chosen), not in_use, principal=principal)
        except PermitmapError as exc:
            st.error(str(exc), icon=":material/error:")
        else:
            st.rerun()
