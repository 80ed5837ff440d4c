"""Vocabulary codes as a person reads them in the page's language: the Japanese names of
``data/vocab_ja.csv`` (:mod:`domain.vocab_names`) in Japanese, the English label in English.
The codes themselves (stored, in URLs and exports) never change."""

from __future__ import annotations

from functools import cache

from babel import Locale

from domain.i18n import ENGLISH, current_language, tr
from domain.vocab import commodity_label
from domain.vocab_names import vocab_names
from sites.filters import SiteFilter


def word(vocabulary: str, code: object, english: str | None = None) -> str:
    """``code`` of ``vocabulary`` ("stage", "dev_status", "schedule_health", …) as shown;
    ``english`` (default: the code) in English or when there is no Japanese name."""
    text = "" if code is None or code != code else str(code)  # None and NaN: nothing
    shown = text if english is None else english
    if not text or current_language() == ENGLISH:
        return shown
    return _japanese().get((vocabulary, text.casefold()), shown)


def commodity(code: str) -> str:
    """A commodity symbol as shown: "Lithium" in English, "リチウム" in Japanese."""
    return word("commodity", code, commodity_label(code))


def country(name: object) -> str:
    """A country as stored (its English name, "South Korea") in the page's language: in
    Japanese the name CLDR gives it (Babel's locale data, "韓国"); as stored when CLDR does
    not know the English name."""
    text = "" if name is None or name != name else str(name)
    if not text or current_language() == ENGLISH:
        return text
    code = _territory_codes().get(text.casefold())
    return Locale(current_language()).territories.get(code, text) if code else text


@cache
def _territory_codes() -> dict[str, str]:
    """CLDR's English territory names (and their short and variant forms) -> region code."""
    english = Locale("en")
    names = {name.casefold(): code for code, name in english.territories.items()
             if code.isalpha()}
    return names | {"united states of america": "US", "korea, republic of": "KR"}


def words(vocabulary: str, codes: list[str]) -> dict[str, str]:
    """Each code's word, for a ``format_func`` (made in the page's run)."""
    return {code: word(vocabulary, code) for code in codes}


def filter_words(site_filter: SiteFilter) -> str:
    """The filter in the page's words, as ``SiteFilter.describe`` says it in English (for
    files and the command line): "Lithium + mine + Japan"."""
    parts = [
        ", ".join(commodity(c) for c in site_filter.commodities),
        ", ".join(word("stage", s) for s in site_filter.stages),
        ", ".join(word("dev_status", s) for s in site_filter.statuses),
        ", ".join(country(c) for c in site_filter.countries),
        tr("jointly selected") if site_filter.jointly_selected_only else "",
        tr("name contains “{text}”").format(text=site_filter.search)
        if site_filter.search else "",
        ", ".join(site_filter.site_ids),
    ]
    return " + ".join(p for p in parts if p) or tr("no filter")


@cache
def _japanese() -> dict[tuple[str, str], str]:
    """(vocabulary, code case-folded) -> Japanese name: the file spells some codes as the
    dashboard does ("Paused") where the store keeps them lower-case, and the other way."""
    return {(vocabulary, code.casefold()): name.name_ja
            for (vocabulary, code), name in vocab_names().items() if name.name_ja}
