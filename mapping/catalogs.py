"""The interface's gettext catalogs, with Babel: ``python -m mapping.catalogs COMMAND``.

- ``extract`` writes ``domain/locale/permitmap.pot``: every ``tr``, ``ntr``, ``trc`` and
  ``N_`` call in the code (:mod:`domain.i18n`).
- ``update`` merges it into each language's ``.po`` (new texts untranslated, gone ones
  marked obsolete), for a translator to fill in.
- ``compile`` writes each ``.po`` as the ``.mo`` the app reads (``make assets`` runs it; it
  rewrites only what is older than its ``.po``).
- ``check`` fails (exit 1, listing them) when a text in the code has no translation in a
  language, or one is left fuzzy: ``make test`` runs it.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from domain.i18n import DOMAIN, ENGLISH, LANGUAGES, LOCALE_DIR

ROOT = LOCALE_DIR.parent.parent
#: The packages whose text reaches a person.
SOURCES = ("mapping", "services", "sites", "exports", "layers", "store", "permits", "domain",
           "commands")
KEYWORDS = {"tr": None, "ntr": (1, 2), "trc": ((1, "c"), 2), "N_": None}


@dataclass(frozen=True)
class Missing:
    """A text of the code without a usable translation in ``language``."""

    language: str
    message: str
    where: str
    why: str  # "not in the catalog", "not translated", "fuzzy", "other {fields}"


def extract() -> Catalog:
    """Every marked text of :data:`SOURCES`, with where it is used."""
    template = Catalog(project="permitmap", domain=DOMAIN)
    for package in SOURCES:
        for filename, line, message, comments, context in extract_from_dir(
                ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS,
                comment_tags=("TRANSLATORS:",), strip_comment_tags=True):
            template.add(message, None, [(f"{package}/{filename}", line)],
                         auto_comments=comments, context=context)
    return template


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(language: str) -> Catalog:
    """The ``.po`` of ``language`` (empty when there is none yet)."""
    path = po_path(language)
    if not path.is_file():
        return Catalog(locale=language, project="permitmap", domain=DOMAIN)
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def update() -> None:
    """The template written, and merged into every translated language's ``.po``."""
    template = extract()
    LOCALE_DIR.mkdir(parents=True, exist_ok=True)
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("wb") as handle:
        write_po(handle, template, omit_header=True, sort_output=True)
    for language in LANGUAGES:
        if language == ENGLISH:
            continue
        catalog = read_catalog(language)
        catalog.update(template, no_fuzzy_matching=True)
        po_path(language).parent.mkdir(parents=True, exist_ok=True)
        with po_path(language).open("wb") as handle:
            write_po(handle, catalog, omit_header=True, sort_output=True, width=100,
                     ignore_obsolete=True)


def compile_catalogs(force: bool = False) -> list[Path]:
    """Each ``.po`` written as its ``.mo`` when that is missing or older; those written."""
    written = []
    for language in LANGUAGES:
        source = po_path(language)
        target = source.with_suffix(".mo")
        if not source.is_file():
            continue
        if not force and target.is_file() and target.stat().st_mtime >= source.stat().st_mtime:
            continue
        catalog = read_catalog(language)
        with target.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        written.append(target)
    return written


def missing() -> list[Missing]:
    """The texts of the code without a usable translation, in each language but English."""
    template = extract()
    found = []
    for language in LANGUAGES:
        if language == ENGLISH:
            continue
        catalog = read_catalog(language)
        for message in template:
            if not message.id:
                continue
            where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
            text = message.id if isinstance(message.id, str) else message.id[0]
            have = catalog.get(message.id, context=message.context)
            if have is None:
                found.append(Missing(language, text, where, "not in the catalog"))
            elif have.fuzzy:
                found.append(Missing(language, text, where, "fuzzy"))
            elif not all(have.string) if isinstance(have.string, tuple) else not have.string:
                found.append(Missing(language, text, where, "not translated"))
            elif _fields(message.id) != _fields(have.string or ""):
                found.append(Missing(language, text, where, "other {fields}"))
    return found


def _fields(text: str | tuple[str, ...] | list[str]) -> set[str]:
    """The ``{name}`` fields a text is filled with (each form's, for plurals).

    >>> sorted(_fields("{n} of {total} sites")), _fields(("{n} site", "{n} sites"))
    (['n', 'total'], {'n'})
    """
    forms = [text] if isinstance(text, str) else list(text)
    return {name for form in forms for name in re.findall(r"\{(\w+)\}", form)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mapping.catalogs",
                                     description="The interface's translation catalogs.")
    parser.add_argument("command", choices=["extract", "update", "compile", "check"])
    args = parser.parse_args(argv)
    if args.command == "extract":
        template = extract()
        print(f"{len(template)} texts to translate")
    elif args.command == "update":
        update()
        print(f"updated {', '.join(str(po_path(x)) for x in LANGUAGES if x != ENGLISH)}")
    elif args.command == "compile":
        for path in compile_catalogs():
            print(f"compiled {path}")
    else:
        gaps = missing()
        for gap in gaps:
            print(f"{gap.language}: {gap.why}: {gap.message!r} ({gap.where})", file=sys.stderr)
        if gaps:
            print(f"{len(gaps)} texts without a translation: add them to the .po "
                  "(python -m mapping.catalogs update, then translate)", file=sys.stderr)
            return 1
        print("every text has its translations")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
