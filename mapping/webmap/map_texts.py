"""The words our map scripts show (``static/permitmap/*.js``), in the page's language: sent
with the sites on every run (``site_layer``), read in the browser by ``permitmapText`` (common.js),
which falls back to the English written beside each use. ``{n}``-style fields are filled there.
"""

from __future__ import annotations

from domain.i18n import N_, tr

MAP_TEXTS = {
    "unnamedDeposit": N_("(unnamed deposit)"),
    "noCommodity": N_("no commodity recorded"),
    "clusterTitle": N_("{n} deposits: click to zoom in"),
    "loadingDeposits": N_("Loading deposits…"),
    "depositsInView": N_("{shown} of {matching} deposits in view"),
    "grouped": N_(" (grouped: zoom in for points)"),
    "depositsFailed": N_("Deposits could not be loaded: {error}"),
    "depositsHidden": N_("Deposits hidden"),
    "exportView": N_("Export this view"),
    "exportViewCount": N_("Export this view ({n} sites)"),
    "exportViewOne": N_("Export this view (1 site)"),
    "exportFormat": N_("Export format"),
    "download": N_("Download"),
    "downloadTitle": N_("The sites matching the filters inside the map's current view"),
    "briefingPack": N_("Briefing pack"),
    "briefingTitle": N_("A zip of these sites with their timetables, changes and a map picture"),
    "layerFailed": N_("Layer {name} could not be loaded: {error}"),
}


def map_texts() -> dict[str, str]:
    """:data:`MAP_TEXTS` in the current language."""
    return {key: tr(text) for key, text in MAP_TEXTS.items()}
