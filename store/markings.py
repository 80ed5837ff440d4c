"""Handling markings on stored records: a whole site, deposit or survey layer, or one
attribute of one record (a site's operator, say) marked above the record itself.

Setting a marking needs the MARK action (editors and admins), is audited ("mark") in the same
transaction, and bumps the revision the readers' caches key on, so every process stops
showing the record to those without clearance at its next look.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from domain.access import PUBLIC, AccessDenied, Action, Principal, marking_rank
from domain.errors import InputError, NotFoundError
from domain.i18n import ENGLISH, N_, language, tr
from store import audit
from store.acting import require
from store.db import bump_counter, bump_revision
from store.deposit_views import deposits_changed
from store.layer_repo import LAYER_REVISION_KEY
from store.models import AttributeMarking, Deposit, Site, SurveyLayer

#: What can carry a marking, and the table each kind lives in.
RECORD_TABLES: dict[str, type[Site] | type[Deposit] | type[SurveyLayer]] = {
    "site": Site, "deposit": Deposit, "layer": SurveyLayer}
RECORD_KINDS = tuple(RECORD_TABLES)
#: Each kind in the words of a message (shown with ``tr``).
_KIND_WORDS = {"site": N_("site"), "deposit": N_("deposit"), "layer": N_("layer")}
#: The kinds whose attributes may carry markings of their own.
ATTRIBUTE_KINDS = ("site", "deposit")
#: Attributes that identify a record and place it on the map: never withheld on their own
#: (withhold the whole record instead).
UNMARKABLE = frozenset({"id", "name", "name_ja", "lat", "lon", "geometry", "marking", "dataset",
                        "layer_id", "title"})
#: The refusal to change a marking above the person's clearance (shown with ``tr``).
ABOVE_CLEARANCE = N_("The {attribute} of this {kind} is marked {marking}, above your clearance "
                     "({clearance}): only someone cleared for it can change that marking.")


class MarkingRefused(AccessDenied):
    """A refused marking change: its message in the reader's language, ``english`` for the
    audit trail (which is kept in English)."""

    def __init__(self, message: str, english: str) -> None:
        super().__init__(message)
        self.english = english


@dataclass(frozen=True)
class MarkingChange:
    """What :func:`set_marking` changed, for the command line and the page to report."""

    kind: str
    record_id: str
    attribute: str
    before: str
    after: str

    def describe(self) -> str:
        """One line: ``site us-alpha operator: public -> controlled``."""
        what = f"{self.kind} {self.record_id}" + (f" {self.attribute}" if self.attribute
                                                   else "")
        return f"{what}: {self.before} -> {self.after}"


def set_marking(engine: Engine, kind: str, record_id: str, marking: str, *,
                principal: Principal, attribute: str = "") -> MarkingChange:
    """Mark one record (or, with ``attribute``, one of its attributes). Marking an attribute
    ``public`` removes its own marking (it then follows the record's)."""
    kind = _valid_kind(kind)
    code = marking.strip().lower()
    marking_rank(code)  # InputError naming the choices
    attribute = attribute.strip()
    target = f"{kind}:{record_id}" + (f":{attribute}" if attribute else "")
    require(engine, principal, Action.MARK, "mark", target)
    table = RECORD_TABLES[kind]
    try:
        with Session(engine) as session, session.begin():
            row = cast("Site | Deposit | SurveyLayer | None",
                       session.get(table, _key(kind, record_id)))
            if row is None or not principal.may_see(row.marking or PUBLIC):
                # a record above the clearance is answered as one that is not there
                raise NotFoundError(tr("No {kind} has id {id}: check the id on the map or in "
                                       "`permitmap {command}`.").format(
                                           kind=_kind_word(kind), id=repr(record_id),
                                           command=_list_hint(kind)))
            if attribute:
                before = _set_attribute(session, row, kind, str(record_id), attribute, code,
                                        principal)
            else:
                before = row.marking or PUBLIC
                row.marking = code
            audit.record(session, principal, "mark", target=target,
                         detail=f"{before} -> {code}", records=1,
                         marking=max(before, code, key=marking_rank))
            _changed(session, kind)
    except AccessDenied as refused:  # nothing changed; the refusal is recorded on its own
        detail = refused.english if isinstance(refused, MarkingRefused) else str(refused)
        audit.record_now(engine, principal, "mark", target=target, detail=detail,
                         outcome="refused")
        raise
    return MarkingChange(kind, str(record_id), attribute, before, code)


def record_marks(engine: Engine, kind: str, record_id: str) -> tuple[str, dict[str, str]]:
    """One record's own marking and its attribute markings ({attribute: marking}), for the
    editor's control; NotFoundError when there is no such record."""
    kind = _valid_kind(kind)
    with Session(engine) as session:
        own = session.scalar(select(RECORD_TABLES[kind].marking).where(
            RECORD_TABLES[kind].id == _key(kind, record_id)))
        if own is None:
            raise NotFoundError(tr("No {kind} has id {id}.").format(kind=_kind_word(kind),
                                                                  id=repr(record_id)))
        query = select(AttributeMarking).where(AttributeMarking.record_kind == kind,
                                               AttributeMarking.record_id == str(record_id))
        return own or PUBLIC, {m.attribute: m.marking for m in session.scalars(query)}


def markable_attributes(kind: str) -> tuple[str, ...]:
    """The attributes of ``kind`` an editor may mark on their own (the rest identify and
    place the record: mark the whole record instead). A survey layer is marked as a whole:
    its features' properties are its contents, not attributes of its own."""
    kind = _valid_kind(kind)
    if kind not in ATTRIBUTE_KINDS:
        return ()
    return tuple(c.name for c in RECORD_TABLES[kind].__table__.columns
                 if c.name not in UNMARKABLE)


def attribute_marks(engine: Engine, kind: str) -> dict[str, dict[str, str]]:
    """Every attribute marking of one kind of record: record id -> {attribute: marking}."""
    kind = _valid_kind(kind)
    query = select(AttributeMarking).where(AttributeMarking.record_kind == kind)
    marks: dict[str, dict[str, str]] = {}
    with Session(engine) as session:
        for mark in session.scalars(query):
            marks.setdefault(mark.record_id, {})[mark.attribute] = mark.marking
    return marks


def _set_attribute(session: Session, row: object, kind: str, record_id: str, attribute: str,
                   code: str, principal: Principal) -> str:
    markable = markable_attributes(kind)
    if not markable:
        raise InputError(tr("A {kind} is marked as a whole: leave out the attribute.").format(
            kind=_kind_word(kind)))
    if attribute not in markable:
        raise InputError(tr("A {kind} has no markable attribute {attribute}: use one of "
                            "{allowed}, or mark the whole {kind}.").format(
                                kind=_kind_word(kind), attribute=repr(attribute),
                                allowed=", ".join(markable)))
    key = (kind, record_id, attribute)
    mark = session.get(AttributeMarking, key)
    before = mark.marking if mark is not None else PUBLIC
    if not principal.may_see(before):  # lowering it would show them what they may not see
        raise _above_clearance(kind, attribute, before, principal.clearance)
    if code == PUBLIC:
        session.execute(delete(AttributeMarking).where(
            AttributeMarking.record_kind == kind, AttributeMarking.record_id == record_id,
            AttributeMarking.attribute == attribute))
    elif mark is None:
        session.add(AttributeMarking(record_kind=kind, record_id=record_id,
                                     attribute=attribute, marking=code))
    else:
        mark.marking = code
    return before


def _changed(session: Session, kind: str) -> None:
    if kind == "deposit":
        deposits_changed(session)  # also recounts the PostGIS grid the views read
    elif kind == "layer":
        bump_counter(session, LAYER_REVISION_KEY)
    else:
        bump_revision(session)


def _valid_kind(kind: str) -> str:
    name = kind.strip().lower()
    if name not in RECORD_TABLES:
        raise InputError(tr("'{kind}' cannot carry a marking: use one of {kinds}.").format(
            kind=kind, kinds=", ".join(RECORD_KINDS)))
    return name


def _key(kind: str, record_id: str) -> object:
    if kind != "deposit":
        return record_id
    try:
        return int(record_id)
    except ValueError:
        raise InputError(tr("A deposit id is a whole number, not {id}.").format(
            id=repr(record_id))) from None


def _above_clearance(kind: str, attribute: str, marking: str,
                     clearance: str) -> MarkingRefused:
    """The refusal to change a marking above ``clearance``, in the reader's language and in
    English for the audit trail."""
    values = {"attribute": attribute.replace("_", " "), "marking": marking,
              "clearance": clearance}
    with language(ENGLISH):
        english = ABOVE_CLEARANCE.format(kind=_kind_word(kind), **values)
    return MarkingRefused(tr(ABOVE_CLEARANCE).format(kind=_kind_word(kind), **values), english)


def _kind_word(kind: str) -> str:
    return tr(_KIND_WORDS[kind]) if kind in _KIND_WORDS else kind


def _list_hint(kind: str) -> str:
    return {"site": "export sites --format csv", "deposit": "deposits list",
            "layer": "layers list"}[kind]
