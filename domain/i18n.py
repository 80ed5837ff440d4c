"""The interface's language: English (the source text) or Japanese, from gettext catalogs.

Text shown to a person is written in English in the code and wrapped: ``tr("Map")``, or
``tr("{n} sites match").format(n=n)`` when it holds values (an f-string cannot be looked up),
``ntr("{n} site", "{n} sites", n)`` when it counts, ``trc("audit", "Action")`` when one English
word has two meanings, and ``N_("Map")`` for a constant defined
before any language is known (translated where shown, with ``tr(CONSTANT)``). Babel extracts
these calls into ``domain/locale/permitmap.pot`` and compiles ``domain/locale/ja/LC_MESSAGES/
permitmap.po`` into the ``.mo`` read here (``python -m mapping.catalogs``).

The language is per request or page run (a context variable), so two people in two
languages on one server never see each other's. Standard library only.
"""

from __future__ import annotations

import gettext
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "permitmap"
ENGLISH, JAPANESE = "en", "ja"
LANGUAGES = (ENGLISH, JAPANESE)
#: The URL query parameter that names the language (``?lang=ja``): pages, routes, sign-in.
LANG_PARAM = "lang"
#: How each language names itself in the language switch.
LANGUAGE_NAMES = {ENGLISH: "English", JAPANESE: "日本語"}

_language: ContextVar[str] = ContextVar("permitmap_language", default=ENGLISH)
_log = logging.getLogger(__name__)


def language_from(value: object) -> str:
    """A requested language as one of :data:`LANGUAGES` (English for anything else).

    >>> language_from("ja"), language_from("JA "), language_from("fr"), language_from(None)
    ('ja', 'ja', 'en', 'en')
    """
    text = str(value or "").strip().lower()
    return text if text in LANGUAGES else ENGLISH


def asked_language(params: Mapping[str, str]) -> str:
    """The language a request's query parameters ask for (:data:`LANG_PARAM`), else English."""
    return language_from(params.get(LANG_PARAM))


def set_language(language: str) -> None:
    """Use ``language`` for what this request or page run shows from now on."""
    _language.set(language_from(language))


def current_language() -> str:
    """The language of this request or page run."""
    return _language.get()


@contextmanager
def language(language: str) -> Iterator[None]:
    """``language`` for the ``with`` block only (a file made in another language)."""
    token = _language.set(language_from(language))
    try:
        yield
    finally:
        _language.reset(token)


def tr(message: str) -> str:
    """``message`` in the current language (itself in English, or when not translated)."""
    if current_language() == ENGLISH:
        return message
    return catalog(current_language()).gettext(message)


def ntr(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n`` in the current language."""
    if current_language() == ENGLISH:
        return singular if n == 1 else plural
    return catalog(current_language()).ngettext(singular, plural, n)


def trc(context: str, message: str) -> str:
    """``message`` as meant in ``context`` ("audit"): for an English word that another
    language says in two ways (an audit trail's "Action" is 操作, a permitting action 手続)."""
    if current_language() == ENGLISH:
        return message
    return catalog(current_language()).pgettext(context, message)


def N_(message: str) -> str:  # the name Babel and gettext tools look for
    """Mark ``message`` for the catalog without translating it now."""
    return message


@cache
def catalog(language: str) -> gettext.NullTranslations:
    """The compiled catalog of ``language``; English text (and one log line) when it has
    not been compiled."""
    try:
        return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])
    except OSError:
        _log.warning("no compiled %s catalog in %s: run `python -m mapping.catalogs compile` "
                     "(make assets does)", language, LOCALE_DIR)
        return gettext.NullTranslations()
