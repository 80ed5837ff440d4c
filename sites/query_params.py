"""Query parameters (URLs and the command line) read into filter values; each bad value
raises InputError naming the parameter and what it takes."""

from __future__ import annotations

from domain.errors import InputError
from domain.i18n import tr
from domain.vocab import commodity_code


def listed(value: str | None) -> list[str]:
    """Comma-separated values, blanks dropped.

    >>> listed(" Li, ,REE ")
    ['Li', 'REE']
    """
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def flag(name: str, value: str | None) -> bool:
    """``true``/``false`` (also 1/0, yes/no); missing is false."""
    if value is None or value.strip().lower() in ("", "false", "0", "no"):
        return False
    if value.strip().lower() in ("true", "1", "yes"):
        return True
    raise InputError(tr("{name} must be true or false, not {value}.").format(
        name=name, value=repr(value)))


def commodity(value: str) -> str:
    """A commodity given by symbol or name, in any case ("Li", "lithium", "REE")."""
    code = commodity_code(value)
    if code is None:
        raise InputError(tr("commodity {value} is not known: give a symbol or a name, such as "
                            "Li or lithium, REE or rare earth elements; separate several by "
                            "commas.").format(value=repr(value)))
    return code


def choice(name: str, value: str, allowed: list[str]) -> str:
    """One of ``allowed``, matched ignoring case."""
    by_lower = {a.lower(): a for a in allowed}
    if value.lower() not in by_lower:
        raise InputError(tr("{name} {value} is not known: use one of {allowed}.").format(
            name=name, value=repr(value), allowed=", ".join(allowed)))
    return by_lower[value.lower()]
