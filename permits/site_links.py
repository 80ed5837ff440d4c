"""Link imported permitting projects to our sites: by id, else by name and distance or state.

A link by name needs two pieces of evidence: a similar name AND either a great-circle distance
within ``max_km`` (when the project has coordinates) or the same US state (when it has none).
A site whose position is only approximate is not trusted for distance unless the caller says
so. Every project gets a row saying how it was linked, or in plain words why it was not.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from types import MappingProxyType

import numpy as np
import pandas as pd

from domain.i18n import N_

EARTH_RADIUS_KM = 6371.0088
# Names are similar at 0.8 or more (SequenceMatcher ratio, or the share of the shorter name's
# words found in the other). 0.8 keeps spelling variants ("McDermitt" / "Mc Dermitt" 0.95,
# "Bokan Dotson Ridge REE" / "Bokan-Dotson Ridge" 0.9) and names with a word more or less
# ("Thacker Pass" in "Thacker Pass Lithium"), and refuses names that only share a common word
# ("Idaho Cobalt" / "Idaho Power Line" 0.5). Distance or state is checked as well, which is
# what makes a lenient name test safe.
NAME_THRESHOLD = 0.8
# Words that say what kind of thing a project is, not which one. Commodity words (lithium,
# copper, ...) are kept: dropping them turns "Idaho Cobalt Operations" into a bare state name.
GENERIC_WORDS = frozenset({
    "the", "of", "and", "a", "at", "in", "on", "project", "projects", "mine", "mines",
    "mining", "exploration", "expansion", "operation", "operations", "facility", "plant",
    "deposit", "deposits", "site", "complex", "proposed", "phase", "restart", "llc", "inc",
    "corp", "corporation", "company", "co", "fast", "41", "transparency", "covered",
})
_MIN_SHARED_GRAMS = 0.5  # share of letter triples a name must share to be scored at all
_MIN_SHARED_CHARS = 5  # a word share counts only when the shared words are this long together
_NO_LINKS: Mapping[str, str] = MappingProxyType({})
_PRECISE = frozenset({"published", "surveyed"})

# The words of a link row's detail: kept in English (the import report stores them, and the
# cross-walk's evidence quotes them), shown in the reader's language by matching them back to
# these templates (mapping.stored_words). Numbers are filled in already formatted.
LINKED_BEFORE = N_("linked before")
PROJECT_NAMES_SITE = N_("the project names this site")
REJECTED_BY_CROSSWALK = N_("the cross-walk says it is not {sites}")
NO_SIMILAR_NAME = N_("no site with a similar name")
TWO_TIED = N_("two sites match equally: {sites}")
SEVERAL_TIED = N_("{count} sites match equally: {sites}")
POSITION_REFUSED = N_("similar name '{name}' but its position is {position}; accept "
                      "approximate matches to link it")
TOO_FAR = N_("similar name '{name}' but {km} km away (limit {limit} km)")
BY_DISTANCE = N_("name {score} similar, {km} km apart")
BY_DISTANCE_APPROXIMATE = N_("name {score} similar, {km} km apart; site position {position}")
BY_STATE = N_("name {score} similar, both in {state}")
BY_STATE_APPROXIMATE = N_("name {score} similar, both in {state}; site position {position}")
OTHER_STATE = N_("similar name '{name}' but the site is in {site_state} and the project in "
                 "{state}")
NO_KNOWN_STATE = N_("no known state")
NO_STATE_GIVEN = N_("no state given")
APPROXIMATE_AT = N_("approximate ({place})")
#: Every template of a link row's detail (``position``, ``site_state`` and ``state`` fields
#: may hold one of them too).
DETAILS = (LINKED_BEFORE, PROJECT_NAMES_SITE, REJECTED_BY_CROSSWALK, NO_SIMILAR_NAME,
           TWO_TIED, SEVERAL_TIED, POSITION_REFUSED, TOO_FAR, BY_DISTANCE,
           BY_DISTANCE_APPROXIMATE, BY_STATE, BY_STATE_APPROXIMATE, OTHER_STATE, NO_KNOWN_STATE,
           NO_STATE_GIVEN, APPROXIMATE_AT)


@dataclass(frozen=True)
class LinkRow:
    """How one project was linked to a site, or why it was not (``site_id`` empty)."""

    project_id: str
    title: str
    site_id: str
    method: str  # "id", "name and distance", "name and state", or "" when unmatched
    detail: str


@dataclass(frozen=True)
class LinkReport:
    """The links made (project id -> site id) and one row per project."""

    site_ids: dict[str, str]
    rows: list[LinkRow]


# (project lat, project lon, site id) -> km; the store's, on PostGIS, measures on the spheroid.
SiteDistance = Callable[[float, float, str], float]


def link_projects(projects: pd.DataFrame, sites: pd.DataFrame, *,
                  known_links: Mapping[str, str] = _NO_LINKS, max_km: float = 50.0,
                  accept_approximate: bool = False,
                  site_distance_km: SiteDistance | None = None,
                  rejected: frozenset[tuple[str, str]] = frozenset()) -> LinkReport:
    """Link each project (project_id, title, site_id, state, lat, lon) to at most one site.

    ``sites`` has id, name, admin_area, lat, lon, position_quality (and optionally
    location_note). ``known_links`` maps project ids to site ids linked before.
    ``site_distance_km`` measures a project's distance to a site (default: great-circle
    distance from the sites' lat/lon). ``rejected``: (project id, site id) pairs someone
    said are not one place (the cross-walk), never linked.
    """
    index = _Sites(sites, site_distance_km)
    rows = [_link(project, index, known_links, max_km, accept_approximate, rejected)
            for project in _records(projects)]
    return LinkReport({r.project_id: r.site_id for r in rows if r.site_id}, rows)


def name_words(name: str) -> tuple[str, ...]:
    """The distinctive words of a name: lower case, no accents, punctuation or generic words.

    >>> name_words("Thacker Pass Lithium Mine Project"), name_words("Bokan–Dotson Ridge")
    (('thacker', 'pass', 'lithium'), ('bokan', 'dotson', 'ridge'))
    >>> name_words("The Project")
    ('the', 'project')
    """
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    words = tuple(re.findall(r"[a-z0-9]+", plain.lower()))
    kept = tuple(w for w in words if w not in GENERIC_WORDS)
    return kept or words


def name_variants(name: str) -> list[tuple[str, ...]]:
    """A name without its brackets, and the text in each pair of brackets.

    >>> name_variants("Hermosa Project (Taylor and Clark deposits)")
    [('hermosa',), ('taylor', 'clark')]
    """
    inside = re.findall(r"\(([^()]*)\)", name)
    outside = re.sub(r"\([^()]*\)", " ", name)
    return [w for w in (name_words(t) for t in (outside, *inside)) if w]


def name_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Similarity of two word lists: the better of character ratio and word share.

    >>> round(name_similarity(("thacker", "pass"), ("thacker", "pass", "lithium")), 2)
    1.0
    >>> round(name_similarity(("mcdermitt",), ("mc", "dermitt")), 2)
    0.95
    >>> name_similarity(("idaho", "cobalt"), ("idaho", "power", "line")) < NAME_THRESHOLD
    True
    """
    matcher = SequenceMatcher(None, "", " ".join(b), autojunk=False)
    return _similarity(a, _Variant(frozenset(b), matcher))


@dataclass(frozen=True)
class _Variant:
    """One spelling of a site name, its matcher prepared once (seq2 is the costly side)."""

    words: frozenset[str]
    matcher: SequenceMatcher[str]


def _similarity(a: tuple[str, ...], b: _Variant) -> float:
    """``name_similarity``, exact at or above the threshold, a lower bound below it."""
    words = set(a)
    shared = words & b.words
    share = 0.0
    if sum(len(w) for w in shared) >= _MIN_SHARED_CHARS:
        share = len(shared) / min(len(words), len(b.words))
    if share >= 1.0:
        return share
    matcher = b.matcher
    matcher.set_seq1(" ".join(a))
    if matcher.real_quick_ratio() < NAME_THRESHOLD or matcher.quick_ratio() < NAME_THRESHOLD:
        return share  # the ratio cannot reach the threshold
    return max(share, matcher.ratio())


def _grams(text: str) -> set[str]:
    """Letter triples of a name, padded so short words have some.

    >>> sorted(_grams("ab"))
    [' ab', 'ab ']
    """
    padded = f" {text} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def distances_km(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Great-circle (haversine) distances from one point to many, in km.

    >>> km = distances_km(0.0, 0.0, np.array([0.0, 1.0, 0.0]), np.array([1.0, 0.0, 0.0]))
    >>> [round(float(d)) for d in km]
    [111, 111, 0]
    """
    p1, p2 = np.radians(lat), np.radians(lats)
    dp, dl = p2 - p1, np.radians(lons - lon)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


class _Sites:
    """The sites as arrays, with their name variants prepared once."""

    def __init__(self, sites: pd.DataFrame, distance: SiteDistance | None = None) -> None:
        self.ids = [str(i) for i in sites["id"]]
        self._distance = distance
        self.names = [str(n) for n in sites["name"]]
        self.position = {i: n for n, i in enumerate(self.ids)}
        self.variants = [[_Variant(frozenset(v), SequenceMatcher(None, "", " ".join(v),
                                                                  autojunk=False))
                          for v in name_variants(n)] for n in self.names]
        self.lats = pd.to_numeric(sites["lat"], errors="coerce").to_numpy(float)
        self.lons = pd.to_numeric(sites["lon"], errors="coerce").to_numpy(float)
        self.quality = [str(q).strip().lower() for q in sites["position_quality"]]
        self.admin = [a.strip() if isinstance(a, str) else "" for a in sites["admin_area"]]
        self.states = [_state_key(a) for a in self.admin]
        notes = sites["location_note"] if "location_note" in sites else [""] * len(sites)
        self.notes = [str(n) if isinstance(n, str) else "" for n in notes]
        self.by_gram: dict[str, list[int]] = {}
        self.gram_counts = np.zeros(len(self.ids), dtype="int64")
        for i, variants in enumerate(self.variants):
            grams = {g for v in variants for g in _grams(" ".join(sorted(v.words)))}
            self.gram_counts[i] = len(grams)
            for gram in grams:
                self.by_gram.setdefault(gram, []).append(i)

    def name_scores(self, title: str) -> np.ndarray:
        """The best similarity of ``title`` to any variant of each site's name.

        Only sites sharing enough letter triples with the title are scored: a name 0.8 similar
        shares most of them, and scoring every pair would grow as projects × sites.
        """
        ours = name_variants(title)
        scores = np.zeros(len(self.ids))
        for i in self._candidates(ours):
            scores[i] = max((_similarity(a, b) for a in ours for b in self.variants[i]),
                            default=0.0)
        return scores

    def _candidates(self, ours: list[tuple[str, ...]]) -> list[int]:
        grams = {g for words in ours for g in _grams(" ".join(sorted(words)))}
        counts: dict[int, int] = {}
        for gram in grams:
            for i in self.by_gram.get(gram, ()):
                counts[i] = counts.get(i, 0) + 1
        # Against the shorter of the two names: "Stibnite" inside a long project title counts.
        return [i for i, n in counts.items()
                if n >= max(1, _MIN_SHARED_GRAMS * min(len(grams), self.gram_counts[i]))]

    def distance_km(self, lat: float, lon: float, i: int) -> float:
        """A project's distance to site ``i``."""
        if self._distance is not None:
            return self._distance(lat, lon, self.ids[i])
        return float(distances_km(lat, lon, self.lats[i:i + 1], self.lons[i:i + 1])[0])

    def position_words(self, i: int) -> str:
        """How a site's position is known, for messages: "approximate (centre of X County)"."""
        quality = self.quality[i] or "unknown"
        note = re.match(r"location approximate:\s*([^(;]+)", self.notes[i])
        if note and quality.startswith("approximate"):
            return APPROXIMATE_AT.format(place=note.group(1).strip().rstrip(","))
        return quality


@dataclass(frozen=True)
class _Verdict:
    site: int
    score: float
    method: str  # "" when the name matched but the site cannot be linked
    detail: str


def _link(project: dict[str, object], sites: _Sites, known: Mapping[str, str], max_km: float,
          accept_approximate: bool, rejected: frozenset[tuple[str, str]]) -> LinkRow:
    pid, title = str(project.get("project_id", "")), str(project.get("title", "") or "")
    by_id = _by_id(pid, str(project.get("site_id", "") or ""), sites, known)
    if by_id is not None and (pid, by_id[0]) not in rejected:
        return LinkRow(pid, title, by_id[0], "id", by_id[1])
    scores = sites.name_scores(title)
    refused = [i for i in np.flatnonzero(scores > 0) if (pid, sites.ids[i]) in rejected]
    scores[refused] = 0.0
    candidates = np.flatnonzero(scores >= NAME_THRESHOLD)
    if len(candidates) == 0:
        if refused:
            return LinkRow(pid, title, "", "", REJECTED_BY_CROSSWALK.format(
                sites=", ".join(sites.ids[i] for i in refused)))
        return LinkRow(pid, title, "", "", NO_SIMILAR_NAME)
    verdicts = [_judge(project, int(i), float(scores[i]), sites, max_km, accept_approximate)
                for i in candidates]
    usable = [v for v in verdicts if v.method]
    if not usable:
        best = max(verdicts, key=lambda v: v.score)
        return LinkRow(pid, title, "", "", best.detail)
    top = max(round(v.score, 2) for v in usable)
    tied = [v for v in usable if round(v.score, 2) == top]
    if len(tied) > 1:
        names = ", ".join(sites.ids[v.site] for v in tied)
        said = TWO_TIED if len(tied) == 2 else SEVERAL_TIED
        return LinkRow(pid, title, "", "", said.format(count=len(tied), sites=names))
    return LinkRow(pid, title, sites.ids[tied[0].site], tied[0].method, tied[0].detail)


def _by_id(pid: str, own: str, sites: _Sites, known: Mapping[str, str]
           ) -> tuple[str, str] | None:
    """(site id, detail) when a known link or the project's own site_id names a site."""
    linked = known.get(pid, "")
    if linked in sites.position:
        return linked, LINKED_BEFORE
    if own in sites.position:
        return own, PROJECT_NAMES_SITE
    return None


def _judge(project: dict[str, object], i: int, score: float, sites: _Sites, max_km: float,
           accept_approximate: bool) -> _Verdict:
    """Whether a site with a similar name can be linked, and the words to say so."""
    name, similar = sites.names[i], f"{score:.2f}"
    lat, lon = _number(project.get("lat")), _number(project.get("lon"))
    precise = sites.quality[i] in _PRECISE
    position = "" if precise else sites.position_words(i)
    if np.isnan(lat) or np.isnan(lon):
        return _by_state(project, i, score, sites, position)
    if not (precise or accept_approximate):
        return _Verdict(i, score, "", POSITION_REFUSED.format(
            name=name, position=sites.position_words(i)))
    if np.isnan(sites.lats[i]) or np.isnan(sites.lons[i]):  # no point to measure from
        return _by_state(project, i, score, sites, position)
    km = sites.distance_km(lat, lon, i)
    if km > max_km:
        return _Verdict(i, score, "", TOO_FAR.format(name=name, km=f"{km:.0f}",
                                                     limit=f"{max_km:g}"))
    said = BY_DISTANCE_APPROXIMATE if position else BY_DISTANCE
    return _Verdict(i, score, "name and distance",
                    said.format(score=similar, km=f"{km:.1f}", position=position))


def _by_state(project: dict[str, object], i: int, score: float, sites: _Sites,
              position: str) -> _Verdict:
    """A name match counts when the project lies in the site's US state (``position``: how
    the site's position is known when not precisely, else "")."""
    site_state = sites.admin[i] or NO_KNOWN_STATE
    if sites.states[i] and sites.states[i] in _state_key(project.get("state")).split(";"):
        said = BY_STATE_APPROXIMATE if position else BY_STATE
        return _Verdict(i, score, "name and state",
                        said.format(score=f"{score:.2f}", state=site_state, position=position))
    place = str(project.get("state", "") or "").strip() or NO_STATE_GIVEN
    return _Verdict(i, score, "", OTHER_STATE.format(name=sites.names[i], site_state=site_state,
                                                      state=place))
def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _state_key(value: object) -> str:
    """State names in lower case, several joined by ';'.

    >>> _state_key(" Nevada, Oregon "), _state_key(None)
    ('nevada;oregon', '')
    """
    text = value if isinstance(value, str) else ""
    return ";".join(p.strip().lower() for p in re.split(r"[,;/]", text) if p.strip())


def _number(value: object) -> float:
    try:
        return float(str(value)) if value is not None and value != "" else float("nan")
    except ValueError:
        return float("nan")
