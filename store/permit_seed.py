"""Read and check the bundled permitting record in ``data/permits/``, then write it.

Bundled records never overwrite a record an editor has changed (its version is above 1), and
the dated changes reported by sources enter the history once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.i18n import tr
from permits.dates import misplaced
from permits.frames import PermitData
from permits.history import ENTITIES
from permits.schema import ACTION_COLUMNS, MILESTONE_COLUMNS, PROJECT_COLUMNS, Kind
from permits.vocab import ActionStatus, ChangeKind, MilestoneEvent, ProjectStatus
from store.errors import SeedDataError
from store.permit_tables import permit_changes
from store.permits_repo import record_changes, upsert_record

CHANGE_FILE_COLUMNS = ("changed_at", "entity", "entity_id", "field", "before", "after",
                       "reason", "source")


def read_permit_seed(data_dir: Path, site_ids: Iterable[str]) -> tuple[PermitData, pd.DataFrame]:
    """The bundled record and its sourced changes; SeedDataError names the row that is wrong."""
    folder = data_dir / "permits"
    if not (folder / "projects.csv").exists():
        return PermitData.from_frames(pd.DataFrame(), pd.DataFrame(), pd.DataFrame()), \
            pd.DataFrame(columns=list(CHANGE_FILE_COLUMNS))
    projects = _read(folder / "projects.csv", PROJECT_COLUMNS)
    actions = _read(folder / "actions.csv", ACTION_COLUMNS)
    milestones = _read(folder / "milestones.csv", MILESTONE_COLUMNS)
    _check_vocab(folder / "projects.csv", projects, "status", ProjectStatus)
    _check_vocab(folder / "actions.csv", actions, "status", ActionStatus)
    _check_vocab(folder / "milestones.csv", milestones, "milestone_type", MilestoneEvent,
                 allow_empty=False)
    _check_refs(folder / "projects.csv", projects, "site_id", set(site_ids))
    _check_refs(folder / "actions.csv", actions, "project_id", set(projects["project_id"]))
    _check_refs(folder / "milestones.csv", milestones, "action_id", set(actions["action_id"]))
    _check_refs(folder / "milestones.csv", milestones, "depends_on",
                set(milestones["milestone_id"]))
    data = PermitData.from_frames(projects, actions, milestones)
    problems = misplaced(data.milestones)
    if problems:
        raise SeedDataError(tr("{file}: {problem} (a date known to the month, quarter or year "
                               "is stored as the last day of that period).").format(
                                   file="milestones.csv", problem=problems[0]))
    changes = _read_changes(folder / "changes.csv", data)
    return data, changes


def write_permit_seed(session: Session, data: PermitData, changes: pd.DataFrame) -> None:
    """Upsert the bundled record (keeping edited records) and add new sourced changes."""
    upsert_record(session, data, keep_edited=True)
    known = {(r.entity_id, r.field, r.after, pd.Timestamp(r.changed_at).date()) for r in
             session.execute(select(permit_changes).where(
                 permit_changes.c.kind == ChangeKind.SOURCE.value))}
    project_of = {**dict(zip(data.actions["action_id"], data.actions["project_id"], strict=True)),
                  **dict(zip(data.milestones["milestone_id"], data.milestones["project_id"],
                             strict=True)),
                  **{p: p for p in data.projects["project_id"]}}
    rows = []
    for change in changes.to_dict("records"):
        day = pd.Timestamp(change["changed_at"]).date()
        if (change["entity_id"], change["field"], change["after"], day) in known:
            continue
        rows.append({**{c: change[c] for c in CHANGE_FILE_COLUMNS},
                     "changed_at": datetime.combine(day, datetime.min.time(), tzinfo=UTC),
                     "who": "public source", "project_id": project_of[change["entity_id"]],
                     "kind": ChangeKind.SOURCE.value})
    record_changes(session, rows)


def _read(path: Path, columns: dict[str, Kind]) -> pd.DataFrame:
    if not path.exists():
        raise SeedDataError(tr("{file} is missing from {folder}.").format(
            file=path.name, folder=path.parent))
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SeedDataError(tr("{file} lacks the columns {columns}.").format(
            file=path.name, columns=", ".join(missing)))
    key = next(iter(columns))
    duplicated = frame[frame[key].duplicated()][key].tolist()
    if duplicated:
        raise SeedDataError(tr("{file}: {field} repeated: {values}.").format(
            file=path.name, field=key, values=", ".join(duplicated[:5])))
    for name, kind in columns.items():
        if kind == "date":
            bad = frame[(frame[name] != "") & pd.to_datetime(
                frame[name], errors="coerce", format="%Y-%m-%d").isna()]
            if not bad.empty:
                line = int(bad.index[0]) + 2
                raise SeedDataError(tr("{file} row {row}: {field} {value} is not a date written "
                                       "YYYY-MM-DD.").format(file=path.name, row=line, field=name,
                                                             value=repr(bad[name].iloc[0])))
    return frame


def _check_vocab(path: Path, frame: pd.DataFrame, field: str, vocab: type[StrEnum],
                 *, allow_empty: bool = True) -> None:
    allowed = {m.value for m in vocab} | ({""} if allow_empty else set())
    bad = frame[~frame[field].isin(allowed)]
    if not bad.empty:
        raise SeedDataError(tr("{file} row {row}: {field} {value} is not one of {allowed}.")
                            .format(file=path.name, row=int(bad.index[0]) + 2, field=field,
                                    value=repr(bad[field].iloc[0]),
                                    allowed=", ".join(sorted(allowed))))


def _check_refs(path: Path, frame: pd.DataFrame, field: str, known: set[str]) -> None:
    bad = frame[(frame[field] != "") & ~frame[field].isin(known)]
    if not bad.empty:
        raise SeedDataError(tr("{file} row {row}: {field} {value} does not exist.").format(
            file=path.name, row=int(bad.index[0]) + 2, field=field,
            value=repr(bad[field].iloc[0])))


def _read_changes(path: Path, data: PermitData) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame(columns=list(CHANGE_FILE_COLUMNS))
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in CHANGE_FILE_COLUMNS if c not in frame.columns]
    if missing:
        raise SeedDataError(tr("{file} lacks the columns {columns}.").format(
            file=path.name, columns=", ".join(missing)))
    frame["changed_at"] = pd.to_datetime(frame["changed_at"], errors="coerce", format="%Y-%m-%d")
    for line, row in enumerate(frame.to_dict("records"), start=2):
        entity, entity_id, field = str(row["entity"]), str(row["entity_id"]), str(row["field"])
        if pd.isna(row["changed_at"]):
            raise SeedDataError(tr("{file} row {row}: {field} is not a YYYY-MM-DD date.").format(
                file=path.name, row=line, field="changed_at"))
        if entity not in ENTITIES:
            raise SeedDataError(tr("{file} row {row}: {field} must be one of {allowed}.").format(
                file=path.name, row=line, field="entity", allowed=", ".join(ENTITIES)))
        attr, key, columns = ENTITIES[entity]
        if entity_id not in set(getattr(data, attr)[key]):
            raise SeedDataError(tr("{file} row {row}: {field} {value} does not exist.").format(
                file=path.name, row=line, field=entity, value=repr(entity_id)))
        if field not in columns:
            raise SeedDataError(tr("{file} row {row}: {entity} has no field {field}.").format(
                file=path.name, row=line, entity=entity, field=repr(field)))
    return frame
