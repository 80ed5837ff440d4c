"""The cross-walk's links in the store: candidates refreshed from the records, decisions kept.

A refresh (``permitmap crosswalk``) adds the candidates found, updates the evidence of those
already stored and drops candidates no longer found; a link someone confirmed or rejected is
never dropped or reopened by a refresh, so decisions survive re-imports (deposits are keyed by
dataset and source record id, not by row). Deciding needs a role that may link records
(editors); refreshing, one that may import tables (admins). Both are audited.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Engine, and_, delete, or_, select, update
from sqlalchemy.orm import Session

from domain.access import PUBLIC, Action, Principal
from domain.crosswalk import BY_HAND, IMPORTED_BY, SAME_ID, Link
from domain.errors import InputError, NotFoundError
from domain.i18n import tr
from domain.vocab import PositionQuality
from store import audit
from store.acting import require
from store.db import bump_revision
from store.deposit_views import deposits_changed
from store.models import CrosswalkLink, Deposit, Site, SurveyLayer
from store.permit_tables import permit_projects
from store.permits_repo import set_project_site

CANDIDATE, CONFIRMED, REJECTED = "candidate", "confirmed", "rejected"
STATUSES = (CANDIDATE, CONFIRMED, REJECTED)
COLUMNS = ["id", "a_kind", "a_key", "b_kind", "b_key", "method", "score", "distance_km",
           "detail", "status", "decided_by", "decided_at", "found_at", "use_position"]


@dataclass(frozen=True)
class RefreshSummary:
    """What a refresh did, and the links stored after it."""

    found: int
    new: int
    updated: int
    dropped: int
    links: int
    by_status: dict[str, int]
    by_method: dict[str, int]


def refresh_links(engine: Engine, found: list[Link], *, principal: Principal,
                  now: datetime | None = None) -> RefreshSummary:
    """Store the candidates ``found`` (one per pair, the best evidence kept)."""
    require(engine, principal, Action.IMPORT_TABLE, "crosswalk", "refresh")
    now = now or datetime.now(UTC)
    best: dict[tuple[str, str, str, str], Link] = {}
    for link in found:
        key = (link.a_kind, link.a_key, link.b_kind, link.b_key)
        if key not in best or link.score > best[key].score:
            best[key] = link
    new = updated = 0
    with Session(engine) as session, session.begin():
        stored = {(r.a_kind, r.a_key, r.b_kind, r.b_key): r
                  for r in session.scalars(select(CrosswalkLink))}
        for key, link in best.items():
            evidence = {"method": link.method, "score": link.score,
                        "distance_km": link.distance_km, "detail": link.detail, "found_at": now}
            row = stored.get(key)
            if row is None:
                session.add(CrosswalkLink(
                    a_kind=link.a_kind, a_key=link.a_key, b_kind=link.b_kind, b_key=link.b_key,
                    status=CONFIRMED if link.decided_by else CANDIDATE,
                    decided_by=link.decided_by, decided_at=now if link.decided_by else None,
                    **evidence))
                new += 1
            elif row.method != BY_HAND:  # a link made by hand keeps its own words
                for name, value in evidence.items():
                    setattr(row, name, value)
                updated += 1
        # candidates no longer found, and project links the import made and no longer holds
        gone = [r.id for k, r in stored.items() if k not in best
                and (r.status == CANDIDATE or r.decided_by == IMPORTED_BY)]
        if gone:
            session.execute(delete(CrosswalkLink).where(CrosswalkLink.id.in_(gone)))
        session.flush()
        rows = list(session.scalars(select(CrosswalkLink)))
        by_status = Counter(r.status for r in rows)
        by_method = Counter(r.method for r in rows)
        _links_changed(session)
        audit.record(session, principal, "crosswalk", target="refresh",
                     detail=f"{len(best)} found: {new} new, {updated} updated, {len(gone)} "
                            f"dropped; {len(rows)} links", records=len(rows))
    return RefreshSummary(len(best), new, updated, len(gone), len(rows),
                          {s: by_status.get(s, 0) for s in STATUSES}, dict(by_method))



def decide(engine: Engine, link_id: int, status: str, *, principal: Principal,
           now: datetime | None = None) -> None:
    """Confirm or reject a link (or put it back to a candidate)."""
    if status not in STATUSES:
        raise InputError(tr("{status} is not a decision: confirmed, rejected or candidate.").format(
            status=repr(status)))
    require(engine, principal, Action.LINK_RECORDS, "crosswalk", f"link {link_id}")
    now = now or datetime.now(UTC)
    with Session(engine) as session, session.begin():
        row = session.get(CrosswalkLink, link_id)
        if row is None:
            raise NotFoundError(tr("No cross-walk link has id {id}; refresh the list.").format(
                id=link_id))
        session.execute(update(CrosswalkLink).where(CrosswalkLink.id == link_id).values(
            status=status, decided_by="" if status == CANDIDATE else principal.name,
            decided_at=None if status == CANDIDATE else now))
        if (row.a_kind, row.b_kind) == ("site", "project"):
            _link_project(session, row, status, principal.name, now)
        _links_changed(session)
        audit.record(session, principal, "crosswalk", target=f"link {link_id}",
                     detail=f"{row.a_kind} {row.a_key} = {row.b_kind} {row.b_key}: {status}")


def _link_project(session: Session, row: CrosswalkLink, status: str, who: str,
                  now: datetime) -> None:
    """A decided site-to-project link moves the project: confirmed, it is linked to the
    site (the import's link to another site, if any, is dropped); rejected or reopened, it
    leaves the site if it was there. Re-imports keep both (``rejected_project_links``)."""
    pid, site_id = row.b_key, row.a_key
    if status == CONFIRMED:
        set_project_site(session, pid, site_id, who=who, now=now,
                         reason=f"cross-walk link {row.id} confirmed")
        session.execute(delete(CrosswalkLink).where(
            CrosswalkLink.b_kind == "project", CrosswalkLink.b_key == pid,
            CrosswalkLink.a_key != site_id, CrosswalkLink.decided_by == IMPORTED_BY))
        return
    current = session.execute(select(permit_projects.c.site_id).where(
        permit_projects.c.project_id == pid)).scalar()
    if current == site_id:
        set_project_site(session, pid, "", who=who, now=now,
                         reason=f"cross-walk link {row.id} {status}")


def rejected_project_links(engine: Engine) -> frozenset[tuple[str, str]]:
    """(project id, site id) pairs someone rejected: a permits import never links them."""
    stmt = select(CrosswalkLink.b_key, CrosswalkLink.a_key).where(
        CrosswalkLink.a_kind == "site", CrosswalkLink.b_kind == "project",
        CrosswalkLink.status == REJECTED)
    with engine.connect() as connection:
        return frozenset((str(p), str(s)) for p, s in connection.execute(stmt))


def link_by_hand(engine: Engine, link: Link, *, principal: Principal,
                 now: datetime | None = None) -> int:
    """A link someone made: stored confirmed, by them; its id."""
    require(engine, principal, Action.LINK_RECORDS, "crosswalk", f"{link.a_key}={link.b_key}")
    now = now or datetime.now(UTC)
    with Session(engine) as session, session.begin():
        row = session.scalars(select(CrosswalkLink).where(
            CrosswalkLink.a_kind == link.a_kind, CrosswalkLink.a_key == link.a_key,
            CrosswalkLink.b_kind == link.b_kind, CrosswalkLink.b_key == link.b_key)).first()
        if row is None:
            row = CrosswalkLink(a_kind=link.a_kind, a_key=link.a_key, b_kind=link.b_kind,
                                b_key=link.b_key, method=BY_HAND, score=1.0,
                                distance_km=link.distance_km, detail=link.detail,
                                found_at=now)
            session.add(row)
        row.status, row.decided_by, row.decided_at = CONFIRMED, principal.name, now
        session.flush()
        _links_changed(session)
        audit.record(session, principal, "crosswalk", target=f"link {row.id}",
                     detail=f"{link.a_kind} {link.a_key} = {link.b_kind} {link.b_key}: by hand")
        return int(row.id)


def stored_links(engine: Engine, status: str | None = None) -> pd.DataFrame:
    """The stored links (:data:`COLUMNS`), best score first; only ``status`` when given."""
    stmt = select(*(CrosswalkLink.__table__.c[c] for c in COLUMNS))
    if status is not None:
        stmt = stmt.where(CrosswalkLink.status == status)
    with engine.connect() as connection:
        rows = connection.execute(stmt).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=COLUMNS)
    return frame.sort_values(["score", "id"], ascending=[False, True], kind="stable") \
        .reset_index(drop=True)


def place_links(engine: Engine) -> pd.DataFrame:
    """Every link not rejected, with the name and marking of its ``b`` record (what a site's
    panel lists): a deposit's name, a project's title, a feature's layer name and the
    layer's marking. Columns of :data:`COLUMNS` plus ``b_name`` and ``b_marking``."""
    from store.records import deposit_names

    links = stored_links(engine)
    links = links[links["status"] != REJECTED]
    deposits = deposit_names(engine)
    keys = deposits["dataset"].astype(str) + "/" + deposits["source_record_id"].astype(str)
    named = dict(zip(keys, deposits["name"].fillna(""), strict=True))
    marked = dict(zip(keys, deposits["marking"].fillna(""), strict=True))
    with engine.connect() as connection:
        titles = dict(connection.execute(select(permit_projects.c.project_id,
                                                permit_projects.c.title)).tuples().all())
        layers = {str(i): (n, m) for i, n, m in connection.execute(
            select(SurveyLayer.id, SurveyLayer.name, SurveyLayer.marking))}
    for key, title in titles.items():
        named[str(key)] = str(title or "")
    layer_of = [str(key).rpartition("/")[0] if kind == "feature" else None
                for kind, key in zip(links["b_kind"], links["b_key"], strict=True)]
    kept = [layer is None or layer in layers for layer in layer_of]  # a deleted layer's: gone
    for key, layer_id, keep in zip(links["b_key"], layer_of, kept, strict=True):
        if layer_id is not None and keep:
            named[key], marked[key] = layers[layer_id][0], layers[layer_id][1] or PUBLIC
    links = links[pd.Series(kept, index=links.index, dtype=bool)]
    return links.assign(b_name=links["b_key"].map(named).fillna(""),
                        b_marking=links["b_key"].map(marked).fillna(""))


def use_position(engine: Engine, link_id: int, use: bool, *, principal: Principal,
                 now: datetime | None = None) -> None:
    """Let a site placed only approximately (or not at all) take the published position of
    a deposit a confirmed link ties it to, or give it back (``use`` False). Refused in words
    when the link is not a confirmed site-to-deposit link, the site already has a published
    position, or the deposit has none or is marked (its point would reach the site's
    readers)."""
    require(engine, principal, Action.LINK_RECORDS, "crosswalk", f"position of link {link_id}")
    with Session(engine) as session, session.begin():
        row = session.get(CrosswalkLink, link_id)
        if row is None:
            raise NotFoundError(tr("No cross-walk link has id {id}; refresh the list.").format(
                id=link_id))
        if (row.a_kind, row.b_kind) != ("site", "deposit") or row.status != CONFIRMED:
            raise InputError(tr("Only a confirmed link between a site and a deposit can give "
                                "the site a position: confirm the link first."))
        if use:
            _check_position(session.get(Site, row.a_key), _deposit_of(session, row.b_key),
                            row.b_key)
        row.use_position = use
        bump_revision(session)
        audit.record(session, principal, "crosswalk", target=f"link {link_id}",
                     detail=f"site {row.a_key} {'takes' if use else 'gives back'} the position "
                            f"of deposit {row.b_key}")


def _deposit_of(session: Session, key: str) -> Deposit | None:
    dataset, _, record = key.partition("/")
    return session.scalars(select(Deposit).where(Deposit.dataset == dataset,
                                                 Deposit.source_record_id == record)).first()


def _check_position(site: Site | None, deposit: Deposit | None, key: str) -> None:
    if site is None:
        raise NotFoundError(tr("The link's site is no longer in the store."))
    quality = site.position_quality or "unknown"
    if quality in {q.value for q in PositionQuality} and \
            not PositionQuality(quality).is_approximate and site.lat is not None:
        raise InputError(tr("The site already has a {quality} position; it keeps its own.").format(
            quality=quality))
    if deposit is None or deposit.lat is None:
        raise InputError(tr("The deposit {key} has no position to give.").format(key=key))
    deposit_quality = deposit.position_quality or ""
    if deposit_quality not in (PositionQuality.PUBLISHED, PositionQuality.SURVEYED):
        said = deposit_quality or tr("of unknown quality")
        raise InputError(tr("The deposit {key}'s position is {said}, not published: the site "
                            "would gain nothing.").format(key=key, said=said))
    if (deposit.marking or PUBLIC) != PUBLIC:
        raise InputError(tr("The deposit {key} is marked: its position would reach everyone "
                            "who may see the site. Only a public deposit's position can be "
                            "used.").format(key=key))


def mark_same_places(session: Session) -> bool:
    """Set ``deposits.same_as`` from the links, inside the caller's transaction: an imported
    deposit confirmed as a curated one, or found with its source record id (unless someone
    rejected that), names the curated one, which the maps show in its place; every other
    deposit names none. Returns whether any deposit changed."""
    before = dict(session.execute(select(Deposit.id, Deposit.same_as)
                                  .where(Deposit.same_as.is_not(None))).tuples().all())
    session.execute(update(Deposit).where(Deposit.same_as.is_not(None)).values(same_as=None))
    pairs = session.execute(select(CrosswalkLink.a_key, CrosswalkLink.b_key).where(
        CrosswalkLink.a_kind == "deposit", CrosswalkLink.b_kind == "deposit",
        or_(CrosswalkLink.status == CONFIRMED,
            and_(CrosswalkLink.status == CANDIDATE, CrosswalkLink.method == SAME_ID)))).all()
    for a_key, b_key in pairs:
        dataset, _, record = b_key.partition("/")
        session.execute(update(Deposit).where(Deposit.dataset == dataset,
                                              Deposit.source_record_id == record)
                        .values(same_as=a_key))
    after = dict(session.execute(select(Deposit.id, Deposit.same_as)
                                 .where(Deposit.same_as.is_not(None))).tuples().all())
    return before != after


def _links_changed(session: Session) -> None:
    """After a change of links: the deposits' ``same_as`` again, and the caches told (the
    deposit grid recounted on PostGIS only when a deposit changed)."""
    if mark_same_places(session):
        deposits_changed(session)
    else:
        bump_revision(session)  # site panels list the links


def same_place_records(engine: Engine, key: str) -> pd.DataFrame:
    """The deposits recorded as the same place as the curated deposit ``key``: id, dataset,
    source_record_id, name, marking."""
    stmt = select(Deposit.id, Deposit.dataset, Deposit.source_record_id, Deposit.name,
                  Deposit.marking).where(Deposit.same_as == key).order_by(Deposit.dataset)
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(stmt).all(),
                            columns=["id", "dataset", "source_record_id", "name", "marking"])
