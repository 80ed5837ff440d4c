"""One colour per development status, shared by the web map and the briefing pack's picture
(Okabe–Ito based, colour-blind safe)."""

from __future__ import annotations

from domain.vocab import DevStatus

STATUS_COLOURS: dict[str, str] = {
    DevStatus.PRODUCER: "#009E73",
    DevStatus.CONSTRUCTION: "#0072B2",
    DevStatus.PERMITTING: "#E69F00",
    DevStatus.PERMITTED: "#8C510A",
    DevStatus.FEASIBILITY: "#F0E442",
    DevStatus.EXPLORATION: "#56B4E9",
    DevStatus.PROSPECT: "#CC79A7",
    DevStatus.OCCURRENCE: "#A6A6A6",
    DevStatus.CARE_AND_MAINTENANCE: "#6E4B9E",
    DevStatus.ON_HOLD: "#999933",
    DevStatus.PAST_PRODUCER: "#D55E00",
    DevStatus.CANCELLED: "#000000",
    DevStatus.UNKNOWN: "#D9D9D9",
}
