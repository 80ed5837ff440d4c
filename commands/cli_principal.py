"""Who the command line acts as: whoever runs ``permitmap`` on the server already holds the
database (its file, or its URL and password), so the commands that change or release data act
as an admin with the highest clearance, named ``cli:<operating-system user>`` in the audit
trail and the change history."""

from __future__ import annotations

import getpass
import os

from domain.access import HIGHEST, Principal, Role


def cli_principal() -> Principal:
    """An admin named after the operating-system user running the command.

    >>> cli_principal().name.startswith("cli:"), cli_principal().kind
    (True, 'cli')
    """
    return Principal(f"cli:{os_user()}", Role.ADMIN, HIGHEST, kind="cli")


def os_user() -> str:
    """``$USER``, else the login name the system reports, else ``unknown``."""
    user = os.environ.get("USER", "").strip()
    if user:
        return user
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no name for this uid (a container's arbitrary user)
        return "unknown"
