"""``permitmap mark site|deposit|layer ID MARKING [--attribute NAME]``: set a handling
marking from the command line, audited as ``cli:<user>`` like the page's control."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from sqlalchemy import Engine

from commands.cli_principal import cli_principal
from domain.access import MARKING_CODES
from store.markings import RECORD_KINDS, set_marking


def add_commands(groups: argparse._SubParsersAction, store: Callable[[], Engine]) -> None:
    """Register the ``mark`` command; ``store`` returns the ready engine."""
    mark = groups.add_parser(
        "mark", help="set the handling marking of a site, deposit or layer (or of one of "
                     "its attributes)")
    mark.add_argument("kind", choices=RECORD_KINDS)
    mark.add_argument("id", help="the site id, deposit number or layer id")
    mark.add_argument("marking", help="|".join(MARKING_CODES))
    mark.add_argument("--attribute", default="", metavar="NAME",
                      help="mark only this attribute (e.g. operator); 'public' clears it")
    mark.set_defaults(run=lambda a: _mark(a, store()))


def _mark(args: argparse.Namespace, engine: Engine) -> int:
    change = set_marking(engine, args.kind, args.id, args.marking, principal=cli_principal(),
                         attribute=args.attribute)
    print(f"Marked {change.describe()}.")
    return 0
