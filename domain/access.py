"""Who may do what: roles, the actions they allow, handling markings and clearances, and the
person (or token, or open access) behind a request. Checked where data changes or leaves
(services, store writers, HTTP routes), not only by hiding buttons.

>>> editor = Principal("ada", Role.EDITOR, "business-proprietary")
>>> editor.may(Action.EDIT_TIMELINE), editor.may(Action.MANAGE_ACCOUNTS)
(True, False)
>>> editor.may_see("controlled"), editor.may_see("public")
(False, True)
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from domain.errors import InputError, PermitmapError
from domain.i18n import N_, tr


class Role(StrEnum):
    """What an account may do; each role includes the one before it."""

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"


class Action(StrEnum):
    """Everything a role is checked for; the value is how a message names it."""

    BROWSE = N_("browse the map and the records")
    EXPORT = N_("export what they may see")
    EDIT_TIMELINE = N_("edit permitting timelines")
    UPLOAD_LAYER = N_("upload survey layers")
    RESTYLE_LAYER = N_("restyle survey layers")
    MARK = N_("set handling markings")
    LINK_RECORDS = N_("confirm or reject cross-walk links")
    DELETE_LAYER = N_("delete survey layers")
    IMPORT_TABLE = N_("import national deposit tables")
    MANAGE_ACCOUNTS = N_("manage accounts")
    READ_AUDIT = N_("read the audit trail")
    FULL_HISTORY = N_("see and export the full change history")


_VIEWER = frozenset({Action.BROWSE, Action.EXPORT})
_EDITOR = _VIEWER | {Action.EDIT_TIMELINE, Action.UPLOAD_LAYER, Action.RESTYLE_LAYER,
                     Action.MARK, Action.LINK_RECORDS}
ALLOWED: dict[Role, frozenset[Action]] = {
    Role.VIEWER: _VIEWER,
    Role.EDITOR: _EDITOR,
    Role.ADMIN: frozenset(Action),
}

#: Marking codes from least to most restricted. Offices may rename them in
#: ``data/markings.csv`` (the label); the codes stored on records never change.
MARKING_CODES = ("public", "business-proprietary", "controlled")
PUBLIC = MARKING_CODES[0]
HIGHEST = MARKING_CODES[-1]


#: Attributes withheld together with the one marked, on sites and deposits alike: the
#: source's own words say the same thing.
COMPANIONS = {"dev_status": "dev_status_original", "status": "status_original",
              "commodities": "commodities_original",
              # a Japanese name is the same fact as its English one: withheld with it
              "operator": "operator_ja", "admin_area": "admin_area_ja",
              "locality": "locality_ja"}


class AccessDenied(PermitmapError, PermissionError):
    """The signed-in person (or token) may not do what was asked."""


class NotSignedIn(PermitmapError, PermissionError):
    """Nobody is signed in, and the deployment needs someone to be."""


def marking_rank(code: str) -> int:
    """0 for public up to 2 for controlled; InputError naming the choices otherwise.

    >>> marking_rank("controlled")
    2
    """
    try:
        return MARKING_CODES.index(code.strip().lower())
    except ValueError:
        raise InputError(tr("'{code}' is not a handling marking: use one of {codes}.").format(
            code=code, codes=", ".join(MARKING_CODES))) from None


def markings_reached(clearance: str) -> tuple[str, ...]:
    """The marking codes a clearance may receive, least restricted first.

    >>> markings_reached("business-proprietary")
    ('public', 'business-proprietary')
    """
    return MARKING_CODES[: marking_rank(clearance) + 1]


def highest_marking(codes: list[str] | tuple[str, ...] | set[str]) -> str:
    """The most restricted of ``codes`` (public when there are none).

    >>> highest_marking(["public", "controlled", "business-proprietary"])
    'controlled'
    """
    return MARKING_CODES[max((marking_rank(c) for c in codes), default=0)]


@dataclass(frozen=True)
class Principal:
    """Who is asking: an account (signed in or by token), open access (no account exists
    yet), or the anonymous public view an admin may allow."""

    name: str
    role: Role
    clearance: str = PUBLIC
    kind: str = "account"  # account | token | oidc | open | anonymous
    #: Where the request came from, for the audit trail (not part of who it is).
    address: str = field(default="", compare=False)

    def may(self, action: Action) -> bool:
        """Whether the role allows ``action``."""
        return action in ALLOWED[self.role]

    def may_see(self, marking: str) -> bool:
        """Whether the clearance reaches ``marking``."""
        return marking_rank(marking) <= marking_rank(self.clearance)

    @property
    def visible_markings(self) -> tuple[str, ...]:
        """The marking codes this principal may receive, least restricted first."""
        return markings_reached(self.clearance)

    def require(self, action: Action) -> None:
        """Raise AccessDenied, in words, unless the role allows ``action``."""
        if self.may(action):
            return
        needed = next(r for r in Role if action in ALLOWED[r])
        if self.kind == "anonymous":
            message = tr("Anonymous visitors may not {action}: that needs the {needed} role. "
                         "Ask an admin to change the account's role.")
        else:
            message = tr("{name} ({role}) may not {action}: that needs the {needed} role. Ask "
                         "an admin to change the account's role.")
        raise AccessDenied(message.format(name=self.name, role=self.role, action=tr(action.value),
                                          needed=needed))


#: Everyone, when the store has no account yet (``make run``): as before accounts existed.
OPEN_ACCESS = Principal("open access", Role.ADMIN, HIGHEST, kind="open")
#: The public view an admin may allow for visitors who are not signed in.
ANONYMOUS = Principal("anonymous", Role.VIEWER, PUBLIC, kind="anonymous")


@dataclass(frozen=True)
class MarkingLabel:
    """How an office names a marking code, and what it means there."""

    code: str
    label: str
    description: str


def marking_labels(data_dir: Path) -> dict[str, MarkingLabel]:
    """``data/markings.csv``: one row per code in MARKING_CODES (label, description);
    InputError when a code is missing or unknown."""
    path = data_dir / "markings.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = {r["code"].strip(): MarkingLabel(r["code"].strip(), r["label"].strip(),
                                                r["description"].strip())
                for r in csv.DictReader(handle)}
    if set(rows) != set(MARKING_CODES):
        raise InputError(f"{path} must list exactly the marking codes "
                         f"{', '.join(MARKING_CODES)} (it lists {', '.join(sorted(rows))}).")
    return {code: rows[code] for code in MARKING_CODES}
