"""Tables of the permitting record, built from the column table in ``permits.schema``.

Every permitting column is named once (``permits.schema``); this module only chooses the SQL
type for each kind. The change history is append-only: rows are inserted, never updated.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeEngine

from permits.schema import ACTION_COLUMNS, MILESTONE_COLUMNS, PROJECT_COLUMNS, Kind
from store.models import Base

_ID_COLUMNS = {"project_id", "action_id", "milestone_id", "site_id", "depends_on"}


def _sql_type(name: str, kind: Kind) -> TypeEngine[Any]:
    if name in _ID_COLUMNS:
        return String(160)
    types: dict[str, TypeEngine[Any]] = {"text": Text(), "date": Date(), "flag": Boolean(),
                                         "number": Float(), "count": Integer()}
    return types[kind]


def _columns(columns: dict[str, Kind], key: str) -> list[Column]:
    out = [
        Column(name, _sql_type(name, kind), primary_key=(name == key),
               nullable=kind in ("date", "number"),
               index=name in _ID_COLUMNS and name != key)
        for name, kind in columns.items()
    ]
    return [
        *out,
        Column("recorded_at", DateTime(timezone=True), nullable=True),
        Column("updated_at", DateTime(timezone=True), nullable=True),
        Column("version", Integer, nullable=False, default=1),
    ]


permit_projects = Table("permit_projects", Base.metadata,
                        *_columns(PROJECT_COLUMNS, "project_id"))
permit_actions = Table("permit_actions", Base.metadata, *_columns(ACTION_COLUMNS, "action_id"))
permit_milestones = Table("permit_milestones", Base.metadata,
                          *_columns(MILESTONE_COLUMNS, "milestone_id"))
permit_changes = Table(
    "permit_changes",
    Base.metadata,
    Column("change_id", Integer, primary_key=True, autoincrement=True),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("who", String(200), nullable=False),
    Column("entity", String(20), nullable=False),
    Column("entity_id", String(160), nullable=False, index=True),
    Column("project_id", String(160), nullable=False, index=True),
    Column("field", String(60), nullable=False),
    Column("before", Text, nullable=False),
    Column("after", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("kind", String(30), nullable=False),
    Column("source", Text, nullable=False),
    Index("ix_permit_changes_changed_at", "changed_at"),
)
TABLES = {"project": permit_projects, "action": permit_actions, "milestone": permit_milestones}
