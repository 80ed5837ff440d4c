"""One colour per status and per stage, the same on every page (Okabe–Ito based, colour-blind
safe); approximate locations get a dashed outline as a second cue."""

from __future__ import annotations

from domain.colours import STATUS_COLOURS
from domain.i18n import N_
from domain.vocab import Stage
from permits.summary import HEALTH_ORDER
from permits.vocab import ScheduleHealth

STAGE_COLOURS: dict[str, str] = {
    Stage.EXPLORATION: "#56B4E9",
    Stage.MINE: "#E69F00",
    Stage.SEPARATION_REFINING: "#0072B2",
    Stage.METAL_ALLOY: "#6E4B9E",
    Stage.MAGNET: "#CC79A7",
    Stage.BATTERY: "#009E73",
    Stage.CATALYST: "#F0E442",
    Stage.OPTICAL: "#882255",
    Stage.RECYCLING: "#D55E00",
    Stage.STOCKPILE: "#000000",
    Stage.SEABED_RESEARCH: "#999933",
}

_HEALTH = {
    ScheduleHealth.OVERDUE: "#D55E00",
    ScheduleHealth.PAUSED: "#CC79A7",
    ScheduleHealth.DUE_SOON: "#F0E442",
    ScheduleHealth.UNSCHEDULED: "#56B4E9",
    ScheduleHealth.ON_TRACK: "#0072B2",
    ScheduleHealth.COMPLETE: "#009E73",
    ScheduleHealth.NO_SCHEDULE: "#D9D9D9",
}
# worst first, as the site's health is the worst of its projects'; a value added to the
# vocabulary later shows in the fallback grey until it gets a colour here
HEALTH_COLOURS: dict[str, str] = {h: _HEALTH.get(h, "#D9D9D9") for h in HEALTH_ORDER}

COLOUR_SCHEMES: dict[str, tuple[str, dict[str, str]]] = {
    "status": ("status", STATUS_COLOURS),
    "stage": ("stage", STAGE_COLOURS),
    "health": ("health", HEALTH_COLOURS),
}
LEGEND_TITLES = {"status": N_("Sites by status"), "stage": N_("Sites by stage"),
                 "health": N_("Sites by schedule health")}
FALLBACK_COLOUR = "#D9D9D9"


def colour_for(scheme: str, value: str) -> str:
    """The colour of one value under a scheme ("status", "stage" or "health")."""
    return COLOUR_SCHEMES[scheme][1].get(value, FALLBACK_COLOUR)
