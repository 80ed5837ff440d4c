"""The view the map is asked for, kept in the session: fit the matching sites when the
filters change, fit a survey layer opened from the layers page, go to a site or deposit
opened from outside the map (search, a shared link, another page).

Each request carries a new token; the map applies a token once (``sites.js``), so a rerun
that asks nothing new leaves the user's own pan and zoom alone, and a click on the map,
which is already in view, moves nothing.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from domain.bbox import Bounds
from mapping import state_keys as keys
from mapping.webmap.site_map import box_bounds, site_bounds

SITE_ZOOM = 6  # at least this close when going to a site: its neighbours stand apart
DEPOSIT_ZOOM = 9  # deposits show as points, not groups, from about here


def view_request(filter_key: str, shown: pd.DataFrame, focus: Bounds | None,
                 opened: tuple[str, str, float | None, float | None] | None,
                 clicked: bool) -> dict[str, Any] | None:
    """The latest view request after this run's changes.

    ``filter_key``: the filters as text (a change fits the matching sites); ``focus``: a
    survey layer's extent to fit; ``opened``: the selection (kind, id, lat, lon);
    ``clicked``: whether it came from a click on the map (then the map does not move). The
    map keeps the site clear of the detail panel itself (``sites.js``).
    """
    state = st.session_state
    if state.get(keys.VIEW_FILTER) != filter_key:
        state[keys.VIEW_FILTER] = filter_key
        _fit(site_bounds(shown), 8)
    if state.get(keys.VIEW_FOCUS) != focus:
        state[keys.VIEW_FOCUS] = focus
        _fit(box_bounds(focus) if focus else site_bounds(shown), 14 if focus else 8)
    target = opened[:2] if opened else None
    if state.get(keys.VIEW_TARGET) != target:
        state[keys.VIEW_TARGET] = target
        if opened and not clicked and opened[2] is not None and opened[3] is not None:
            kind, _ident, lat, lon = opened
            _ask({"kind": "site", "lat": lat, "lon": lon,
                  "zoom": SITE_ZOOM if kind == "site" else DEPOSIT_ZOOM})
    request: dict[str, Any] | None = state.get(keys.VIEW_REQUEST)
    return request


def _fit(bounds: list[list[float]] | None, max_zoom: int) -> None:
    if bounds is not None:
        _ask({"kind": "bounds", "bounds": bounds, "maxZoom": max_zoom})


def _ask(request: dict[str, Any]) -> None:
    state = st.session_state
    count = int(state.get(keys.VIEW_COUNT, 0)) + 1
    state[keys.VIEW_COUNT] = count
    state[keys.VIEW_REQUEST] = {**request, "token": str(count)}
