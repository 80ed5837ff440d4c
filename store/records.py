"""Reading and writing sites and deposits (bulk upserts that work on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import pandas as pd
from sqlalchemy import Engine, Table, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from domain.access import HIGHEST, MARKING_CODES, PUBLIC, Action, Principal
from domain.deposit_view import withheld_attributes
from domain.errors import InputError, NotFoundError
from domain.i18n import tr
from store import audit
from store.acting import require
from store.bulk import load_append, load_upsert, lock_for_load
from store.crosswalk_repo import mark_same_places
from store.db import bump_revision
from store.deposit_views import deposits_changed
from store.models import AttributeMarking, Base, CrosswalkLink, DatasetImport, Deposit, Site

_DEPOSITS = cast(Table, Deposit.__table__)
DEPOSIT_KEY = ("dataset", "source_record_id")
# The records' own columns, as files give them. The handling marking is not among them: it is
# set by an editor (`permitmap mark`) and survives re-imports and re-seeding.
# what a deposit table holds: not the store's own (its row id, its marking, the cross-walk's
# same_as)
DEPOSIT_COLUMNS = [c.name for c in Deposit.__table__.columns
                   if c.name not in {"id", "marking", "same_as"}]
SITE_COLUMNS = [c.name for c in Site.__table__.columns if c.name != "marking"]
_CHUNK = 5000
CURATED_DATASET = "permitmap-curated"


@dataclass(frozen=True)
class ImportSummary:
    """What one import did."""

    dataset: str
    rows_read: int
    rows_loaded: int
    rows_skipped: int
    inserted: int
    updated: int


def upsert_rows(
    session: Session, model: type[Base], rows: Sequence[dict[str, Any]], key: Sequence[str]
) -> None:
    """Insert rows, updating those whose ``key`` columns already exist."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        stmt = insert(model)
        updates = {c: stmt.excluded[c] for c in chunk[0] if c not in key}
        session.execute(stmt.on_conflict_do_update(index_elements=list(key), set_=updates), chunk)


def import_deposits(
    engine: Engine,
    records: pd.DataFrame,
    *,
    principal: Principal,
    dataset: str,
    file_name: str,
    checksum: str,
    rows_read: int,
    report: dict[str, Any],
) -> ImportSummary:
    """Load deposit records in one transaction; re-importing updates, never duplicates.

    The rows go in column-wise (``store.bulk``): on PostgreSQL with ``COPY``, straight into
    the table for a dataset not stored yet, else through a temporary table and one
    ``UPDATE``/``INSERT ... SELECT`` pair; on SQLite with a driver-level ``executemany`` of
    ``INSERT ... ON CONFLICT DO UPDATE``. New rows take their ids in file order. Other
    writers of the deposits wait; readers see the old rows until the commit. The deposit grid
    is recounted in the same transaction, so a failure leaves the store as it was, and the
    audit trail gets its "import" row in that transaction too. Needs a role that may import
    tables (admin).
    """
    require(engine, principal, Action.IMPORT_TABLE, "import", dataset)
    frame = _frame_columns(records, DEPOSIT_COLUMNS)
    loaded = len(frame)
    with Session(engine) as session, session.begin():
        lock_for_load(session, _DEPOSITS)
        before = _count_dataset(session, dataset)
        if before == 0 and _only_dataset(frame, dataset):
            # Nothing stored can clash: the rows go straight in (a repeated id: the last wins).
            repeated = frame.duplicated(list(DEPOSIT_KEY), keep="last")
            new = frame[~repeated] if repeated.any() else frame
            load_append(session, _DEPOSITS, new)
            inserted = len(new)
        else:
            load_upsert(session, _DEPOSITS, frame, DEPOSIT_KEY)
            inserted = _count_dataset(session, dataset) - before
        session.add(
            DatasetImport(
                kind="deposits",
                dataset=dataset,
                file_name=file_name,
                checksum=checksum,
                rows_read=rows_read,
                rows_loaded=loaded,
                rows_skipped=rows_read - loaded,
                report=json.dumps(report, ensure_ascii=False),
                imported_at=datetime.now(UTC),
            )
        )
        audit.record(session, principal, "import", target=dataset,
                     detail=f"deposits from {file_name}: {inserted} new, "
                            f"{loaded - inserted} updated, {rows_read - loaded} skipped",
                     records=loaded, marking=_dataset_marking(session, dataset))
        mark_same_places(session)  # a re-imported record is again the place it was
        deposits_changed(session)
    return ImportSummary(dataset, rows_read, loaded, rows_read - loaded, inserted,
                         loaded - inserted)


def _only_dataset(frame: pd.DataFrame, dataset: str) -> bool:
    """Whether every record belongs to ``dataset`` (so none can match another's rows)."""
    return bool((frame["dataset"] == dataset).all())


def dataset_counts(engine: Engine) -> dict[str, int]:
    """Deposits per dataset, largest first."""
    with Session(engine) as session:
        rows = session.execute(
            select(Deposit.dataset, func.count()).group_by(Deposit.dataset)
            .order_by(func.count().desc())
        ).all()
    return {str(name): int(count) for name, count in rows}


def remove_dataset(engine: Engine, dataset: str, *, principal: Principal) -> int:
    """Delete every deposit of one imported dataset (and audit it, "deposit-remove", in the
    same transaction); return how many went. Needs a role that may import tables (admin)."""
    require(engine, principal, Action.IMPORT_TABLE, "deposit-remove", dataset)
    if dataset == CURATED_DATASET:
        raise InputError(tr("{dataset} is the bundled list of curated deposits; it comes back "
                            "from data/ and cannot be removed here.").format(
                                dataset=repr(dataset)))
    with Session(engine) as session, session.begin():
        removed = _count_dataset(session, dataset)
        if not removed:
            known = ", ".join(dataset_counts(engine)) or tr("none")
            raise NotFoundError(tr("No dataset named {dataset} (datasets: {known}).").format(
                dataset=repr(dataset), known=known))
        marking = _dataset_marking(session, dataset)
        session.execute(delete(Deposit).where(Deposit.dataset == dataset))
        audit.record(session, principal, "deposit-remove", target=dataset,
                     detail=f"removed {removed} deposits", records=removed, marking=marking)
        deposits_changed(session)
    return removed


def upsert_sites(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or update sites by id."""
    if rows:
        upsert_rows(session, Site, rows, ("id",))
        bump_revision(session)


def load_sites(engine: Engine) -> pd.DataFrame:
    """Every site, one row each, in name order; a site that takes a linked deposit's
    position (the cross-walk's ``use_position``) has it, its quality and where it came from."""
    with engine.connect() as connection:
        frame = pd.read_sql(select(Site).order_by(Site.name), connection)
        taken = connection.execute(
            select(CrosswalkLink.a_key, Deposit.name, Deposit.dataset, Deposit.source_record_id,
                   Deposit.lat, Deposit.lon, Deposit.position_quality)
            .join(Deposit, (Deposit.dataset + "/" + Deposit.source_record_id)
                  == CrosswalkLink.b_key)
            .where(CrosswalkLink.use_position, CrosswalkLink.status == "confirmed",
                   CrosswalkLink.a_kind == "site", CrosswalkLink.b_kind == "deposit",
                   func.coalesce(Deposit.marking, PUBLIC) == PUBLIC,
                   Deposit.lat.is_not(None), Deposit.lon.is_not(None))).all()
    for site_id, name, dataset, record, lat, lon, quality in taken:
        at = frame["id"] == site_id
        before = frame.loc[at, ["position_quality", "location_note"]].fillna("")
        if before.empty:
            continue
        was = f"{before.iloc[0]['position_quality']}: {before.iloc[0]['location_note']}".strip()
        frame.loc[at, "lat"], frame.loc[at, "lon"] = lat, lon
        frame.loc[at, "position_quality"] = quality
        frame.loc[at, "location_note"] = (
            f"position of the deposit {name} ({dataset} record {record}), which a confirmed "
            f"cross-walk link ties to this site; the site's own record gave {was}")
    return frame


def deposit_points(engine: Engine) -> pd.DataFrame:
    """The columns the map index needs, for every deposit; its handling marking as
    ``marking_rank`` (the position in MARKING_CODES, an unknown code counted as the highest):
    a small number per row rather than a string."""
    rank = case({code: i for i, code in enumerate(MARKING_CODES)}, value=Deposit.marking,
                else_=len(MARKING_CODES) - 1).label("marking_rank")
    columns = [Deposit.id, Deposit.lat, Deposit.lon, Deposit.dev_status, Deposit.commodities,
               Deposit.country, Deposit.name, rank]
    # a record of a place a curated deposit stands for (the cross-walk) is not drawn twice
    query = select(*columns).where(Deposit.same_as.is_(None)).order_by(Deposit.id)
    with engine.connect() as connection:
        return pd.read_sql(query, connection)


def deposit_names(engine: Engine) -> pd.DataFrame:
    """Every deposit's identity, names, point and marking: what the cross-walk compares."""
    columns = [Deposit.id, Deposit.dataset, Deposit.source_record_id, Deposit.name,
               Deposit.other_names, Deposit.lat, Deposit.lon, Deposit.marking]
    with engine.connect() as connection:
        return pd.read_sql(select(*columns).order_by(Deposit.id), connection)


def get_deposit(engine: Engine, deposit_id: int, *, principal: Principal) -> dict[str, Any]:
    """One deposit as a dict, as ``principal`` may see it: NotFoundError when the id is
    unknown or the deposit is marked above their clearance (the same words: whether it
    exists is not told); an attribute marked above it is blank and named in ``withheld``."""
    with Session(engine) as session:
        row = session.get(Deposit, deposit_id)
        if row is None or not principal.may_see(row.marking or PUBLIC):
            raise NotFoundError(tr("No deposit has id {id}; it may have been re-imported.").format(
                id=deposit_id))
        deposit = {c: getattr(row, c) for c in ["id", *DEPOSIT_COLUMNS, "same_as"]}
        marks = dict(session.execute(
            select(AttributeMarking.attribute, AttributeMarking.marking).where(
                AttributeMarking.record_kind == "deposit",
                AttributeMarking.record_id == str(deposit_id))).all())
    withheld = sorted(a for a in withheld_attributes(marks, principal) if a in deposit)
    for attribute in withheld:
        deposit[attribute] = ""
    deposit["withheld"] = withheld
    return deposit


def withheld_deposit_attributes(engine: Engine, principal: Principal) -> dict[int, set[str]]:
    """Deposit id -> the attributes ``principal`` may not receive (empty at the highest
    clearance). Attribute markings are few: one small query."""
    if principal.may_see(HIGHEST):
        return {}
    query = select(AttributeMarking.record_id, AttributeMarking.attribute,
                   AttributeMarking.marking).where(AttributeMarking.record_kind == "deposit")
    marks: dict[int, dict[str, str]] = {}
    with engine.connect() as connection:
        for record_id, attribute, marking in connection.execute(query):
            marks.setdefault(int(record_id), {})[attribute] = marking
    hidden = {i: withheld_attributes(m, principal) for i, m in marks.items()}
    return {i: attributes for i, attributes in hidden.items() if attributes}


def get_site(engine: Engine, site_id: str) -> dict[str, Any]:
    """One site as a dict; NotFoundError when the id is unknown."""
    with Session(engine) as session:
        row = session.get(Site, site_id)
        if row is None:
            raise NotFoundError(tr("No site has id {id}.").format(id=repr(site_id)))
        return {c: getattr(row, c) for c in SITE_COLUMNS}


def store_counts(engine: Engine, deposits: int | None = None) -> dict[str, int]:
    """Row counts of the main tables, for the health route and the data page. ``deposits``,
    when the caller already knows it (the map's cached count), saves counting a million rows
    on every health check."""
    with Session(engine) as session:
        if deposits is None:
            deposits = session.scalar(select(func.count()).select_from(Deposit)) or 0
        return {
            "sites": session.scalar(select(func.count()).select_from(Site)) or 0,
            "deposits": deposits,
            "imports": session.scalar(select(func.count()).select_from(DatasetImport)) or 0,
        }


def recent_imports(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    """The newest dataset imports, newest first."""
    with Session(engine) as session:
        rows = session.scalars(
            select(DatasetImport).order_by(DatasetImport.id.desc()).limit(limit)
        ).all()
        return [
            {c.name: getattr(r, c.name) for c in DatasetImport.__table__.columns} for r in rows
        ]


def _dataset_marking(session: Session, dataset: str) -> str:
    """The highest handling marking among a dataset's stored deposits (the marked rows are
    few: each question goes through the index on ``marking``)."""
    for code in reversed(MARKING_CODES[1:]):
        stmt = select(Deposit.id).where(Deposit.marking == code, Deposit.dataset == dataset)
        if session.scalar(stmt.limit(1)) is not None:
            return code
    return PUBLIC


def _count_dataset(session: Session, dataset: str) -> int:
    stmt = select(func.count()).select_from(Deposit).where(Deposit.dataset == dataset)
    return session.scalar(stmt) or 0


def _frame_columns(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """The frame's ``columns``; ValueError naming those it lacks."""
    cols = list(columns)
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ValueError(f"records lack columns {missing}")
    return frame[cols]
