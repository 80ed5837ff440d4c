"""What a clearance reaches of the sites: the one rule the map, the pages, the routes, the
exports and the briefing pack all apply, so a marked site or attribute cannot leak through
one of them.

A site whose own marking is above the clearance is left out. An attribute marked above the
clearance (``attribute_markings``: a site's operator, say) is blanked and named in the row's
``withheld`` list, so a page can say that something is withheld without saying what. The
row's ``marking`` becomes the highest marking of what it still carries, so an export of it
states the marking of its contents.

>>> sites = pd.DataFrame({"id": ["a", "b", "c"], "operator": ["Lynas", "SMM", "Rio"],
...                       "marking": ["public", "controlled", "public"]})
>>> marks = {"a": {"operator": "business-proprietary"}}
>>> visible_sites(sites, marks, "public")[["id", "operator", "withheld", "marking"]]
  id operator    withheld marking
0  a     None  [operator]  public
2  c      Rio          []  public
>>> visible_sites(sites, marks, "business-proprietary")["marking"].tolist()
['business-proprietary', 'public']
>>> sorted(hidden_site_ids(sites, "public"))
['b']
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from domain.access import COMPANIONS, PUBLIC, highest_marking, markings_reached
from permits.frames import PermitData

#: record id -> {attribute: marking}, as ``store.markings.attribute_marks(engine, "site")``.
AttributeMarks = dict[str, dict[str, str]]


def visible_sites(sites: pd.DataFrame, attribute_marks: AttributeMarks,
                  clearance: str) -> pd.DataFrame:
    """The sites ``clearance`` reaches, their withheld attributes blanked (None) and listed in
    ``withheld``, ``marking`` the highest marking of what each row still holds."""
    seen = set(markings_reached(clearance))
    own = _own_markings(sites)
    frame = sites[own.isin(seen)].copy()
    markings = own[own.isin(seen)].tolist()
    withheld: list[list[str]] = [[] for _ in range(len(frame))]
    position = {ident: n for n, ident in enumerate(frame["id"])}
    for ident, marks in attribute_marks.items():
        row = position.get(ident)
        if row is None:
            continue
        for attribute, code in sorted(marks.items()):
            if attribute not in frame.columns:
                continue  # a column this table does not carry cannot leak from it
            if code in seen:
                markings[row] = highest_marking([markings[row], code])
                continue
            for column in (attribute, COMPANIONS.get(attribute)):  # the source's words too
                if column is None or column not in frame.columns:
                    continue
                if frame[column].dtype != object:  # pandas' text type turns None into NaN
                    frame[column] = frame[column].astype(object)
                frame.loc[frame.index[row], column] = None
            withheld[row].append(attribute)
    frame["marking"] = markings
    frame["withheld"] = withheld
    return frame


def hidden_site_ids(sites: pd.DataFrame, clearance: str) -> frozenset[str]:
    """The ids of the sites whose own marking ``clearance`` does not reach: their permitting
    projects are hidden with them (projects linked to no site stay)."""
    own = _own_markings(sites)
    return frozenset(sites.loc[~own.isin(markings_reached(clearance)), "id"])


def without_hidden_projects(frame: pd.DataFrame, projects: pd.DataFrame,
                            hidden_sites: Collection[str]) -> pd.DataFrame:
    """The rows of ``frame`` (a ``project_id`` column) whose project is not linked to one of
    ``hidden_sites``, according to ``projects`` (``project_id``, ``site_id``)."""
    if not hidden_sites:
        return frame
    hidden = projects.loc[projects["site_id"].isin(hidden_sites), "project_id"]
    return frame[~frame["project_id"].isin(hidden)]


def visible_record(data: PermitData, hidden_sites: Collection[str]) -> PermitData:
    """The permitting record without the projects (and their actions and milestones) linked
    to one of ``hidden_sites``."""
    if not hidden_sites:
        return data
    projects = data.projects
    return data.for_projects(set(projects.loc[~projects["site_id"].isin(hidden_sites),
                                              "project_id"]))


def _own_markings(sites: pd.DataFrame) -> pd.Series:
    """Each site's own marking (public where the table carries none)."""
    if "marking" not in sites.columns:
        return pd.Series(PUBLIC, index=sites.index, dtype=object)
    return sites["marking"].fillna(PUBLIC).replace("", PUBLIC).astype(object)
