"""Stored English texts shown in the reader's language.

Some texts are composed in English from a template and stored that way: they are the record,
and the same row is read in both languages (a cross-walk link's evidence, an import's reasons).
To show one, :func:`stored_text` finds the template it was made from (the template as a
regular expression, each ``{field}`` a non-greedy group, anchored at both ends) and fills the
template's translation in the current language with the same values. The values stay as
stored (names, ids, numbers), unless the caller says how to show a field's value; a text no
template made is shown as it is.

>>> stored_text("names 0.95 alike (a / b), 1.2 km apart",
...             ["names {score} alike ({names}), {km} km apart"])
'names 0.95 alike (a / b), 1.2 km apart'
>>> stored_text("written by hand", ["names {score} alike ({names}), {km} km apart"])
'written by hand'
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Mapping
from functools import cache

from domain.i18n import tr
from mapping.vocab_words import word
from permits.site_links import APPROXIMATE_AT, DETAILS, NO_KNOWN_STATE, NO_STATE_GIVEN
from permits.status_report import NO_SITE_GIVEN
from sites.crosswalk import EVIDENCE
from store.permits_repo import NO_SITE_MATCHED

#: How a field's value is shown, by field name (the value as stored by default).
FieldWords = Mapping[str, Callable[[str], str]]


def stored_text(text: str, templates: Iterable[str], fields: FieldWords | None = None) -> str:
    """``text``, made in English from one of ``templates``, in the current language: that
    template's translation filled with the values ``text`` holds (``fields``: how to show the
    value of a field, by name). When several templates make ``text``, the one with the most
    fixed words (the most specific) wins; when none does, ``text`` as it is."""
    best: tuple[int, str, dict[str, str]] | None = None
    for template in templates:
        pattern, fixed = _pattern(template)
        found = pattern.fullmatch(text)
        if found is not None and (best is None or fixed > best[0]):
            best = fixed, template, found.groupdict()
    if best is None:
        return text
    _, template, values = best
    shown = {name: (fields[name](value) if fields and name in fields else value)
             for name, value in values.items()}
    try:
        return tr(template).format(**shown)
    except (KeyError, IndexError, ValueError):  # a translation that lost or broke a field
        return template.format(**shown)


@cache
def _pattern(template: str) -> tuple[re.Pattern[str], int]:
    """``template`` as an anchored regular expression (each named field a group, a field
    named twice the same text), and how many fixed characters it has."""
    parts, seen, fixed = [], set(), 0
    for literal, field, _spec, _conversion in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        fixed += len(literal)
        if field is None:
            continue
        if not field.isidentifier():
            raise ValueError(f"template {template!r}: field {field!r} is not a plain name")
        parts.append(f"(?P={field})" if field in seen else f"(?P<{field}>.*?)")
        seen.add(field)
    return re.compile("".join(parts), re.DOTALL), fixed


def link_detail(text: str) -> str:
    """A permits import's link row detail (``permits.site_links``) in the current language."""
    return stored_text(text, DETAILS, _DETAIL_FIELDS)


def unlinked_reason(text: str) -> str:
    """Why a permitting project has no site (the import's detail, or that none was given or
    matched) in the current language."""
    return stored_text(text, (*DETAILS, NO_SITE_GIVEN, NO_SITE_MATCHED), _DETAIL_FIELDS)


def link_evidence(text: str) -> str:
    """A cross-walk link's evidence (``sites.crosswalk``, or a link row's detail it quotes)
    in the current language."""
    return stored_text(text, (*EVIDENCE, *DETAILS), _EVIDENCE_FIELDS)


def _position(text: str) -> str:
    """How a site's position is known: a position quality code, or "approximate (place)"."""
    shown = word("position_quality", text)
    return shown if shown != text else stored_text(text, (APPROXIMATE_AT,))


def _state(text: str) -> str:
    """A US state as stored, or the words for none."""
    return stored_text(text, (NO_KNOWN_STATE, NO_STATE_GIVEN))


_DETAIL_FIELDS: FieldWords = {"position": _position, "site_state": _state, "state": _state}
_EVIDENCE_FIELDS: FieldWords = {**_DETAIL_FIELDS, "why": link_detail}
