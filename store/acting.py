"""The person behind a change to the store or a release of data: their role checked first, a
refusal recorded in the audit trail, the name the history and the catalog give them.

Every writer that changes data or lets it leave takes a :class:`~domain.access.Principal`
(keyword-only, no default) and calls :func:`require` before anything else; the success is then
audited with :func:`store.audit.record` inside the writer's own transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from domain.access import PUBLIC, AccessDenied, Action, Principal, highest_marking
from store.audit import record_now

log = logging.getLogger(__name__)

#: Principals that stand for nobody in particular (no account exists yet, or the command line
#: run by whoever holds the database): the name they give is taken as typed.
TYPED_NAME_KINDS = frozenset({"open", "cli"})


def require(engine: Engine, principal: Principal, action: Action, audit_action: str,
            target: str = "") -> None:
    """``principal.require(action)``; a refusal is recorded (outcome "refused", a
    transaction of its own) and re-raised as the AccessDenied that says which role it needs."""
    try:
        principal.require(action)
    except AccessDenied as refused:
        try:
            record_now(engine, principal, audit_action, target=target,
                       detail=str(refused), outcome="refused")
        except SQLAlchemyError:  # the refusal stands; the store's trouble is reported elsewhere
            log.exception("could not record a refused %s by %s", audit_action, principal.name)
        raise


def acting_name(principal: Principal, typed: str) -> str:
    """Who the history and the catalog name: the signed-in person (an account, its token, an
    OpenID Connect user), never a typed name; with open access or on the command line, the
    name typed (empty when none was)."""
    return typed.strip() if principal.kind in TYPED_NAME_KINDS else principal.name


def marking_of(markings: Iterable[object] | None) -> str:
    """The highest handling marking among released records' ``marking`` values (public when
    there is none, or the records carry no marking).

    >>> marking_of(["public", "controlled", None]), marking_of(None)
    ('controlled', 'public')
    """
    if markings is None:
        return PUBLIC
    codes = {str(m) for m in markings if isinstance(m, str) and m.strip()}
    return highest_marking(codes) if codes else PUBLIC
