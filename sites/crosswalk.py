"""Candidate links between records that are the same place: a curated deposit and an
imported one, a site and a deposit. No store: tables in, links out (``store.crosswalk_repo``
keeps them, with what people decided).

Each link says how it was found:

- ``same source id``: an imported deposit carries the curated one's source record id (the
  MRDS ``dep_id``, the USGS lithium table's ``Ftr_ID``), or a site's location note or
  source names a deposit's record id. Score 1.
- ``name and distance``: names alike (``permits.site_links.name_similarity``, also against a
  deposit's other names) within ``max_km``. Score: the name's similarity, falling linearly to
  half of it at ``max_km`` away.
- a permitting project and a site: the link the permits import made (by the project's own
  site id, a link made before, or name and distance or state; stored as decided by the
  import), or for a project it left without a site, ``name only``: a site with an alike name
  but without the second piece of evidence the import needs, for a person to judge (score:
  half the similarity).
- ``within a polygon``: a site or curated deposit lies within a survey layer's polygon.

A deposit is keyed ``dataset/source_record_id`` (not by its row id), so a link survives the
deposit's table being imported again.

>>> import pandas as pd
>>> curated = pd.DataFrame({"dataset": ["permitmap-curated"], "source_record_id": ["10070971"],
...     "name": ["Bokan Mountain"], "other_names": [""], "lat": [54.9], "lon": [-132.1]})
>>> imported = pd.DataFrame({"dataset": ["mrds"], "source_record_id": ["10070971"],
...     "name": ["Bokan Mtn"], "other_names": [""], "lat": [54.91], "lon": [-132.12]})
>>> [(x.method, x.score) for x in deposit_links(curated, imported)]
[('same source id', 1.0)]
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from domain.crosswalk import (
    IMPORTED_BY,
    NAME_DISTANCE,
    NAME_ONLY,
    NAME_STATE,
    SAME_ID,
    WITHIN,
    Link,
    deposit_key,
    feature_key,
)
from domain.i18n import N_
from permits.site_links import (
    NAME_THRESHOLD,
    PROJECT_NAMES_SITE,
    distances_km,
    name_similarity,
    name_variants,
)

DEPOSIT_KM = 5.0  # one deposit recorded twice lies within this of itself
SITE_KM = 10.0  # a mine and the deposit it works

# A link's evidence, stored in English (the record, read in both languages) and shown in the
# reader's language by matching it back to these templates (mapping.stored_words). Numbers
# are filled in already formatted; ``why`` holds a link row's detail (permits.site_links).
BOTH_RECORD = N_("both record {record}")
NAMES_ALIKE = N_("names {score} alike ({names}), {km} km apart")
NOTES_NAME_RECORD = N_("the site's notes name record {record}")
NAMES_NO_SITE = N_("the record names no site")
NAMES_ALIKE_NOT_LINKED = N_("names {score} alike ({names}); not linked by the import: {why}")
LIES_WITHIN = N_("lies within {feature} of survey layer {layer}")
#: Every template of the evidence this module writes (a project link's may also be one of
#: ``permits.site_links.DETAILS``).
EVIDENCE = (BOTH_RECORD, NAMES_ALIKE, NOTES_NAME_RECORD, NAMES_NO_SITE, NAMES_ALIKE_NOT_LINKED,
            LIES_WITHIN)


def deposit_links(curated: pd.DataFrame, imported: pd.DataFrame,
                  max_km: float = DEPOSIT_KM) -> list[Link]:
    """Curated deposits (dataset, source_record_id, name, other_names, lat, lon) matched to
    imported ones: one link per pair, the strongest evidence first."""
    imported = imported.reset_index(drop=True)
    by_id: dict[str, list[int]] = {}
    for i, record in enumerate(imported["source_record_id"].astype(str)):
        by_id.setdefault(record, []).append(i)
    lats, lons = _points(imported)
    variants = [spellings(n, o) for n, o in zip(imported["name"], imported["other_names"],
                                                    strict=True)]
    links = []
    for row in curated.to_dict("records"):
        a_key = deposit_key(row["dataset"], row["source_record_id"])
        km = _km(row, lats, lons)
        matched = set()
        for i in by_id.get(str(row["source_record_id"]), []):
            matched.add(i)
            links.append(Link("deposit", a_key, "deposit", _key(imported, i), SAME_ID, 1.0,
                              _round(float(km[i])),
                              BOTH_RECORD.format(record=row["source_record_id"])))
        mine = spellings(row["name"], row.get("other_names"))
        for i in np.flatnonzero(km <= max_km).tolist():
            if i in matched:
                continue
            similarity, said = best_similarity(mine, variants[i])
            if similarity >= NAME_THRESHOLD:
                links.append(Link("deposit", a_key, "deposit", _key(imported, i), NAME_DISTANCE,
                                  _score(similarity, float(km[i]), max_km), _round(float(km[i])),
                                  NAMES_ALIKE.format(score=f"{similarity:.2f}", names=said,
                                                     km=f"{km[i]:.1f}")))
    return links


def site_deposit_links(sites: pd.DataFrame, deposits: pd.DataFrame,
                       max_km: float = SITE_KM) -> list[Link]:
    """Sites (id, name, lat, lon, location_note, source) matched to deposits (dataset,
    source_record_id, name, other_names, lat, lon): the record id named in the site's notes,
    or a name alike within ``max_km``. A site without a position matches by id only."""
    deposits = deposits.reset_index(drop=True)
    ids = deposits["source_record_id"].astype(str)
    wanted = {r: i for i, r in enumerate(ids) if len(r) >= 5}  # short ids say too little
    lats, lons = _points(deposits)
    variants = [spellings(n, o) for n, o in zip(deposits["name"], deposits["other_names"],
                                                    strict=True)]
    links = []
    for row in sites.to_dict("records"):
        text = f"{row.get('location_note') or ''} {row.get('source') or ''}"
        named = {wanted[token] for token in re.findall(r"[A-Za-z]{0,3}\d{4,}", text)
                 if token in wanted}
        located = pd.notna(row.get("lat")) and pd.notna(row.get("lon"))
        km = _km(row, lats, lons) if located else np.full(len(deposits), np.inf)
        for i in sorted(named):
            links.append(Link("site", str(row["id"]), "deposit", _key(deposits, i), SAME_ID,
                              1.0, _round(float(km[i])), NOTES_NAME_RECORD.format(record=ids[i])))
        if not located:
            continue
        mine = spellings(row["name"], None)
        for i in np.flatnonzero(km <= max_km).tolist():
            if i in named:
                continue
            similarity, said = best_similarity(mine, variants[i])
            if similarity >= NAME_THRESHOLD:
                links.append(Link("site", str(row["id"]), "deposit", _key(deposits, i),
                                  NAME_DISTANCE, _score(similarity, float(km[i]), max_km),
                                  _round(float(km[i])),
                                  NAMES_ALIKE.format(score=f"{similarity:.2f}", names=said,
                                                     km=f"{km[i]:.1f}")))
    return links


_IMPORT_METHODS = {"id": SAME_ID, "name and distance": NAME_DISTANCE,
                   "name and state": NAME_STATE}


def site_project_links(sites: pd.DataFrame, projects: pd.DataFrame,
                       import_rows: Mapping[str, Mapping[str, Any]]) -> list[Link]:
    """Sites (id, name) and permitting projects (project_id, title, site_id): the links the
    permits import made, and ``name only`` candidates for the projects it left without a
    site. ``import_rows``: the last import's link row of each project (method, detail)."""
    site_ids = sites["id"].astype(str).tolist()
    site_names = [spellings(n, None) for n in sites["name"]]
    index = {sid: i for i, sid in enumerate(site_ids)}
    links = []
    for row in projects.to_dict("records"):
        pid, title = str(row["project_id"]), str(row.get("title") or "")
        linked = str(row.get("site_id") or "")
        said = import_rows.get(pid, {})
        mine = spellings(title, None)
        if linked in index:
            method = _IMPORT_METHODS.get(str(said.get("method") or "id"), SAME_ID)
            similarity = 1.0 if method == SAME_ID else \
                best_similarity(mine, site_names[index[linked]])[0]
            links.append(Link("site", linked, "project", pid, method, round(similarity, 3),
                              None, str(said.get("detail") or PROJECT_NAMES_SITE),
                              decided_by=IMPORTED_BY))
            continue
        for i, theirs in enumerate(site_names):
            similarity, alike = best_similarity(mine, theirs)
            if similarity >= NAME_THRESHOLD:
                why = str(said.get("detail") or NAMES_NO_SITE)
                links.append(Link("site", site_ids[i], "project", pid, NAME_ONLY,
                                  round(similarity / 2, 3), None,
                                  NAMES_ALIKE_NOT_LINKED.format(score=f"{similarity:.2f}",
                                                                names=alike, why=why)))
    return links


def feature_links(places: pd.DataFrame, kind: str, layer_id: str, layer_name: str,
                  polygons: np.ndarray, labels: list[str], numbers: list[int]) -> list[Link]:
    """Places (``kind``: "site" or "deposit"; key, lat, lon) lying within a survey layer's
    polygons (lon/lat shapely geometries, their labels and feature numbers)."""
    import shapely  # here: the deposit and site finders above need none of it

    lats, lons = _points(places)
    keys = places["key"].astype(str).tolist()
    known = np.flatnonzero(~(np.isnan(lats) | np.isnan(lons)))
    tree = shapely.STRtree(polygons)
    points = shapely.points(lons[known], lats[known])
    at, within = tree.query(points, predicate="within")
    return [Link(kind, keys[known[p]], "feature", feature_key(layer_id, numbers[f]), WITHIN,
                 1.0, 0.0, LIES_WITHIN.format(feature=labels[f], layer=layer_name))
            for p, f in zip(at.tolist(), within.tolist(), strict=True)]


def spellings(name: object, other_names: object) -> list[tuple[str, ...]]:
    """The name's and its other names' (``;`` between them) spellings, as words."""
    names = [str(name or "")] + [n for n in str(other_names or "").split(";") if n.strip()]
    return [v for n in names for v in name_variants(n)]


def best_similarity(mine: list[tuple[str, ...]],
                    theirs: list[tuple[str, ...]]) -> tuple[float, str]:
    """The best similarity of any two spellings, and the pair that gave it."""
    best, said = 0.0, ""
    for a in mine:
        for b in theirs:
            similarity = name_similarity(a, b)
            if similarity > best:
                best, said = similarity, f"{' '.join(a)} / {' '.join(b)}"
    return best, said


def _points(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return (pd.to_numeric(frame["lat"], errors="coerce").to_numpy(float),
            pd.to_numeric(frame["lon"], errors="coerce").to_numpy(float))


def _km(row: Mapping[Hashable, Any], lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Distances from the row's point to every other point; infinite where unknown."""
    try:
        lat, lon = float(row["lat"]), float(row["lon"])
    except (TypeError, ValueError):
        return np.full(len(lats), np.inf)
    if np.isnan(lat) or np.isnan(lon):
        return np.full(len(lats), np.inf)
    km = distances_km(lat, lon, lats, lons)
    return np.where(np.isnan(km), np.inf, km)


def _key(frame: pd.DataFrame, i: int) -> str:
    return deposit_key(frame.at[i, "dataset"], frame.at[i, "source_record_id"])


def _score(similarity: float, km: float, max_km: float) -> float:
    return round(similarity * (1.0 - 0.5 * min(km / max_km, 1.0)), 3)


def _round(km: float) -> float | None:
    return None if not np.isfinite(km) else round(float(km), 3)
