"""Adding a procedure laid out from a template (:mod:`permits.procedures`) to the record.

New records only: an id already stored is refused, so nothing stored is overwritten. They
count from when they are added (``recorded_at``), like imported ones, so a view "as of" an
earlier day does not show them; one audit row says who added what.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from domain.access import Action, Principal
from domain.errors import InputError
from domain.i18n import tr
from permits.frames import PermitData
from permits.history import ENTITIES
from store import audit
from store.acting import require
from store.bulk import bulk_insert
from store.db import bump_revision
from store.permit_tables import TABLES


def add_procedure(engine: Engine, principal: Principal, data: PermitData, *, template_id: str,
                  now: datetime | None = None) -> int:
    """Store ``data``'s new project (if any), action and milestones in one transaction and
    return how many milestones were added. Needs a role that may edit timelines."""
    action_ids = data.actions["action_id"].tolist()
    require(engine, principal, Action.EDIT_TIMELINE, "timeline-edit", ", ".join(action_ids))
    now = now or datetime.now(UTC)
    with Session(engine) as session, session.begin():
        for entity, (attribute, key, _) in ENTITIES.items():  # projects first: ids refer up
            table, frame = TABLES[entity], getattr(data, attribute)
            ids = frame[key].tolist()
            if ids and session.execute(select(table.c[key]).where(table.c[key].in_(ids))
                                       ).first() is not None:
                raise InputError(tr(
                    "This procedure is already in the record ({id}): it was laid out from "
                    "the same template and start date before. Change its milestones below, "
                    "or choose another start date.").format(id=", ".join(action_ids)))
            bulk_insert(session, table, frame.assign(recorded_at=now, updated_at=now,
                                                     version=1))
        audit.record(session, principal, "timeline-edit", target=", ".join(action_ids),
                     detail=(f"laid out template {template_id}: {len(data.projects)} project, "
                             f"{len(data.actions)} action, {len(data.milestones)} milestones"),
                     records=len(data.milestones))
        bump_revision(session)
    return len(data.milestones)
