"""The sidebar filters, with counts beside each value, kept in the page URL for sharing."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date

import pandas as pd
import streamlit as st

from domain.i18n import N_, tr
from domain.vocab import DevStatus, Stage, commodity_code
from mapping import state_keys as keys
from mapping.vocab_words import commodity, country, word
from sites.filters import SiteFilter, all_stages, facet_counts, filter_sites
from sites.query_params import listed
from sites.selection import SiteSelection

COLOUR_CHOICES = {"status": N_("development status"), "stage": N_("supply-chain stage"),
                  "health": N_("schedule health")}
_LIST_KEYS = (keys.COMMODITIES, keys.STAGES, keys.STATUSES, keys.COUNTRIES)
_DEFAULTS: dict[str, object] = {
    keys.SEARCH: "", keys.JOINTLY_SELECTED: False, keys.COLOUR_BY: "status",
    keys.SHOW_DEPOSITS: True, **{k: [] for k in _LIST_KEYS},
}


def sidebar_filters(sites: pd.DataFrame) -> tuple[SiteFilter, str, bool]:
    """Draw the filters; return the filter, the colour scheme and whether deposits show.

    The count beside each value is what choosing it would give under the other filters.
    """
    _load_url_state(sites)
    current = _filter_from_state()
    sb = st.sidebar
    sb.text_input(tr("Search by name or operator"), key=keys.SEARCH,
                  placeholder=tr("e.g. Mountain Pass"))
    _multiselect(tr("Commodity"), keys.COMMODITIES,
                 facet_counts(_without(sites, current, commodities=()), "commodities", multi=True),
                 commodity)
    _multiselect(tr("Supply-chain stage"), keys.STAGES,
                 _stage_counts(_without(sites, current, stages=())),
                 lambda v: word("stage", v), [s.value for s in Stage])
    _multiselect(tr("Development status"), keys.STATUSES,
                 facet_counts(_without(sites, current, statuses=()), "status"),
                 lambda v: word("dev_status", v), [s.value for s in DevStatus])
    _multiselect(tr("Country"), keys.COUNTRIES,
                 facet_counts(_without(sites, current, countries=()), "country"), country)
    joint_pool = _without(sites, current, jointly_selected_only=False)
    joint = int(joint_pool["jointly_selected"].fillna(False).astype(bool).sum())
    sb.checkbox(tr("Jointly selected under the framework only ({n})").format(n=joint),
                key=keys.JOINTLY_SELECTED)
    # labels made here, in the page's language (a format_func may be called elsewhere)
    colours = {value: tr(label) for value, label in COLOUR_CHOICES.items()}
    sb.radio(tr("Colour sites by"), list(COLOUR_CHOICES), key=keys.COLOUR_BY, horizontal=True,
             format_func=colours.__getitem__,
             help=tr("Schedule health: the worst of the site's permitting projects on the "
                     "“View as of” date."))
    sb.toggle(tr("Show deposits (commodity, status and country filters apply)"),
              key=keys.SHOW_DEPOSITS)
    sb.button(tr("Clear filters"), on_click=_clear, width="stretch")
    _save_url_state()
    state = st.session_state
    return _filter_from_state(), str(state[keys.COLOUR_BY]), bool(state[keys.SHOW_DEPOSITS])


def _filter_from_state() -> SiteFilter:
    state = st.session_state
    return SiteFilter(
        commodities=tuple(state[keys.COMMODITIES]),
        stages=tuple(state[keys.STAGES]),
        statuses=tuple(state[keys.STATUSES]),
        countries=tuple(state[keys.COUNTRIES]),
        jointly_selected_only=bool(state[keys.JOINTLY_SELECTED]),
        search=str(state[keys.SEARCH]).strip(),
    )


def _without(sites: pd.DataFrame, current: SiteFilter, **cleared: object) -> pd.DataFrame:
    """The sites matching every current filter except the ones ``cleared``."""
    return filter_sites(sites, dataclasses.replace(current, **cleared))  # type: ignore[arg-type]


def _multiselect(label: str, key: str, counts: dict[str, int], label_of: Callable[[str], str],
                 order: list[str] | None = None) -> None:
    """Values present in the data (in ``order``, else most frequent first) with their counts;
    a value taken from a shared link stays selectable even when no site has it."""
    options = [o for o in (order or sorted(counts, key=lambda v: (-counts[v], v))) if o in counts]
    chosen = list(st.session_state.get(key, []))
    options += [v for v in chosen if v not in options]
    # Set through the Session State API, the value is sent to the browser with this run's
    # labels: otherwise the browser keeps a chosen value's old label ("Neodymium (2)") after
    # another filter changed its count, and sends that label back as the value next time.
    st.session_state[key] = chosen
    labels = {v: f"{label_of(v)} ({counts.get(v, 0)})" for v in options}  # in this run
    st.sidebar.multiselect(label, options, key=key, placeholder=tr("any"),
                           format_func=labels.__getitem__)


def _stage_counts(sites: pd.DataFrame) -> dict[str, int]:
    return facet_counts(pd.DataFrame({"stages": all_stages(sites)}), "stages", multi=True)


def _load_url_state(sites: pd.DataFrame) -> None:
    """On a session's first run, take the filters from the URL (a shared link): the form
    /api/sites.* takes (``commodity=Li,REE&jointly_selected=true``), and the older page form
    (repeated ``commodity=``, ``joint=true``), which :func:`_save_url_state` then rewrites."""
    state = st.session_state
    if state.get(keys.URL_LOADED):
        for key, default in _DEFAULTS.items():
            state.setdefault(key, default)
        return
    params = st.query_params
    for old, new in keys.OLD_URL_PARAMS.items():
        if old in params and new not in params:
            params[new] = params[old]
    for key, default in _DEFAULTS.items():
        name = keys.URL_PARAMS[key]
        if key in _LIST_KEYS:
            state[key] = [v for text in params.get_all(name) for v in listed(text)]
        elif isinstance(default, bool):
            state[key] = params.get(name, str(default).lower()) in {"true", "1", "yes"}
        else:
            state[key] = params.get(name, default)
    # a commodity given by name (``lithium``) in a link means its symbol, as in the API
    state[keys.COMMODITIES] = [commodity_code(v) or v for v in state[keys.COMMODITIES]]
    if state[keys.COLOUR_BY] not in COLOUR_CHOICES:
        state[keys.COLOUR_BY] = "status"
    state[keys.URL_LOADED] = True


def _save_url_state() -> None:
    """Write the filters into the page URL in the selection's URL form, then the page's own
    settings and what other parts keep there (the selected site, the as-of date)."""
    state = st.session_state
    selection = SiteSelection(_filter_from_state(), date.today()).url_params()
    wanted = {name: [value] for name, value in selection.items() if name != keys.AS_OF_PARAM}
    for key in (keys.COLOUR_BY, keys.SHOW_DEPOSITS):
        value = state.get(key, _DEFAULTS[key])
        if value != _DEFAULTS[key]:
            wanted[keys.URL_PARAMS[key]] = [str(value).lower() if isinstance(value, bool)
                                            else str(value)]
    # kept by detail_panel, as_of_picker and the language switch
    for kind in (*keys.SELECTION_KINDS, keys.AS_OF_PARAM, keys.LANG_PARAM):
        if st.query_params.get(kind):
            wanted[kind] = [st.query_params[kind]]
    if {k: st.query_params.get_all(k) for k in st.query_params} != wanted:
        st.query_params.from_dict(wanted)


def _clear() -> None:
    for key, default in _DEFAULTS.items():
        st.session_state[key] = list(default) if isinstance(default, list) else default
