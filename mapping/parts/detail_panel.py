"""The detail panel over the map: the clicked site or deposit, found by its id."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from domain.access import Action, Principal
from domain.crosswalk import deposit_key
from domain.errors import NotFoundError
from domain.i18n import ENGLISH, current_language, tr
from domain.vocab import (
    STALE_AFTER_YEARS,
    PositionQuality,
    split_codes,
    status_age_years,
)
from exports.marking import marking_label
from mapping import state_keys as keys
from mapping.cached import cached_sites, site_marks
from mapping.parts.marking_control import marking_control
from mapping.parts.place_records import place_records
from mapping.parts.safe_text import plain, source_links
from mapping.vocab_words import commodity, country, word
from sites.names import shown_field, shown_names
from store.crosswalk_repo import same_place_records
from store.models import Site
from store.records import get_deposit

Selection = tuple[str, str]  # (kind, id)
_TEXT_COLUMNS = frozenset(c.name for c in Site.__table__.columns
                          if c.type.python_type is str)


def selection_from_map(output: dict[str, Any] | None) -> tuple[Selection | None, int]:
    """The (kind, id) of the feature last clicked on the map, and how many clicks on
    features the map has counted (a click on the same marker again counts), from
    st_folium's output."""
    output = output or {}
    feature = output.get("last_active_drawing") or {}
    props = feature.get("properties") or {}
    kind, ident = props.get("kind"), props.get("id")
    clicks = int(output.get("last_object_clicked_count") or 0)
    if kind in {"site", "deposit"} and ident is not None:
        return (str(kind), html.unescape(str(ident))), clicks
    return None, clicks


def remember_selection(clicked: tuple[Selection | None, int],
                       hidden_sites: set[str]) -> tuple[Selection | None, bool]:
    """Keep the selection across reruns and in the URL (``?site=...`` or ``?deposit=...``);
    a site that the filters now hide is no longer selected.

    ``clicked``: :func:`selection_from_map`'s answer. A click counts when the map counted a
    new one, so the marker clicked last opens again after its panel was closed.

    Every change of selection is a new browser history entry (Streamlit pushes one when the
    query parameters change), so the back button reruns the page with the previous
    selection in the URL: a selection in the URL that differs from the session's is taken
    (a shared link, back or forward), and a URL that lost the selection while the map was
    shown (back to before the first click) closes it. A URL without one when the map is
    opened from another page keeps the session's selection, and the URL is brought up to
    date. A deposit id that is not a stored id's form (a hand-edited link) is ignored.

    Returns the selection and whether it came from a click on the map in this run (the map
    is then not moved to it)."""
    state = st.session_state
    in_url = next(((kind, str(st.query_params[kind])) for kind in keys.SELECTION_KINDS
                   if st.query_params.get(kind)
                   and (kind != "deposit" or _is_deposit_id(str(st.query_params[kind])))),
                  None)
    feature, clicks = clicked
    new_click = feature is not None and (feature, clicks) != state.get(keys.LAST_CLICK)
    if new_click:
        state[keys.LAST_CLICK] = (feature, clicks)
        _select(feature)
    elif in_url is not None and in_url != state.get(keys.SELECTED):
        _select(in_url)
    elif in_url is None and state.get(keys.SELECTED) is not None:
        left_by_history = (state.get(keys.URL_SELECTION) is not None
                           and state.get(keys.PREVIOUS_PAGE) == state.get(keys.CURRENT_PAGE))
        _select(None if left_by_history else state[keys.SELECTED])
    selection: Selection | None = state.get(keys.SELECTED)
    if selection is not None and selection[0] == "site" and selection[1] in hidden_sites:
        _select(None)
        selection = None
    state[keys.URL_SELECTION] = selection  # what the URL says after this run
    return selection, new_click and selection is not None


def site_picker(shown: pd.DataFrame) -> None:
    """Open any matching site by name: those without a location are not on the map, and not
    everyone uses a mouse."""
    names = dict(zip(shown["id"], shown_names(shown, current_language()), strict=True))
    unplaced = set(shown.loc[shown["lat"].isna(), "id"])
    nowhere = "  " + tr("(no known location)")
    labels = {i: name + (nowhere if i in unplaced else "") for i, name in names.items()}
    st.selectbox(
        tr("Open a matching site"), sorted(names, key=lambda i: names[i].lower()), index=None,
        key=keys.PICKER,
        placeholder=tr("{n} sites, {unplaced} not on the map").format(n=len(names),
                                                                       unplaced=len(unplaced)),
        format_func=labels.__getitem__,
        on_change=_picked,
    )


def _picked() -> None:
    picked = st.session_state.get(keys.PICKER)
    if picked is not None:
        _select(("site", picked))


def _select(selection: Selection | None) -> None:
    st.session_state[keys.SELECTED] = selection
    for kind in keys.SELECTION_KINDS:
        if selection is not None and selection[0] == kind:
            st.query_params[kind] = selection[1]
        elif kind in st.query_params:
            del st.query_params[kind]


def close_selection() -> None:
    """The detail panel's Close button: nothing selected (the map click is remembered, so
    the same output does not select it again)."""
    _select(None)


def deposit_id(selection: Selection | None) -> int | None:
    """The selected deposit's id, or None (a site, nothing, or an id that is not a number)."""
    if selection is None or selection[0] != "deposit" or not _is_deposit_id(selection[1]):
        return None
    return int(selection[1])


def _is_deposit_id(text: str) -> bool:
    """Whether ``text`` can be a stored deposit id: ASCII digits within SQL's 64-bit
    integers (``"²"`` is a digit to str.isdigit and not to int())."""
    return text.isascii() and text.isdigit() and int(text) < 2**63


def selection_position(engine: Engine, selection: Selection | None, sites: pd.DataFrame,
                       principal: Principal) -> tuple[str, str, float | None, float | None] | None:
    """(kind, id, lat, lon) of the selection as ``principal`` may see it, for the map to go
    to; lat and lon are None when the record has no known location or is not found."""
    if selection is None:
        return None
    kind, ident = selection
    if kind == "site":
        rows = sites.loc[sites["id"] == ident, ["lat", "lon"]]
        if rows.empty or rows.isna().any(axis=None):
            return kind, ident, None, None
        return kind, ident, float(rows["lat"].iloc[0]), float(rows["lon"].iloc[0])
    number = deposit_id(selection)
    if number is None:
        return kind, ident, None, None
    try:
        deposit = get_deposit(engine, number, principal=principal)
    except NotFoundError:
        return kind, ident, None, None
    lat, lon = deposit.get("lat"), deposit.get("lon")
    return kind, ident, (None if lat is None else float(lat)), (None if lon is None else float(lon))


def show_details(engine: Engine, selection: Selection, principal: Principal) -> None:
    """Render the panel for the selection as ``principal`` may see it."""
    kind, ident = selection
    try:
        if kind == "site":
            site = visible_site(ident, principal)
            _site_panel(site)
            place_records(site, principal)
        else:
            deposit = get_deposit(engine, int(ident), principal=principal)
            _deposit_panel(deposit)
            _same_place(engine, deposit, principal)
    except (NotFoundError, ValueError):
        st.warning(tr("The selected record is no longer in the store; pick another on the "
                      "map."))
        return
    if principal.may(Action.MARK):
        with st.expander(tr("Handling marking"), icon=":material/lock:"):
            marking_control(kind, ident, engine, principal)


def visible_site(site_id: str, principal: Principal) -> dict[str, Any]:
    """One site as ``principal`` may see it (the map's own table: never one their clearance
    does not reach, withheld attributes blank); NotFoundError otherwise, in the store's
    words, so whether a hidden site exists is not told."""
    sites = cached_sites(principal)
    rows = sites[sites["id"] == site_id].to_dict("records")
    if not rows:
        raise NotFoundError(tr("No site has id {id}.").format(id=repr(site_id)))
    site = {str(k): None if _missing(v) else v for k, v in rows[0].items()}
    for attribute in site.get("withheld") or []:  # text as the store gives it: "" for none
        if attribute in _TEXT_COLUMNS:
            site[attribute] = ""
    return site


def _missing(value: Any) -> bool:
    return not isinstance(value, list | tuple | dict) and bool(pd.isna(value))


def _site_panel(site: dict[str, Any]) -> None:
    lang = current_language()
    st.subheader(shown_field(site, "name", lang), anchor=False)
    if lang != ENGLISH and shown_field(site, "name", lang) != site["name"]:
        st.caption(plain(site["name"]))  # the English name too: the one in the sources
    withheld = site.get("withheld") or []
    operator = _quiet(tr("withheld") if "operator" in withheld else tr("not known"))
    _field(tr("Operator"), plain(shown_field(site, "operator", lang)) or operator)
    parts = (shown_field(site, "locality", lang), shown_field(site, "admin_area", lang),
             country(site["country"]))
    _field(tr("Place"), ", ".join(plain(p) for p in parts if p))
    stages = [site["stage"], *split_codes(site["other_stages"])]
    _field(tr("Supply-chain stage"), plain("; ".join(word("stage", s) for s in stages)))
    _commodities(site["commodities"], site["commodities_original"])
    status = plain(word("dev_status", site["status"]))
    when = site["status_date"]
    stated = (tr(", as of {date}").format(date=plain(when)) if when
              else tr(", date of the source not stated"))
    source = plain(site["status_original"])
    _field(tr("Development status"), status + stated
           + (tr(" (source: {text})").format(text=source) if source else ""))
    age = status_age_years(when, date.today())
    if age is not None and age >= STALE_AFTER_YEARS:
        st.caption(":material/history: " + tr(
            "This status comes from a source {age} years old; check for news before relying "
            "on it.").format(age=age))
    joint = {True: tr("yes"), False: tr("no"), None: tr("not known")}[site["jointly_selected"]]
    _field(tr("Jointly selected under the framework"), joint)
    _location(site["lat"], site["lon"], site["position_quality"], site["location_note"])
    if site["description"]:
        st.markdown(plain(site["description"]))
    _sources(site["source"])
    if withheld:
        marks = site_marks(site["id"])[1]
        said = {a: marking_label(marks[a]) if a in marks else tr("marked") for a in withheld}
        st.caption(":material/lock: " + tr("Withheld at your clearance: {list}.").format(
            list="; ".join(f"{plain(a.replace('_', ' '))} ({plain(said[a])})"
                           for a in withheld)))


def _same_place(engine: Engine, deposit: dict[str, Any], principal: Principal) -> None:
    """The other records of this deposit's place (the cross-walk), which the map does not
    draw again: each with its dataset and record id; those above the reader's clearance
    left out."""
    others = same_place_records(engine, deposit_key(deposit["dataset"],
                                                    deposit["source_record_id"]))
    seen = others[others["marking"].map(lambda m: principal.may_see(m or "public"))]
    if not seen.empty:
        _field(tr("Also recorded as"), "; ".join(
            tr("{name} ({dataset} record {record})").format(
                name=plain(r["name"] or tr("(unnamed)")), dataset=plain(r["dataset"]),
                record=plain(r["source_record_id"])) for r in seen.to_dict("records")))
    if deposit.get("same_as"):
        st.caption(tr("The map shows this place as {key}, the curated record of it (a "
                      "cross-walk link).").format(key=plain(deposit["same_as"])))


def _deposit_panel(deposit: dict[str, Any]) -> None:
    st.subheader(deposit["name"] or tr("(unnamed deposit)"), anchor=False)
    st.caption(tr("Deposit from dataset {dataset}, record {record}").format(
        dataset=plain(deposit["dataset"]), record=plain(deposit["source_record_id"])))
    if deposit["other_names"]:
        _field(tr("Other names"), plain(deposit["other_names"]))
    place = ", ".join(plain(p) for p in (deposit["admin_area"], country(deposit["country"]))
                      if p)
    _field(tr("Place"), place or _quiet(tr("not recorded")))
    _commodities(deposit["commodities"], deposit["commodities_original"])
    original = plain(deposit["dev_status_original"])
    _field(tr("Development status"), plain(word("dev_status", deposit["dev_status"]))
           + (tr(" (source: {text})").format(text=original) if original else ""))
    if deposit["deposit_type"]:
        _field(tr("Deposit type"), plain(deposit["deposit_type"]))
    _location(deposit["lat"], deposit["lon"], deposit["position_quality"],
              deposit["position_note"])
    _sources(deposit["source"])
    if deposit.get("withheld"):
        st.caption(":material/lock: " + tr("Withheld at your clearance: {list}.").format(
            list=", ".join(a.replace("_", " ") for a in deposit["withheld"])))


def _commodities(codes: str, original: str) -> None:
    names = ", ".join(plain(commodity(c)) for c in split_codes(codes))
    note = (tr(" (source text: {text})").format(text=plain(original))
            if original and original != codes else "")
    _field(tr("Commodities"), (names or _quiet(tr("none recorded"))) + note)


def _location(lat: float | None, lon: float | None, quality: str, note: str) -> None:
    if lat is None or lon is None:
        _field(tr("Location"), tr("not known, so this record is not on the map."))
        return
    approx = PositionQuality(quality or "unknown").is_approximate
    prefix = "location approximate"
    if approx and not note.startswith(prefix):
        note = f"{prefix}: {note}" if note else prefix
    label = plain(note)
    _field(tr("Location"), f"{lat}, {lon} ({plain(word('position_quality', quality))})")
    if label:
        st.caption(label)


def _sources(source: str) -> None:
    links = source_links(source)
    _field(tr("Sources"), " · ".join(links) if links else _quiet(tr("none recorded")))


def _quiet(text: str) -> str:
    """A value that says there is none, in italics."""
    return f"_{text}_"


def _field(label: str, value: str) -> None:
    """One line of the panel: the label in bold, then the value (markdown already safe)."""
    st.markdown(f"**{label}:** {value}")
