"""What the tests of the Japanese messages share: a msgid's translation read from the
compiled catalog (asserting there is one), and a refused call's message in each language."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.errors import InputError
from domain.i18n import language, tr


def in_japanese(english: str) -> str:
    """The Japanese of a msgid from the compiled catalog (asserting it is translated)."""
    with language("ja"):
        text = tr(english)
    assert text != english, f"not translated: {english!r}"
    return text


def message(call: Callable[[], object], error: type[Exception] = InputError) -> str:
    """The message of ``error`` that ``call`` raises (it must raise it)."""
    with pytest.raises(error) as raised:
        call()
    return str(raised.value)


def refusal(call: Callable[[], object], error: type[Exception], lang: str) -> str:
    """:func:`message` with ``lang`` the language."""
    with language(lang):
        return message(call, error)


def both(call: Callable[[], object], error: type[Exception] = InputError) -> tuple[str, str]:
    """The message in English, then in Japanese."""
    return refusal(call, error, "en"), refusal(call, error, "ja")
