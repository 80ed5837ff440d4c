"""Reading and writing the permitting record; every change also goes to the history table.

Imports diff the incoming rows against the stored ones, so a re-import writes only what
changed and each changed field leaves one history row. Edits use optimistic locking: a save
names the version the editor saw, and is refused if someone saved in between.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, Table, func, select, update
from sqlalchemy.orm import Session

from domain.access import Action, Principal
from domain.errors import InputError, NotFoundError
from domain.i18n import N_, tr
from permits.editing import EditPlan
from permits.frames import PermitData, positions
from permits.history import ENTITIES
from permits.schema import Kind, conform
from permits.vocab import ChangeKind
from store import audit
from store.acting import acting_name, require
from store.bulk import bulk_insert, bulk_upsert
from store.db import bump_revision
from store.errors import EditConflict
from store.models import DatasetImport
from store.permit_tables import (
    TABLES,
    permit_actions,
    permit_changes,
    permit_milestones,
    permit_projects,
)

# entity -> (table, key column, column kinds): the kinds and keys as permits.history names them.
_SCHEMAS: dict[str, tuple[Table, str, dict[str, Kind]]] = {
    entity: (TABLES[entity], key, columns) for entity, (_, key, columns) in ENTITIES.items()}

#: A record not (or no longer) there, by entity (shown with ``tr``).
_GONE = {"project": N_("No project has id {id}; it may have been removed."),
         "action": N_("No action has id {id}; it may have been removed."),
         "milestone": N_("No milestone has id {id}; it may have been removed.")}
#: A save refused because the record changed since the form was opened (shown with ``tr``):
#: nobody's change is in the history, or ``who`` saved ``what`` at ``when`` ({why}: the reason).
_CHANGED_ELSEWHERE = {
    "project": N_("This project was changed by someone else since you opened it. Your change "
                  "was not saved; your entries are kept in the form: reload, check, save again."),
    "action": N_("This action was changed by someone else since you opened it. Your change "
                 "was not saved; your entries are kept in the form: reload, check, save again."),
    "milestone": N_("This milestone was changed by someone else since you opened it. Your "
                    "change was not saved; your entries are kept in the form: reload, check, "
                    "save again.")}
_SAVED_MEANWHILE = {
    "project": N_("{who} saved a change to this project at {when} while you were editing: "
                  "{what}{why}. Your change was not saved; your entries are kept in the form. "
                  "Check the new values, then save again."),
    "action": N_("{who} saved a change to this action at {when} while you were editing: "
                 "{what}{why}. Your change was not saved; your entries are kept in the form. "
                 "Check the new values, then save again."),
    "milestone": N_("{who} saved a change to this milestone at {when} while you were editing: "
                    "{what}{why}. Your change was not saved; your entries are kept in the "
                    "form. Check the new values, then save again.")}


#: Why a project was left without a site when its import row says nothing (stays English: the
#: reasons are cached for every reader and are the importer's words; translate where shown).
NO_SITE_MATCHED = N_("no site matched")


@dataclass(frozen=True)
class PermitImportSummary:
    """What one import of permitting rows did, per record kind."""

    inserted: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    changes_recorded: int


def load_permit_data(engine: Engine) -> PermitData:
    """The whole permitting record."""
    with engine.connect() as connection:
        frames = [pd.read_sql(select(t), connection) for t in
                  (permit_projects, permit_actions, permit_milestones)]
    return PermitData.from_frames(*frames)


def load_changes(engine: Engine, project_ids: list[str] | None = None) -> pd.DataFrame:
    """The change history (all, or of some projects), oldest first."""
    stmt = select(permit_changes).order_by(permit_changes.c.changed_at,
                                           permit_changes.c.change_id)
    if project_ids is not None:
        stmt = stmt.where(permit_changes.c.project_id.in_(project_ids))
    with engine.connect() as connection:
        frame = pd.read_sql(stmt, connection)
    frame["changed_at"] = pd.to_datetime(frame["changed_at"], utc=True)
    return frame


def upsert_record(session: Session, data: PermitData, *, keep_edited: bool) -> None:
    """Write all three frames by id (``keep_edited``: leave records an editor changed alone)."""
    for entity, frame in (("project", data.projects), ("action", data.actions),
                          ("milestone", data.milestones)):
        table, key, _ = _SCHEMAS[entity]
        rows = frame.assign(version=frame["version"].clip(lower=1))
        bulk_upsert(session, table, rows, key,
                    only_where=f"{table.name}.version = 1" if keep_edited else "")


def record_changes(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append rows to the history (never updated or deleted)."""
    if rows:
        bulk_insert(session, permit_changes, pd.DataFrame(rows))


def import_permit_data(
    engine: Engine, data: PermitData, *, principal: Principal, who: str, file_name: str,
    checksum: str, rows_read: int, report: dict[str, Any], now: datetime | None = None,
    data_as_of: datetime | None = None,
) -> PermitImportSummary:
    """Load an imported record in one transaction: new rows added, changed fields recorded,
    and one audit row ("import"). Needs a role that may import tables (admin).

    ``data_as_of``: when the source's data was fetched (the Permitting Dashboard's
    ``last_data_fetched``): new records count from then, and changed fields change then, so
    a view "as of" a day between the fetch and the import shows the data. Never later than
    now, and never before a change already in the history (which then stays in order)."""
    require(engine, principal, Action.IMPORT_TABLE, "import", "permitting-dashboard")
    who = acting_name(principal, who) or principal.name
    now = now or datetime.now(UTC)
    inserted, updated, unchanged, history = {}, {}, {}, []
    with Session(engine) as session, session.begin():
        dated = _dated_from(session, data_as_of, now)
        for entity, frame in (("project", data.projects), ("action", data.actions),
                              ("milestone", data.milestones)):
            table, key, columns = _SCHEMAS[entity]
            stored = _stored(session, table, key, frame[key].tolist())
            new, changed, diffs = _diff(frame, stored, key, columns)
            project_of = dict(zip(frame[key], frame.get("project_id", frame[key]), strict=True))
            history += [{"changed_at": dated, "who": who, "entity": entity, "entity_id": i,
                         "project_id": project_of[i], "field": f, "before": b, "after": a,
                         "reason": f"import of {file_name}", "kind": "import", "source": ""}
                        for i, f, b, a in diffs]
            bulk_upsert(session, table, new.assign(recorded_at=dated, updated_at=now,
                                                   version=1), key)
            versions = stored.loc[changed[key], "version"].to_numpy("int64") + 1
            bulk_upsert(session, table, changed.assign(updated_at=now, version=versions), key)
            inserted[entity], updated[entity] = len(new), len(changed)
            unchanged[entity] = len(frame) - len(new) - len(changed)
        record_changes(session, history)
        session.add(DatasetImport(
            kind="permits", dataset="permitting-dashboard", file_name=file_name,
            checksum=checksum, rows_read=rows_read, rows_loaded=len(data.milestones),
            rows_skipped=rows_read - len(data.milestones),
            report=json.dumps(report, ensure_ascii=False, default=str), imported_at=now))
        counts = ", ".join(f"{e}s {inserted[e]} new, {updated[e]} updated" for e in inserted)
        audit.record(session, principal, "import", target="permitting-dashboard",
                     detail=f"{file_name}: {counts}; {len(history)} field changes",
                     records=len(data.milestones))
        bump_revision(session)
    return PermitImportSummary(inserted, updated, unchanged, len(history))


def _dated_from(session: Session, data_as_of: datetime | None, now: datetime) -> datetime:
    """When an import's records and changes count from (see :func:`import_permit_data`)."""
    if data_as_of is None:
        return now
    when = data_as_of if data_as_of.tzinfo else data_as_of.replace(tzinfo=UTC)
    latest = session.scalar(select(func.max(permit_changes.c.changed_at)))
    if latest is not None:
        latest = latest if latest.tzinfo else latest.replace(tzinfo=UTC)
        when = max(when, latest)
    return min(when, now)


def get_record(engine: Engine, entity: str, record_id: str) -> dict[str, Any]:
    """One project, action or milestone as a dict (with its version)."""
    table, key, _ = _SCHEMAS[entity]
    with engine.connect() as connection:
        row = connection.execute(select(table).where(table.c[key] == record_id)).mappings().first()
    if row is None:
        raise _gone(entity, record_id)
    return dict(row)


def save_edit(
    engine: Engine, entity: str, record_id: str, expected_version: int, plan: EditPlan, *,
    principal: Principal, reason: str, who: str = "", now: datetime | None = None,
) -> int:
    """Apply a checked edit if nobody saved since ``expected_version``; return the new version.

    Needs a role that may edit timelines. The history names the signed-in person (``who``,
    a typed name, counts only with open access or on the command line); the audit trail gets
    one "timeline-edit" row in the same transaction. A rejected extension request is recorded
    in the history (and audited) but changes nothing.
    """
    require(engine, principal, Action.EDIT_TIMELINE, "timeline-edit", record_id)
    who = acting_name(principal, who)
    if not who:
        raise InputError(tr("Enter your name: the history records who made each change."))
    table, key, columns = _SCHEMAS[entity]
    now = now or datetime.now(UTC)
    with Session(engine) as session, session.begin():
        row = session.execute(select(table).where(table.c[key] == record_id)).mappings().first()
        if row is None:
            raise _gone(entity, record_id)
        if int(row["version"]) != expected_version:
            raise EditConflict(_conflict_message(session, entity, record_id))
        version = expected_version
        if plan.applied:
            values = {c.field: _sql_value(c.after, columns[c.field]) for c in plan.changes}
            result = session.execute(
                update(table).where(table.c[key] == record_id,
                                    table.c.version == expected_version)
                .values(**values, updated_at=now, version=expected_version + 1))
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise EditConflict(_conflict_message(session, entity, record_id))
            version += 1
        record_changes(session, [
            {"changed_at": now, "who": who, "entity": entity, "entity_id": record_id,
             "project_id": row.get("project_id", record_id), "field": c.field,
             "before": c.before, "after": c.after, "reason": reason, "kind": plan.kind.value,
             "source": ""} for c in plan.changes])
        audit.record(session, principal, "timeline-edit", target=record_id,
                     detail=_edit_detail(entity, plan, reason, who, principal.name),
                     records=1)
        bump_revision(session)
    return version


def _edit_detail(entity: str, plan: EditPlan, reason: str, who: str, actor: str) -> str:
    """What an edit changed, for the audit trail: the entity, each field before → after."""
    fields = "; ".join(f"{c.field} {c.before or '(empty)'} → {c.after or '(empty)'}"
                       for c in plan.changes) or "no field"
    parts = [f"{entity} ({plan.kind.value}{'' if plan.applied else ', not applied'}): {fields}"]
    if reason:
        parts.append(f"reason: {reason}")
    if who != actor:
        parts.append(f"name given: {who}")
    return "; ".join(parts)


def _gone(entity: str, record_id: str) -> NotFoundError:
    """A project, action or milestone that is not (or no longer) there."""
    gone = _GONE.get(entity)
    if gone is None:
        return NotFoundError(f"No {entity} has id {record_id!r}; it may have been removed.")
    return NotFoundError(tr(gone).format(id=repr(record_id)))


def _conflict_message(session: Session, entity: str, record_id: str) -> str:
    latest = session.execute(
        select(permit_changes).where(permit_changes.c.entity == entity,
                                     permit_changes.c.entity_id == record_id)
        .order_by(permit_changes.c.changed_at.desc(), permit_changes.c.change_id.desc())
    ).mappings().all()
    if not latest:
        return tr(_CHANGED_ELSEWHERE[entity])
    when = latest[0]["changed_at"]
    same = [r for r in latest if r["changed_at"] == when]
    empty = tr("(empty)")
    what = "; ".join(f"{r['field']} {r['before'] or empty} → {r['after'] or empty}"
                     for r in same)  # field names and stored values: the record's own words
    stamp = pd.Timestamp(when).strftime("%Y-%m-%d %H:%M UTC")
    why = " " + tr("(reason: {reason})").format(reason=same[0]["reason"]) \
        if same[0]["reason"] else ""
    return tr(_SAVED_MEANWHILE[entity]).format(who=same[0]["who"], when=stamp, what=what,
                                               why=why)


def _stored(session: Session, table: Table, key: str, ids: list[str]) -> pd.DataFrame:
    """The stored rows with these ids (a whole-table read beats huge IN lists)."""
    if len(ids) > 20_000:
        frame = pd.read_sql(select(table), session.connection())
        frame = frame[positions(pd.Series(ids, dtype=object), frame[key]) >= 0]
    else:
        frames = [pd.read_sql(select(table).where(table.c[key].in_(ids[s:s + 2000])),
                              session.connection()) for s in range(0, len(ids), 2000)]
        frame = pd.concat(frames) if frames else pd.DataFrame(columns=[c.name for c in table.c])
    return frame.set_index(key, drop=False)


def _diff(frame: pd.DataFrame, stored: pd.DataFrame, key: str, columns: dict[str, Kind]
          ) -> tuple[pd.DataFrame, pd.DataFrame, list[tuple[str, str, str, str]]]:
    """New rows, changed rows and (id, field, before, after) of every changed field."""
    at = positions(stored[key], frame[key]) if len(stored) else np.full(len(frame), -1)
    is_new = at < 0
    old = frame[~is_new]
    if old.empty:
        return frame[is_new], old, []
    before = conform(stored.iloc[at[~is_new]].reset_index(drop=True), columns)
    incoming = old.reset_index(drop=True)
    diffs: list[tuple[str, str, str, str]] = []
    changed = np.zeros(len(old), dtype=bool)
    for name, kind in columns.items():
        if name == key:
            continue
        a, b = before[name], incoming[name]
        differ = ~((a == b).fillna(False).to_numpy(bool) | (a.isna() & b.isna()).to_numpy())
        if not differ.any():
            continue
        changed |= differ
        # Text only for what changed: formatting every value costs more than comparing.
        diffs += list(zip(incoming[key].to_numpy()[differ], [name] * int(differ.sum()),
                          _texts(a[differ], kind), _texts(b[differ], kind), strict=True))
    return frame[is_new], old[changed], diffs


def _texts(values: pd.Series, kind: Kind) -> np.ndarray:
    """Values as the history writes them, vectorised."""
    if kind == "date":
        dates = pd.to_datetime(values, errors="coerce")
        return dates.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
    if kind == "flag":
        return np.where(values.fillna(False).astype(bool), "true", "false").astype(object)
    if kind in ("number", "count"):
        numbers = pd.to_numeric(values, errors="coerce")
        return numbers.map(lambda v: "" if pd.isna(v) else f"{v:g}").to_numpy(dtype=object)
    return values.fillna("").astype(str).to_numpy(dtype=object)


def _sql_value(text: str, kind: Kind) -> Any:
    if kind == "date":
        return date.fromisoformat(text) if text else None
    if kind == "flag":
        return text == "true"
    if kind == "number":
        return float(text) if text else None
    if kind == "count":
        return int(text or 0)
    return text


def project_site_links(engine: Engine) -> dict[str, str]:
    """Project id → site id of every stored project linked to a site (links made before)."""
    stmt = select(permit_projects.c.project_id, permit_projects.c.site_id).where(
        permit_projects.c.site_id != "")
    with engine.connect() as connection:
        return {str(p): str(s) for p, s in connection.execute(stmt)}


def import_link_rows(engine: Engine) -> dict[str, dict[str, Any]]:
    """Project id -> the link row of the last permits import that read it: site_id, method
    and detail, in the importer's words (reports from before links were kept give none)."""
    stmt = select(DatasetImport.report).where(DatasetImport.kind == "permits") \
        .order_by(DatasetImport.imported_at, DatasetImport.id)
    rows: dict[str, dict[str, Any]] = {}
    with engine.connect() as connection:
        for (text,) in connection.execute(stmt):
            try:
                links = json.loads(text or "{}").get("links") or []
            except (ValueError, AttributeError):
                continue  # a report from before links were kept
            rows.update({str(r["project_id"]): r for r in links
                         if isinstance(r, dict) and r.get("project_id")})
    return rows


def unlinked_reasons(engine: Engine) -> dict[str, str]:
    """Project id -> why the last import that read it left it without a site (the import
    report's link rows, in the importer's words); projects linked since are left out."""
    linked = project_site_links(engine)
    return {pid: str(row.get("detail") or NO_SITE_MATCHED)
            for pid, row in import_link_rows(engine).items()
            if not row.get("site_id") and pid not in linked}


def set_project_site(session: Session, project_id: str, site_id: str, *, who: str,
                     reason: str, now: datetime) -> bool:
    """Link a stored project to ``site_id`` ("" to unlink it), inside the caller's
    transaction, the change kept in the history; whether it changed."""
    row = session.execute(select(permit_projects.c.site_id, permit_projects.c.version).where(
        permit_projects.c.project_id == project_id)).first()
    if row is None:
        raise NotFoundError(tr("No permitting project has id {id}; it may have been "
                               "removed.").format(id=repr(project_id)))
    before = str(row.site_id or "")
    if before == site_id:
        return False
    session.execute(update(permit_projects).where(permit_projects.c.project_id == project_id)
                    .values(site_id=site_id, updated_at=now, version=int(row.version) + 1))
    record_changes(session, [{"changed_at": now, "who": who, "entity": "project",
                              "entity_id": project_id, "project_id": project_id,
                              "field": "site_id", "before": before, "after": site_id,
                              "reason": reason, "kind": ChangeKind.EDIT.value, "source": ""}])
    bump_revision(session)
    return True
