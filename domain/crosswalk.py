"""A cross-walk link between two records of one place (a site, a deposit, a permitting
project, a survey layer's feature), as the finders (``sites.crosswalk``) give it and the store
(``store.crosswalk_repo``) keeps it."""

from __future__ import annotations

from dataclasses import dataclass

from domain.i18n import N_, tr

SAME_ID = "same source id"
NAME_DISTANCE = "name and distance"
NAME_STATE = "name and state"  # a project without coordinates, in the site's US state
NAME_ONLY = "name only"  # alike names without a second piece of evidence: for a person
WITHIN = "within a polygon"
BY_HAND = "by hand"
IMPORTED_BY = "permits import"  # who decided a project's link the import made

#: How each method is shown (:func:`method_label`); the codes above are stored, in English.
METHOD_LABELS = {SAME_ID: N_("same source id"), NAME_DISTANCE: N_("name and distance"),
                 NAME_STATE: N_("name and state"), NAME_ONLY: N_("name only"),
                 WITHIN: N_("within a polygon"), BY_HAND: N_("by hand")}
#: Who decided a link, when not a person: shown in the reader's language.
DECIDER_LABELS = {IMPORTED_BY: N_("permits import")}


def method_label(code: str) -> str:
    """A link's method in the current language; an unknown code as it is."""
    return tr(METHOD_LABELS[code]) if code in METHOD_LABELS else code


def decider_label(who: str) -> str:
    """Who decided a link: the import in the current language, a person's name as it is."""
    return tr(DECIDER_LABELS[who]) if who in DECIDER_LABELS else who


@dataclass(frozen=True)
class Link:
    """One link: ``a`` is the curated side (a curated deposit, a site), ``b`` the other;
    a deposit's key is ``dataset/source_record_id``, a site's and a project's their ids, a
    feature's ``layer_id/feature_no``."""

    a_kind: str
    a_key: str
    b_kind: str
    b_key: str
    method: str
    score: float
    distance_km: float | None
    detail: str
    decided_by: str = ""  # stored confirmed by this when new (a link a permits import made)


def deposit_key(dataset: object, record_id: object) -> str:
    """How a deposit is named in the cross-walk: ``dataset/source_record_id``."""
    return f"{dataset}/{record_id}"


def feature_key(layer_id: object, feature_no: object) -> str:
    """How a survey layer's feature is named in the cross-walk: ``layer_id/feature_no``."""
    return f"{layer_id}/{feature_no}"
