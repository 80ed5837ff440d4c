"""Controlled vocabularies: supply-chain stages, development statuses, positional quality,
commodities. Source data is messy; these functions normalise it and keep the original.

>>> normalise_commodities("lithium; bromine").canonical
('Li', 'Br')
>>> normalise_commodities("Silver,pper,,,").canonical
('Ag', 'Cu')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Stage(StrEnum):
    """Supply-chain stage of a site (one per site)."""

    EXPLORATION = "exploration"
    MINE = "mine"
    SEPARATION_REFINING = "separation/refining"
    METAL_ALLOY = "metal/alloy"
    MAGNET = "permanent magnet"
    BATTERY = "battery material or cell"
    CATALYST = "catalyst"
    OPTICAL = "optical material"
    RECYCLING = "recycling/scrap"
    STOCKPILE = "stockpile"
    SEABED_RESEARCH = "seabed/research"


class DevStatus(StrEnum):
    """Development status, compatible with USGS MRDS dev_stat and Geoscience Australia."""

    OCCURRENCE = "occurrence"
    PROSPECT = "prospect"
    EXPLORATION = "exploration"
    FEASIBILITY = "feasibility"
    PERMITTING = "permitting"
    PERMITTED = "permitted"  # permits in hand, construction not begun (e.g. awaiting finance)
    CONSTRUCTION = "construction"
    PRODUCER = "producer"
    CARE_AND_MAINTENANCE = "care and maintenance"
    ON_HOLD = "on hold"  # development suspended by its sponsor before production
    PAST_PRODUCER = "past producer"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


# A status whose source is this many years old is flagged as possibly out of date.
STALE_AFTER_YEARS = 2


def status_age_years(status_date: str, today: date) -> int | None:
    """Whole years since the source of a status (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``,
    read as the end of that period, so a year-only date is never made older), or None.

    >>> status_age_years("2018", date(2026, 12, 5)), status_age_years("2026-03", date(2026, 12, 5))
    (7, 0)
    >>> status_age_years("", date(2026, 12, 5)) is None
    True
    """
    match = re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", status_date.strip())
    if not match:
        return None
    year, month, day = int(match[1]), int(match[2] or 12), int(match[3] or 28)
    years = today.year - year - ((today.month, today.day) < (month, day))
    return max(years, 0)


class PositionQuality(StrEnum):
    """How exact a stored point is."""

    SURVEYED = "surveyed"
    PUBLISHED = "published"
    APPROXIMATE_TOWN = "approximate (town)"
    APPROXIMATE_COUNTY = "approximate (county)"
    APPROXIMATE_AREA = "approximate (area)"
    UNKNOWN = "unknown"

    @property
    def is_approximate(self) -> bool:
        return self.value.startswith("approximate") or self is PositionQuality.UNKNOWN


_STATUS_ALIASES: dict[str, DevStatus] = {
    # USGS MRDS dev_stat
    "occurrence": DevStatus.OCCURRENCE,
    "prospect": DevStatus.PROSPECT,
    "past producer": DevStatus.PAST_PRODUCER,
    "producer": DevStatus.PRODUCER,
    "plant": DevStatus.PRODUCER,
    "unknown": DevStatus.UNKNOWN,
    # Geoscience Australia
    "operating mine": DevStatus.PRODUCER,
    "developing mine": DevStatus.CONSTRUCTION,
    "care and maintenance": DevStatus.CARE_AND_MAINTENANCE,
    "resource deposit": DevStatus.PROSPECT,
    # project language
    "producing": DevStatus.PRODUCER,
    "operating": DevStatus.PRODUCER,
    "production": DevStatus.PRODUCER,
    "exploration": DevStatus.EXPLORATION,
    "feasibility": DevStatus.FEASIBILITY,
    "pre-feasibility": DevStatus.FEASIBILITY,
    "development/permitting": DevStatus.PERMITTING,
    "permitting": DevStatus.PERMITTING,
    "permitted": DevStatus.PERMITTED,
    "fully permitted": DevStatus.PERMITTED,
    "on hold": DevStatus.ON_HOLD,
    "construction": DevStatus.CONSTRUCTION,
    "under construction": DevStatus.CONSTRUCTION,
    "pilot": DevStatus.EXPLORATION,
    "cancelled": DevStatus.CANCELLED,
    "closed": DevStatus.PAST_PRODUCER,
    "past producer ": DevStatus.PAST_PRODUCER,
}


def normalise_status(text: str | None) -> DevStatus:
    """Map a source's development status to the vocabulary (UNKNOWN when not recognised).

    >>> normalise_status("Past Producer")
    <DevStatus.PAST_PRODUCER: 'past producer'>
    >>> normalise_status("  ")
    <DevStatus.UNKNOWN: 'unknown'>
    """
    key = re.sub(r"\s+", " ", (text or "").strip().lower())
    if key in _STATUS_ALIASES:
        return _STATUS_ALIASES[key]
    try:
        return DevStatus(key)
    except ValueError:
        return DevStatus.UNKNOWN


# canonical code -> display name; aliases below map source spellings to the codes
COMMODITY_NAMES: dict[str, str] = {
    "REE": "Rare-earth elements",
    "La": "Lanthanum", "Ce": "Cerium", "Pr": "Praseodymium", "Nd": "Neodymium",
    "Sm": "Samarium", "Eu": "Europium", "Gd": "Gadolinium", "Tb": "Terbium",
    "Dy": "Dysprosium", "Ho": "Holmium", "Er": "Erbium", "Tm": "Thulium",
    "Yb": "Ytterbium", "Lu": "Lutetium", "Y": "Yttrium", "Sc": "Scandium",
    "Li": "Lithium", "Ni": "Nickel", "Co": "Cobalt", "graphite": "Graphite",
    "Mn": "Manganese", "Ga": "Gallium", "Ge": "Germanium", "Sb": "Antimony",
    "W": "Tungsten", "PGE": "Platinum-group elements", "Pt": "Platinum",
    "Pd": "Palladium", "Rh": "Rhodium", "Cu": "Copper", "U": "Uranium", "Th": "Thorium",
    "Zn": "Zinc", "Pb": "Lead", "Ag": "Silver", "Au": "Gold", "Mo": "Molybdenum",
    "Sn": "Tin", "Ta": "Tantalum", "Nb": "Niobium", "Be": "Beryllium", "Bi": "Bismuth",
    "V": "Vanadium", "Ti": "Titanium", "Cr": "Chromium", "Al": "Aluminum",
    "F": "Fluorspar", "Ba": "Barite", "In": "Indium", "Te": "Tellurium",
    "Zr": "Zirconium", "Hf": "Hafnium", "Mg": "Magnesium", "K": "Potash",
    "B": "Boron", "Br": "Bromine", "P": "Phosphate", "Fe": "Iron", "As": "Arsenic",
    "Cs": "Cesium", "Rb": "Rubidium", "Sr": "Strontium", "Se": "Selenium",
    "Cd": "Cadmium", "Re": "Rhenium", "Hg": "Mercury", "Si": "Silicon",
    "Na": "Sodium", "I": "Iodine", "He": "Helium",
}

_COMMODITY_ALIASES: dict[str, str] = {
    "rare earth": "REE", "rare earths": "REE", "rare-earth": "REE", "rare-earths": "REE",
    "rare earth elements": "REE", "rare-earth elements": "REE", "ree": "REE",
    "rare-earth oxides": "REE", "reo": "REE", "light ree": "REE", "heavy ree": "REE",
    "platinum group metals": "PGE", "platinum-group metals": "PGE", "pgm": "PGE",
    "pge": "PGE", "platinum group elements": "PGE",
    "potassium": "K", "fluorine": "F", "fluorite": "F", "barium": "Ba",
    "phosphorus": "P", "phosphate rock": "P", "bauxite": "Al", "aluminium": "Al",
    "zircon": "Zr", "spodumene": "Li", "lithium brine": "Li", "flake graphite": "graphite",
    "natural graphite": "graphite", "synthetic graphite": "graphite",
    "columbium": "Nb", "wolfram": "W", "caesium": "Cs", "sulphur": "S", "sulfur": "S",
    "iron ore": "Fe", "titanium dioxide": "Ti", "ilmenite": "Ti", "rutile": "Ti",
    "monazite": "REE", "bastnaesite": "REE", "xenotime": "REE", "ionic clay": "REE",
    # USGS lithium (2019) and MRDS spellings
    "lithium carbonate": "Li", "borax": "B", "borate": "B", "borates": "B",
    "sulfate of potash": "K", "ferromanganese": "Mn", "ferrochrome": "Cr",
}
COMMODITY_NAMES["S"] = "Sulfur"

_NAME_TO_CODE: dict[str, str] = {
    **{name.lower(): code for code, name in COMMODITY_NAMES.items()},
    **{code.lower(): code for code in COMMODITY_NAMES},
    **_COMMODITY_ALIASES,
}
# suffixes of names long enough to be unambiguous, for damaged text such as "pper", "balt";
# only one-word names, so "carbonate" is not taken for "lithium carbonate"
_MIN_FRAGMENT = 4
_SINGLE_WORD_NAMES = {name: code for name, code in _NAME_TO_CODE.items() if " " not in name}


@dataclass(frozen=True)
class Commodities:
    """A ranked commodity list: canonical codes (primary first) and what was not recognised."""

    canonical: tuple[str, ...]
    unrecognised: tuple[str, ...]


def normalise_commodities(text: str | None) -> Commodities:
    """Split a multi-valued commodity field and map each value to a canonical code.

    Separators ``;``, ``,``, ``|`` and `` and `` are accepted; empty items are dropped;
    duplicates keep their first rank; damaged names ("pper", "Zirnium") are matched by
    their longest known suffix or prefix of at least four letters.

    >>> normalise_commodities("Copper, Gold").canonical
    ('Cu', 'Au')
    >>> normalise_commodities("lithium; unobtainium").unrecognised
    ('unobtainium',)
    """
    canonical: list[str] = []
    unrecognised: list[str] = []
    for raw in re.split(r"[;,|/]| and ", text or ""):
        item = raw.strip().strip(".").strip()
        if not item:
            continue
        code = commodity_code(item)
        if code is None:
            unrecognised.append(item)
        elif code not in canonical:
            canonical.append(code)
    return Commodities(tuple(canonical), tuple(unrecognised))


def named_commodities(text: str) -> set[str]:
    """The commodity codes a free text names whole: a name, an alias or a chemical symbol
    ("Nd", "PGE"); never a fragment, so damaged table text ("pper") names nothing.

    >>> sorted(named_commodities("nickel, copper; PGE and gold minor; Nd, Dy"))
    ['Au', 'Cu', 'Dy', 'Nd', 'Ni', 'PGE']
    >>> named_commodities(",,pper,")
    set()
    """
    lower = text.lower()
    found = {code for word, code in _NAME_TO_CODE.items()
             if len(word) > 3 and re.search(rf"(?<![a-z]){re.escape(word)}", lower)}
    found |= {code for code in COMMODITY_NAMES
              if re.search(rf"(?<![A-Za-z]){re.escape(code)}(?![A-Za-z])", text)}
    return found


def commodity_code(item: str) -> str | None:
    """The canonical code for one commodity name, symbol or damaged name, or None.

    >>> commodity_code("LITHIUM"), commodity_code("li"), commodity_code("Zirnium")
    ('Li', 'Li', 'Zr')
    """
    key = re.sub(r"\s+", " ", item.strip().lower())
    if key in _NAME_TO_CODE:
        return _NAME_TO_CODE[key]
    if key in {"concentrate", "ncentrate", "elements", "semiprecious", "high", "gravel"}:
        return None
    if len(key) >= _MIN_FRAGMENT and " " not in key:
        matches = {
            code
            for name, code in _SINGLE_WORD_NAMES.items()
            if len(name) > len(key) and (name.endswith(key) or name.startswith(key))
        }
        if len(matches) == 1:
            return matches.pop()
        return _damaged_match(key)
    return None


def _damaged_match(key: str) -> str | None:
    """Match a name with a dropped syllable ("Zirnium" for zirconium) by prefix and suffix."""
    candidates = {
        code
        for name, code in _SINGLE_WORD_NAMES.items()
        if len(name) > len(key) and name[:3] == key[:3] and name[-3:] == key[-3:]
    }
    return candidates.pop() if len(candidates) == 1 else None


# A filter on a group also finds records that list only its members ("Neodymium" is a REE).
COMMODITY_GROUPS: dict[str, tuple[str, ...]] = {
    "REE": ("La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu",
            "Y", "Sc"),
    "PGE": ("Pt", "Pd", "Rh"),
}


def expand_groups(codes: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The codes plus the members of any group among them, for filtering.

    >>> expand_groups(("Li", "PGE"))
    ('Li', 'PGE', 'Pt', 'Pd', 'Rh')
    """
    expanded: list[str] = []
    for code in codes:
        for member in (code, *COMMODITY_GROUPS.get(code, ())):
            if member not in expanded:
                expanded.append(member)
    return tuple(expanded)


def commodity_label(code: str) -> str:
    """Display name of a canonical code ("Li" -> "Lithium"); unknown codes pass through."""
    return COMMODITY_NAMES.get(code, code)


def join_codes(codes: tuple[str, ...] | list[str]) -> str:
    """Store a ranked list as text: ``Li;Br``."""
    return ";".join(codes)


def split_codes(text: str | None) -> list[str]:
    """Read a stored ranked list back: ``"Li;Br"`` -> ``["Li", "Br"]``."""
    return [c for c in (text or "").split(";") if c]
