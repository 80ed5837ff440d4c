"""Which name of a site to show: in Japanese mode its Japanese name where the data has one
(from a source), else the English one. For the pages, the map and the exports alike.

>>> row = {"name": "Niihama Nickel Refinery", "name_ja": "ニッケル工場",
...        "operator": "Sumitomo Metal Mining", "operator_ja": "住友金属鉱山"}
>>> shown_name(row, "ja"), shown_name(row, "en")
('ニッケル工場', 'Niihama Nickel Refinery')
>>> shown_name({"name": "Thacker Pass", "name_ja": None}, "ja")
'Thacker Pass'
>>> shown_field(row, "operator", "ja")
'住友金属鉱山'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from domain.vocab_names import LANGUAGES

#: The site columns that have a Japanese companion ``<column>_ja``.
NAMED_FIELDS = ("name", "operator", "admin_area", "locality")


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def shown_field(row: Mapping[Any, Any] | pd.Series, field: str, lang: str) -> str:
    """``field`` ("name", "operator", "admin_area" or "locality") of one site in ``lang``:
    the Japanese ``<field>_ja`` in Japanese when it is not empty, else the English value
    ("" when neither is there, e.g. withheld)."""
    if field not in NAMED_FIELDS:
        raise ValueError(f"{field!r} has no Japanese name: use one of {', '.join(NAMED_FIELDS)}.")
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r} is not one of {', '.join(LANGUAGES)}.")
    if lang == "ja":
        japanese = _text(row.get(f"{field}_ja"))
        if japanese:
            return japanese
    return _text(row.get(field))


def shown_name(row: Mapping[Any, Any] | pd.Series, lang: str) -> str:
    """The site's name in ``lang``: its Japanese name in Japanese mode when it has one, else
    its English name."""
    return shown_field(row, "name", lang)


def shown_names(sites: pd.DataFrame, lang: str, field: str = "name") -> pd.Series:
    """:func:`shown_field` for every row of a site table (one string per row).

    >>> frame = pd.DataFrame({"name": ["A", "B"], "name_ja": ["甲", ""]})
    >>> shown_names(frame, "ja").tolist(), shown_names(frame, "en").tolist()
    (['甲', 'B'], ['A', 'B'])
    """
    english = sites[field].map(_text) if field in sites else pd.Series("", index=sites.index)
    if lang != "ja" or f"{field}_ja" not in sites:
        return english
    japanese = sites[f"{field}_ja"].map(_text)
    return japanese.where(japanese != "", english)
