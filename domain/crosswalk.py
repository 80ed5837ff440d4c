"""A cross-walk link between two records that are the same place, as the finders
(``sites.crosswalk``) give it and the store (``store.crosswalk_repo``) keeps it."""

from __future__ import annotations

from dataclasses import dataclass

SAME_ID = "same source id"
NAME_DISTANCE = "name and distance"
BY_HAND = "by hand"


@dataclass(frozen=True)
class Link:
    """One link: ``a`` is the curated side (a curated deposit, a site), ``b`` the other;
    a deposit's key is ``dataset/source_record_id``, a site's its id."""

    a_kind: str
    a_key: str
    b_kind: str
    b_key: str
    method: str
    score: float
    distance_km: float | None
    detail: str


def deposit_key(dataset: object, record_id: object) -> str:
    """How a deposit is named in the cross-walk: ``dataset/source_record_id``."""
    return f"{dataset}/{record_id}"
