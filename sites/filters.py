"""Filtering the site table and counting facets ("Lithium (34)") for the map's sidebar.

>>> import pandas as pd
>>> sites = pd.DataFrame({"id": ["a", "b"], "name": ["Mount Weld", "Niihama"],
...     "commodities": ["REE", "Ni;Co"], "stage": ["mine", "separation/refining"],
...     "status": ["producer", "producer"], "country": ["Australia", "Japan"],
...     "jointly_selected": [None, None], "lat": [-28.9, 33.96], "lon": [122.5, 133.28],
...     "other_stages": ["", ""], "operator": ["Lynas", "SMM"]})
>>> list(filter_sites(sites, SiteFilter(commodities=("Co",)))["id"])
['b']
>>> list(filter_sites(sites, SiteFilter(search="weld"))["id"])
['a']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain.bbox import BBox
from domain.deposit_view import PointFilter
from domain.vocab import expand_groups, split_codes
from domain.vocab_names import fold_text, place_readings


@dataclass(frozen=True)
class SiteFilter:
    """The filter state of the map; empty tuples mean no restriction. Hashable: a cache key."""

    commodities: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    jointly_selected_only: bool = False
    search: str = ""
    site_ids: tuple[str, ...] = ()  # one site's page exports that site only

    def describe(self) -> str:
        """The filter in words, for empty results and exports."""
        parts = [
            ", ".join(self.commodities),
            ", ".join(self.stages),
            ", ".join(self.statuses),
            ", ".join(self.countries),
            "jointly selected" if self.jointly_selected_only else "",
            f'name contains "{self.search}"' if self.search else "",
            ", ".join(self.site_ids),
        ]
        return " + ".join(p for p in parts if p) or "no filter"


def filter_sites(sites: pd.DataFrame, f: SiteFilter) -> pd.DataFrame:
    """The sites matching every part of the filter (a site matches a stage by any of its stages)."""
    mask = pd.Series(True, index=sites.index)
    if f.commodities:
        mask &= commodity_mask(sites, f.commodities)
    if f.stages:
        mask &= stage_mask(sites, f.stages)
    if f.statuses:
        mask &= sites["status"].isin(f.statuses)
    if f.countries:
        mask &= sites["country"].isin(f.countries)
    if f.jointly_selected_only:
        mask &= sites["jointly_selected"].fillna(False).astype(bool)
    if f.site_ids:
        mask &= sites["id"].isin(f.site_ids)
    if f.search.strip():
        needle = fold_text(f.search)
        haystack = sites[SEARCH_COLUMN] if SEARCH_COLUMN in sites else search_text(sites)
        mask &= haystack.str.contains(needle, regex=False).to_numpy(bool)
    return sites[mask]


#: The columns the search (``q=``) reads, English and Japanese: the kana reading of a
#: Japanese municipality (``data/places_ja.csv``) is added to its name.
SEARCH_COLUMNS = ("name", "operator", "locality", "name_ja", "operator_ja", "locality_ja")
#: A column :func:`with_search_text` adds, so that a frame filtered again and again is folded
#: once; :func:`filter_sites` folds the frame itself when it lacks it.
SEARCH_COLUMN = "search_text"


def search_text(sites: pd.DataFrame) -> pd.Series:
    """Each site's searchable text, folded as :func:`domain.vocab_names.fold_text` folds a
    query (NFKC, katakana as hiragana, case folded), one string per row. Only the values the
    frame holds are read, so an attribute withheld from it (blanked) cannot be found.

    >>> frame = pd.DataFrame({"name": ["Niihama Nickel Refinery"], "name_ja": ["ニッケル工場"],
    ...                       "locality_ja": ["新居浜市"]})
    >>> search_text(frame).iloc[0]
    'niihama nickel refinery にっける工場 新居浜市 にいはまし'
    """
    parts = [sites[c].fillna("").astype(str) for c in SEARCH_COLUMNS if c in sites]
    if "locality_ja" in sites:
        parts.append(sites["locality_ja"].map(place_readings()).fillna(""))
    if not parts:
        return pd.Series("", index=sites.index, dtype=object)
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + " " + part
    return joined.map({text: fold_text(text) for text in joined.unique()})


def with_search_text(sites: pd.DataFrame) -> pd.DataFrame:
    """The frame with its folded search text computed once (:data:`SEARCH_COLUMN`); call it
    on the frame a person may see (after :func:`sites.visibility.visible_sites`)."""
    return sites.assign(**{SEARCH_COLUMN: search_text(sites)})


def commodity_mask(sites: pd.DataFrame, commodities: tuple[str, ...]) -> pd.Series:
    """Which sites carry any of ``commodities`` (a group such as REE stands for its members)."""
    return pd.Series(commodity_masks(sites, [commodities])[0], index=sites.index)


def commodity_masks(sites: pd.DataFrame,
                    wanted: list[tuple[str, ...]]) -> list[np.ndarray]:
    """:func:`commodity_mask` for several choices at once, reading the column once."""
    matrix = code_matrix(sites["commodities"])
    return [_any_of(matrix, expand_groups(codes)) for codes in wanted]


def stage_mask(sites: pd.DataFrame, stages: tuple[str, ...]) -> pd.Series:
    """Which sites work at any of ``stages``, as their primary or another stage."""
    return pd.Series(_any_of(code_matrix(all_stages(sites)), stages), index=sites.index)


def code_matrix(lists: pd.Series) -> pd.DataFrame:
    """One boolean column per code of the ``;``-joined lists, one row per list."""
    return lists.fillna("").astype(str).str.get_dummies(sep=";").astype(bool)


def _any_of(matrix: pd.DataFrame, codes: tuple[str, ...]) -> np.ndarray:
    present = [c for c in codes if c in matrix.columns]
    if not present:
        return np.zeros(len(matrix), dtype=bool)
    return np.asarray(matrix[present].to_numpy().any(axis=1), dtype=bool)


def all_stages(sites: pd.DataFrame) -> pd.Series:
    """Each site's primary and other stages as one ``;``-joined list."""
    return sites["stage"].fillna("") + ";" + sites["other_stages"].fillna("")


def facet_counts(sites: pd.DataFrame, column: str, multi: bool = False) -> dict[str, int]:
    """How many sites carry each value of ``column`` (``multi``: a ``;``-joined list)."""
    values = sites[column].fillna("")
    if multi:
        values = values.map(split_codes).explode().dropna()
    counts = values[values != ""].value_counts()
    return {str(k): int(v) for k, v in counts.items()}


def located(sites: pd.DataFrame) -> pd.DataFrame:
    """The sites that have a point."""
    return sites[sites["lat"].notna() & sites["lon"].notna()]


def extent(sites: pd.DataFrame) -> BBox | None:
    """(west, south, east, north) of the located sites, or None when none has a point."""
    points = located(sites)
    if points.empty:
        return None
    return BBox(float(points["lon"].min()), float(points["lat"].min()),
                float(points["lon"].max()), float(points["lat"].max()))


def deposit_filter(f: SiteFilter) -> PointFilter:
    """The filter parts that apply to deposits (stage, search and selection are site-only)."""
    return PointFilter(commodities=f.commodities, statuses=f.statuses, countries=f.countries)
