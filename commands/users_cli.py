"""``permitmap users ...``: accounts, their roles and clearances, passwords and API tokens.

A password is read from standard input when it is not a terminal (its first line: ``printf
'%s\\n' "$PW" | permitmap users add ada --role admin``), else asked for twice without echo.
Every change is written to the audit trail as done by ``cli:<the operating-system user>``.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from sqlalchemy import Engine

from commands.cli_principal import os_user
from domain.access import MARKING_CODES, PUBLIC, Role
from domain.errors import InputError, NotFoundError
from store.accounts import (
    account_count,
    add_account,
    disable_account,
    enable_account,
    get_account,
    list_accounts,
    list_tokens,
    new_token,
    revoke_token,
    set_password,
    set_role,
    token_id,
    valid_clearance,
    valid_name,
    valid_role,
)

ROLES = "|".join(r.value for r in Role)
CLEARANCES = "|".join(MARKING_CODES)


def add_commands(groups: argparse._SubParsersAction, store: Callable[[], Engine]) -> None:
    """Register the ``users`` command group; ``store`` returns the ready engine."""
    users = groups.add_parser("users", help="accounts, roles, passwords and API tokens") \
        .add_subparsers(required=True, metavar="ACTION")
    add = users.add_parser("add", help="add an account (the first one ends open access: from "
                                       "then on the app needs a sign-in)")
    add.add_argument("name")
    add.add_argument("--role", required=True, metavar=ROLES)
    add.add_argument("--clearance", default=PUBLIC, metavar=CLEARANCES,
                     help="the highest handling marking the account may see (default: public)")
    add.add_argument("--email", default="")
    add.add_argument("--no-password", action="store_true",
                     help="no password: the account signs in through OpenID Connect only")
    add.set_defaults(run=lambda a: _add(a, store()))
    users.add_parser("list", help="the accounts").set_defaults(run=lambda a: _list(store()))
    change = users.add_parser("set", help="change an account's role or clearance")
    change.add_argument("name")
    change.add_argument("--role", metavar=ROLES)
    change.add_argument("--clearance", metavar=CLEARANCES)
    change.set_defaults(run=lambda a: _set(a, store()))
    disable = users.add_parser("disable", help="stop an account signing in (its sessions end "
                                               "and its tokens stop working)")
    disable.add_argument("name")
    disable.set_defaults(run=lambda a: _disable(a, store()))
    enable = users.add_parser("enable", help="let a disabled account sign in again")
    enable.add_argument("name")
    enable.set_defaults(run=lambda a: _enable(a, store()))
    password = users.add_parser("password", help="set an account's password (its browser "
                                                  "sessions end)")
    password.add_argument("name")
    password.set_defaults(run=lambda a: _password(a, store()))
    token = users.add_parser("token", help="print a new personal API token for an account "
                                           "(shown this once)")
    token.add_argument("name")
    token.add_argument("--label", default="", help="what the token is for")
    token.set_defaults(run=lambda a: _token(a, store()))
    revoke = users.add_parser("revoke-token", help="revoke an API token by its number")
    revoke.add_argument("token_id", metavar="ID")
    revoke.set_defaults(run=lambda a: _revoke(a, store()))


def actor() -> str:
    """Who the audit trail names for a change made on the command line (as the other
    commands name it: :func:`commands.cli_principal.cli_principal`)."""
    return f"cli:{os_user()}"


def read_password(prompt: str = "Password") -> str:
    """The first line of standard input when it is not a terminal; else asked for twice."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise InputError("No password on standard input: give it as the first line, or "
                             "run the command in a terminal to be asked for it.")
        return line
    try:
        first = getpass.getpass(f"{prompt}: ")
        again = getpass.getpass(f"{prompt} again: ")
    except (EOFError, KeyboardInterrupt):
        raise InputError("No password given; nothing was changed.") from None
    if first != again:
        raise InputError("The two passwords differ; nothing was changed.")
    return first


def _add(args: argparse.Namespace, engine: Engine) -> int:
    name, role = valid_name(args.name), valid_role(args.role)
    clearance = valid_clearance(args.clearance)
    try:  # tell a taken name before asking for a password
        taken = get_account(engine, name)
    except NotFoundError:
        pass
    else:
        raise InputError(f"There is already an account named '{taken.name}'.")
    first = account_count(engine) == 0
    password = None if args.no_password else read_password()
    info = add_account(engine, name, role, clearance, password, args.email, actor=actor())
    how = "password" if info.has_password else "OpenID Connect only"
    print(f"added {info.name}: {info.role}, clearance {info.clearance}, signs in with {how}")
    if first:
        print("This is the first account: from now on the app needs everyone to sign in (or "
              "a token).")
    if not any(a.role == Role.ADMIN and not a.disabled for a in list_accounts(engine)):
        print("No account is admin yet: nobody can manage accounts in the app. Add one with "
              "`permitmap users add NAME --role admin`.")
    return 0


def _list(engine: Engine) -> int:
    accounts = list_accounts(engine)
    if not accounts:
        print("No accounts: the app is open to everyone who reaches it. Add the first admin "
              "with `permitmap users add NAME --role admin`.")
        return 0
    rows = [("name", "role", "clearance", "sign-in", "tokens", "email")]
    for info in accounts:
        live = sum(t.revoked_at is None for t in list_tokens(engine, info.name))
        rows.append((info.name + (" (disabled)" if info.disabled else ""), info.role.value,
                     info.clearance, "password" if info.has_password else "OpenID Connect",
                     str(live), info.email))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
              + "  " + row[-1])
    return 0


def _set(args: argparse.Namespace, engine: Engine) -> int:
    if args.role is None and args.clearance is None:
        raise InputError("Give --role, --clearance or both.")
    info = set_role(engine, args.name, args.role, args.clearance, actor())
    print(f"{info.name}: {info.role}, clearance {info.clearance}")
    return 0


def _disable(args: argparse.Namespace, engine: Engine) -> int:
    info = disable_account(engine, args.name, actor())
    print(f"disabled {info.name}: its sessions ended and its tokens no longer work")
    return 0


def _enable(args: argparse.Namespace, engine: Engine) -> int:
    info = enable_account(engine, args.name, actor())
    print(f"enabled {info.name}")
    return 0


def _password(args: argparse.Namespace, engine: Engine) -> int:
    name = get_account(engine, args.name).name  # an unknown name is told before the prompt
    info = set_password(engine, name, read_password(f"New password for {name}"), actor())
    print(f"password set for {info.name}; its browser sessions ended")
    return 0


def _token(args: argparse.Namespace, engine: Engine) -> int:
    token = new_token(engine, args.name, args.label, actor())
    number = token_id(engine, token)
    print(token)
    print(f"API token {number} of {get_account(engine, args.name).name}: shown this once, "
          f"keep it now. Revoke it with `permitmap users revoke-token {number}`.",
          file=sys.stderr)
    return 0


def _revoke(args: argparse.Namespace, engine: Engine) -> int:
    try:
        token_id = int(args.token_id)
    except ValueError:
        raise InputError(f"'{args.token_id}' is not a token number (the ID `permitmap users "
                         "token` printed).") from None
    revoke_token(engine, token_id, actor())
    print(f"revoked API token {token_id}")
    return 0
