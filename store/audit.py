"""The audit trail: who did what, to what, how many records, the highest marking involved.

Append and read only. No function here updates or deletes a row, and the database refuses
both (triggers of migration 0006 on ``audit_log``; TRUNCATE too on PostgreSQL), so nothing in
the app can edit the trail. :func:`record` writes inside the caller's transaction: a change
that fails leaves no row claiming it succeeded. Refusals and failures are recorded with
``outcome="refused"`` or ``"failed"`` in a transaction of their own.

>>> clean_action("Sign-In")
'sign-in'
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Engine, Select, Table, func, insert, not_, or_, select
from sqlalchemy.orm import Session

from domain.access import HIGHEST, MARKING_CODES, PUBLIC, Action, Principal, highest_marking
from store.models import AuditEntry

if TYPE_CHECKING:  # pandas only when the trail is read: every request's gate imports this
    import pandas as pd

AUDIT = cast(Table, AuditEntry.__table__)

#: The action names in use (short and stable: filters and saved searches rely on them).
ACTIONS = (
    "sign-in", "sign-in-failed", "sign-out", "account-add", "account-change", "token-new",
    "token-revoke", "export", "briefing", "upload", "layer-delete", "layer-restyle",
    "layer-show", "import", "deposit-remove", "timeline-edit", "mark", "settings",
)
OUTCOMES = ("ok", "refused", "failed")
COLUMNS = ["id", "at", "actor", "action", "target", "detail", "records", "marking", "address",
           "outcome"]
#: ``DataFrame.attrs`` key of :func:`audit_rows`: how many matching rows were left out
#: because they are about records marked above the reader's clearance.
WITHHELD = "withheld"
_ACTION = re.compile(r"[a-z][a-z-]{0,39}")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def clean_action(action: str) -> str:
    """An action name as stored: lower case letters and hyphens, at most 40 characters;
    ValueError (a programming error, not a user's) otherwise."""
    name = action.strip().lower()
    if not _ACTION.fullmatch(name):
        raise ValueError(f"audit action {action!r} is not lower-case letters and hyphens")
    return name


def record(session_or_connection: Session | Connection, actor: str | Principal, action: str,
           target: str = "", detail: str = "", records: int | None = None,
           marking: str = "", address: str = "", outcome: str = "ok") -> None:
    """Append one row inside the caller's transaction (committed, or rolled back, with the
    change it describes). A :class:`Principal` as ``actor`` gives its name and, unless
    ``address`` is given, the address its request came from."""
    if isinstance(actor, Principal):
        address = address or actor.address
        actor = actor.name
    if outcome not in OUTCOMES:
        raise ValueError(f"audit outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
    session_or_connection.execute(insert(AUDIT).values(
        at=datetime.now(UTC), actor=(actor.strip() or "unknown")[:120],
        action=clean_action(action), target=target, detail=detail, records=records,
        marking=marking[:40], address=address[:80], outcome=outcome))


def record_now(engine: Engine, actor: str | Principal, action: str, **fields: Any) -> None:
    """:func:`record` in a transaction of its own (a refusal or a failure, which changed
    nothing to commit alongside)."""
    with engine.begin() as connection:
        record(connection, actor, action, **fields)


def audit_rows(engine: Engine, actor: str | None = None, action: str | None = None,
               since: datetime | date | None = None, until: datetime | date | None = None,
               text: str | None = None, limit: int | None = 500, *,
               principal: Principal | None = None) -> pd.DataFrame:
    """The rows matching every filter given, newest first, at most ``limit`` (None: all).

    ``actor`` and ``action`` match exactly (ignoring case); ``since`` is inclusive and
    ``until`` exclusive (a date covers its whole day, in UTC; a time without a zone is UTC);
    ``text`` is a case-insensitive substring of the target, the detail, the actor or the
    address. Columns: :data:`COLUMNS`, ``at`` in UTC. Given ``principal`` (a page asking),
    only an admin may read the trail, and rows about records marked above the reader's
    clearance (an upload, a restyle, a marking of a controlled record: their target and
    detail name it) are left out; ``frame.attrs[WITHHELD]`` says how many (0 without a
    principal).
    """
    if principal is not None:
        principal.require(Action.READ_AUDIT)
    hidden = _above(principal)
    query = _filtered(select(*(AUDIT.c[name] for name in COLUMNS)), actor, action, since,
                      until, text)
    if hidden is not None:
        query = query.where(not_(hidden))
    query = query.order_by(AUDIT.c.at.desc(), AUDIT.c.id.desc())
    if limit is not None:
        query = query.limit(max(int(limit), 0))
    with engine.connect() as connection:
        rows = connection.execute(query).all()
        withheld = 0 if hidden is None else int(connection.execute(_filtered(
            select(func.count()).select_from(AUDIT), actor, action, since, until, text)
            .where(hidden)).scalar_one())
    import pandas as pd

    frame = pd.DataFrame([tuple(r) for r in rows], columns=COLUMNS)
    frame["at"] = pd.to_datetime(frame["at"].map(_utc), utc=True)
    frame["records"] = frame["records"].astype("Int64")
    frame.attrs[WITHHELD] = withheld
    return frame


def _above(principal: Principal | None) -> Any:
    """The condition of a row about records the principal may not see (its ``marking`` is
    above their clearance, or not a marking this app knows), None when they see them all."""
    if principal is None or principal.clearance == HIGHEST:
        return None
    return func.coalesce(AUDIT.c.marking, "").not_in(["", *principal.visible_markings])


def _rows_marking(frame: pd.DataFrame) -> str:
    """The highest marking of the rows' records (public when none is marked): the marking
    of an export of them.

    >>> import pandas as pd
    >>> _rows_marking(pd.DataFrame({"marking": ["", "public", "business-proprietary"]}))
    'business-proprietary'
    """
    codes = {str(m).strip().lower() for m in frame["marking"] if isinstance(m, str)} - {""}
    # A value that is no known marking counts as the most restricted, not as public.
    return highest_marking([c if c in MARKING_CODES else HIGHEST for c in codes] or [PUBLIC])


def audit_csv(engine: Engine, actor: str | None = None, action: str | None = None,
              since: datetime | date | None = None, until: datetime | date | None = None,
              text: str | None = None, limit: int | None = None, *,
              principal: Principal | None = None,
              heading: Callable[[str], str] | None = None) -> bytes:
    """The matching rows (all of them unless ``limit``; only those the principal may see)
    as UTF-8 CSV, newest first; times in ISO 8601 UTC; a text cell a spreadsheet would run
    as a formula is prefixed with '. ``heading``: as for :func:`audit_export`."""
    frame = audit_rows(engine, actor, action, since, until, text, limit, principal=principal)
    return (heading(_rows_marking(frame)).encode("utf-8") if heading is not None else b"") \
        + _csv(frame)


def audit_export(engine: Engine, by: str | Principal, actor: str | None = None,
                 action: str | None = None, since: datetime | date | None = None,
                 until: datetime | date | None = None, text: str | None = None, *,
                 principal: Principal | None = None, address: str = "",
                 heading: Callable[[str], str] | None = None) -> bytes:
    """:func:`audit_csv` of every matching row the principal may see, itself recorded as an
    export of the audit trail by ``by`` (with the filter, the number of rows and their
    highest marking). ``heading`` gives the text that starts the file for that marking (the
    caller's marking line: the store knows no export format)."""
    frame = audit_rows(engine, actor, action, since, until, text, None, principal=principal)
    marking = _rows_marking(frame)
    given = {"actor": actor, "action": action, "since": since, "until": until, "text": text}
    record_now(engine, by, "export", target="audit trail", records=len(frame), address=address,
               marking=marking,
               detail="; ".join(f"{k} {v}" for k, v in given.items() if v) or "everything")
    return (heading(marking).encode("utf-8") if heading is not None else b"") + _csv(frame)


def _csv(frame: pd.DataFrame) -> bytes:
    import pandas as pd

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for values in frame.to_dict("records"):
        values["at"] = values["at"].isoformat(timespec="seconds")
        values["records"] = "" if pd.isna(values["records"]) else int(values["records"])
        writer.writerow([_cell(values[name]) for name in COLUMNS])
    return out.getvalue().encode("utf-8")


def _filtered(query: Select[Any], actor: str | None, action: str | None,
              since: datetime | date | None, until: datetime | date | None,
              text: str | None) -> Select[Any]:
    c = AUDIT.c
    if actor:
        query = query.where(c.actor.ilike(_literal(actor.strip()), escape="\\"))
    if action:
        query = query.where(c.action == action.strip().lower())
    if since is not None:
        query = query.where(c.at >= _moment(since))
    if until is not None:
        query = query.where(c.at < _moment(until, end_of_day=True))
    if text and text.strip():
        pattern = f"%{_literal(text.strip())}%"
        query = query.where(or_(*(column.ilike(pattern, escape="\\") for column in
                                  (c.target, c.detail, c.actor, c.address))))
    return query


def _literal(words: str) -> str:
    """``words`` for LIKE, its wildcards taken literally."""
    return words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _moment(value: datetime | date, end_of_day: bool = False) -> datetime:
    """A bound as a UTC time (SQLite keeps times without their zone, all in UTC)."""
    if not isinstance(value, datetime):
        value = datetime.combine(value + timedelta(days=1 if end_of_day else 0), time(),
                                 tzinfo=UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
