"""The survey layer catalog in the store: add (atomically, refusing duplicates), list, rename,
hide, restyle and delete layers; read a vector layer's features.

Geometries arrive and leave as WKB in EPSG:4326 with their bounding boxes, so the store needs
no geo library, and PostGIS can later take the same bytes.
"""

from __future__ import annotations

import json
import re
import secrets
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import (
    Engine,
    and_,
    delete,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.access import PUBLIC, Action, Principal
from domain.bbox import BBox
from domain.errors import InputError, NotFoundError
from domain.i18n import tr
from store import audit
from store.acting import acting_name, require
from store.bulk import bulk_insert
from store.db import bump_counter, get_meta
from store.errors import DuplicateUpload
from store.models import SurveyFeature, SurveyLayer

LAYER_REVISION_KEY = "layer_revision"
FEATURE_COLUMNS = ["geometry", "properties", "min_lon", "min_lat", "max_lon", "max_lat"]


@dataclass(frozen=True)
class NewLayer:
    """A layer ready to store. ``features`` (vector only) has :data:`FEATURE_COLUMNS`."""

    name: str
    kind: str
    uploaded_by: str
    original_filename: str
    checksum: str
    source_layer: str = ""
    file_format: str = ""
    original_crs: str = ""
    geometry_type: str = ""
    feature_count: int = 0
    bounds: tuple[float, float, float, float] | None = None
    description: str = ""
    source: str = ""
    licence: str = ""
    surveyed_on: date | None = None
    style: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    features: pd.DataFrame | None = None


@dataclass(frozen=True)
class LayerRecord:
    """A stored layer's catalog entry."""

    id: str
    name: str
    kind: str
    description: str
    source: str
    licence: str
    surveyed_on: date | None
    uploaded_by: str
    uploaded_at: datetime
    original_filename: str
    checksum: str
    source_layer: str
    file_format: str
    original_crs: str
    geometry_type: str
    feature_count: int
    bounds: tuple[float, float, float, float] | None
    hidden: bool
    style: dict[str, Any]
    raster_file: str
    version: int
    marking: str = PUBLIC


def new_layer_id(name: str) -> str:
    """A readable id: the name as a slug, plus random hex so that a layer deleted and
    published again never meets the caches (map, tiles) of the one before.

    >>> new_layer_id("Géologie: Sheet 12 (rev. 2)")[:22], len(new_layer_id("地質図"))
    ('geologie-sheet-12-rev-', 14)
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-") or "layer"
    return f"{slug}-{secrets.token_hex(4)}"


def add_layers(engine: Engine, layers: Sequence[NewLayer],
               place_files: Callable[[list[str]], None] | None = None, *,
               principal: Principal) -> list[LayerRecord]:
    """Store ``layers`` in one transaction; all or nothing, with one "upload" audit row.

    ``place_files(ids)`` runs inside the transaction after the rows are written (it moves a
    raster into its folder); if it raises, nothing is stored. An upload published before
    (same checksum and layer) is refused with who published it and when. Needs a role that
    may upload layers; a signed-in uploader is named by their account, not what they typed.
    """
    require(engine, principal, Action.UPLOAD_LAYER, "upload",
            layers[0].original_filename if layers else "")
    ids = [new_layer_id(layer.name) for layer in layers]
    try:
        with Session(engine) as session, session.begin():
            _refuse_duplicates(session, layers, principal)
            for layer_id, layer in zip(ids, layers, strict=True):
                session.add(_row(layer_id, layer, acting_name(principal, layer.uploaded_by)))
            session.flush()
            for layer_id, layer in zip(ids, layers, strict=True):
                if layer.features is not None:
                    frame = layer.features[FEATURE_COLUMNS].copy()
                    frame.insert(0, "feature_no", range(1, len(frame) + 1))
                    frame.insert(0, "layer_id", layer_id)
                    bulk_insert(session, SurveyFeature.__table__, frame)  # type: ignore[arg-type]
            names = "; ".join(f"{layer.name} ({layer.kind})" for layer in layers)
            audit.record(session, principal, "upload", target=", ".join(ids),
                         detail=f"{layers[0].original_filename}: {names}" if layers else "",
                         records=sum(layer.feature_count for layer in layers))
            _bump(session)
            if place_files is not None:
                place_files(ids)
    except IntegrityError as exc:  # another process published the same file a moment ago
        raise DuplicateUpload(tr(
            "{name} was published by someone else just now; refresh the layer catalog to see "
            "it.").format(name=layers[0].original_filename)) from exc
    return [get_layer(engine, layer_id) for layer_id in ids]


def list_layers(engine: Engine, *, include_hidden: bool = True) -> list[LayerRecord]:
    """Every layer, newest upload first."""
    query = select(SurveyLayer).order_by(SurveyLayer.uploaded_at.desc(), SurveyLayer.name)
    if not include_hidden:
        query = query.where(SurveyLayer.hidden.is_(False))
    with Session(engine) as session:
        return [_record(row) for row in session.scalars(query)]


def visible_layers(records: Sequence[LayerRecord], principal: Principal) -> list[LayerRecord]:
    """The layers whose handling marking ``principal``'s clearance reaches, in their order."""
    return [r for r in records if principal.may_see(r.marking)]


def get_layer(engine: Engine, layer_id: str, principal: Principal | None = None) -> LayerRecord:
    """One layer by id; NotFoundError names it when it is not there, or, with ``principal``,
    when it is marked above their clearance (the same words: they are not told it exists)."""
    with Session(engine) as session:
        row = session.get(SurveyLayer, layer_id)
        if row is None or (principal is not None
                           and not principal.may_see(row.marking or PUBLIC)):
            raise layer_not_found(layer_id)
        return _record(row)


def layer_unreadable(record: LayerRecord, exc: Exception) -> NotFoundError:
    """What is answered when a raster layer's file cannot be read: deleted or damaged since
    it was published."""
    return NotFoundError(tr("The file of layer {name} cannot be read ({error}); it may have "
                            "been deleted. Publish the layer again.").format(
                                name=repr(record.name), error=exc))


def layer_not_found(layer_id: str) -> NotFoundError:
    """What is answered for a layer that is not there (or that the asker may not see)."""
    return NotFoundError(tr("No survey layer with id {id}; it may have been deleted. Open the "
                            "layer catalog to see the layers there are.").format(
                                id=repr(layer_id)))


def update_layer(engine: Engine, layer_id: str, *, principal: Principal,
                 name: str | None = None, description: str | None = None,
                 hidden: bool | None = None,
                 style: dict[str, Any] | None = None) -> LayerRecord:
    """Rename, describe, hide or show, or restyle a layer, with one audit row ("layer-show"
    when only hidden or shown, else "layer-restyle"). Needs a role that may restyle layers."""
    only_shown = hidden is not None and name is None and description is None and style is None
    require(engine, principal, Action.RESTYLE_LAYER,
            "layer-show" if only_shown else "layer-restyle", layer_id)
    if name is not None and not name.strip():
        raise InputError(tr("A layer needs a name; type one before saving."))
    with Session(engine) as session, session.begin():
        row = session.get(SurveyLayer, layer_id)
        if row is None:
            raise NotFoundError(tr("No survey layer with id {id}; it may have been deleted by "
                                   "someone else.").format(id=repr(layer_id)))
        changed = []
        if name is not None and name.strip()[:200] != row.name:
            changed.append(f"renamed {row.name!r} → {name.strip()[:200]!r}")
            row.name = name.strip()[:200]
        if description is not None and description != row.description:
            changed.append("description changed")
            row.description = description
        if hidden is not None and hidden != row.hidden:
            changed.append("hidden from the map" if hidden else "shown on the map")
            row.hidden = hidden
        if style is not None and json.dumps(style, sort_keys=True) != row.style:
            changed.append(f"style {json.dumps(style, sort_keys=True)}")
            row.style = json.dumps(style, sort_keys=True)
        row.version += 1
        audit.record(session, principal, "layer-show" if only_shown else "layer-restyle",
                     target=layer_id, detail="; ".join(changed) or "nothing changed",
                     marking=row.marking or PUBLIC)
        _bump(session)
    return get_layer(engine, layer_id)


def delete_layer(engine: Engine, layer_id: str, *, principal: Principal) -> LayerRecord:
    """Remove a layer and its features, with one "layer-delete" audit row; returns what was
    removed (its raster file is the caller's to delete). Needs a role that may delete layers
    (admin)."""
    require(engine, principal, Action.DELETE_LAYER, "layer-delete", layer_id)
    record = get_layer(engine, layer_id)
    with Session(engine) as session, session.begin():
        session.execute(delete(SurveyFeature).where(SurveyFeature.layer_id == layer_id))
        gone = session.execute(delete(SurveyLayer).where(SurveyLayer.id == layer_id))
        if gone.rowcount != 1:  # type: ignore[attr-defined]
            raise NotFoundError(tr("No survey layer with id {id}; it was deleted by someone "
                                   "else just now.").format(id=repr(layer_id)))
        audit.record(session, principal, "layer-delete", target=layer_id,
                     detail=f"{record.name} ({record.kind}, {record.original_filename})",
                     records=record.feature_count, marking=record.marking)
        _bump(session)
    return record


def layer_features(engine: Engine, layer_id: str,
                   bbox: BBox | None = None,
                   limit: int | None = None) -> pd.DataFrame:
    """A vector layer's features (``feature_no``, WKB ``geometry``, JSON ``properties``),
    optionally only those whose bounding box meets ``bbox`` (lon/lat; west > east spans the
    180th meridian), at most ``limit``."""
    table = SurveyFeature.__table__
    query = select(table.c.feature_no, table.c.geometry, table.c.properties).where(
        table.c.layer_id == layer_id).order_by(table.c.feature_no)
    if bbox is not None:
        query = query.where(or_(*(and_(table.c.max_lon >= west, table.c.min_lon <= east)
                                  for west, east in bbox.spans())),
                            table.c.max_lat >= bbox.south, table.c.min_lat <= bbox.north)
        if engine.dialect.name == "postgresql":  # the same test, found through the GiST index
            query = query.where(or_(*(
                text(f"geom && ST_MakeEnvelope(:w{i}, :s{i}, :e{i}, :n{i}, 4326)").bindparams(
                    **{f"w{i}": west, f"e{i}": east, f"s{i}": bbox.south, f"n{i}": bbox.north})
                for i, (west, east) in enumerate(bbox.spans()))))
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    frame = pd.DataFrame(rows, columns=["feature_no", "geometry", "properties"])
    frame["geometry"] = [bytes(value) for value in frame["geometry"]]  # memoryview on PG
    return frame


def layer_revision(engine: Engine) -> int:
    """A counter bumped by every change to the layer catalog: caches key on it."""
    with Session(engine) as session:
        return int(get_meta(session, LAYER_REVISION_KEY) or 0)


def count_features(engine: Engine, layer_id: str) -> int:
    """How many features a layer has in the store."""
    with Session(engine) as session:
        query = select(func.count()).where(SurveyFeature.layer_id == layer_id)
        return int(session.scalar(query) or 0)


def _refuse_duplicates(session: Session, layers: Sequence[NewLayer],
                       principal: Principal) -> None:
    """Refuse a layer of a file that was published before (another layer of the same
    GeoPackage may still be added); of a layer above the uploader's clearance, say nothing
    more than that it is there."""
    keys = {(layer.checksum, layer.source_layer) for layer in layers}
    query = select(SurveyLayer).where(SurveyLayer.checksum.in_({k[0] for k in keys}))
    earlier = [row for row in session.scalars(query) if (row.checksum, row.source_layer) in keys]
    if earlier:
        first = earlier[0]
        if not principal.may_see(first.marking or PUBLIC):
            raise DuplicateUpload(tr(
                "This file was published before, as a layer marked above your clearance. "
                "Ask an admin if it should be shared more widely."))
        when = first.uploaded_at.strftime("%Y-%m-%d %H:%M")
        raise DuplicateUpload(tr(
            "This file was published before: {file} is the layer '{name}', uploaded by {who} "
            "on {when} UTC (same contents, checksum {checksum}…). Open it in the layer "
            "catalog; to replace it, delete it there first.").format(
                file=first.original_filename, name=first.name, who=first.uploaded_by,
                when=when, checksum=first.checksum[:12]))


def _row(layer_id: str, layer: NewLayer, uploaded_by: str) -> SurveyLayer:
    west, south, east, north = layer.bounds or (None, None, None, None)
    return SurveyLayer(
        id=layer_id, name=layer.name.strip()[:200] or layer_id, kind=layer.kind,
        description=layer.description, source=layer.source, licence=layer.licence,
        surveyed_on=layer.surveyed_on, uploaded_by=uploaded_by[:120],
        uploaded_at=datetime.now(UTC), original_filename=layer.original_filename,
        checksum=layer.checksum, source_layer=layer.source_layer,
        file_format=layer.file_format, original_crs=layer.original_crs,
        geometry_type=layer.geometry_type, feature_count=layer.feature_count,
        min_lon=west, min_lat=south, max_lon=east, max_lat=north, hidden=False,
        style=json.dumps(layer.style, sort_keys=True),
        raster_file=f"{layer_id}/layer.tif" if layer.kind == "raster" else "",
        report=json.dumps(layer.report, default=str), version=1)


def _record(row: SurveyLayer) -> LayerRecord:
    bounds = None
    if None not in (row.min_lon, row.min_lat, row.max_lon, row.max_lat):
        bounds = (float(row.min_lon), float(row.min_lat),  # type: ignore[arg-type]
                  float(row.max_lon), float(row.max_lat))  # type: ignore[arg-type]
    uploaded_at = row.uploaded_at
    if uploaded_at.tzinfo is None:  # SQLite keeps no zone; we store UTC
        uploaded_at = uploaded_at.replace(tzinfo=UTC)
    return LayerRecord(
        id=row.id, name=row.name, kind=row.kind, description=row.description,
        source=row.source, licence=row.licence, surveyed_on=row.surveyed_on,
        uploaded_by=row.uploaded_by, uploaded_at=uploaded_at,
        original_filename=row.original_filename, checksum=row.checksum,
        source_layer=row.source_layer, file_format=row.file_format,
        original_crs=row.original_crs, geometry_type=row.geometry_type,
        feature_count=row.feature_count, bounds=bounds, hidden=row.hidden,
        style=json.loads(row.style or "{}"), raster_file=row.raster_file, version=row.version,
        marking=row.marking or PUBLIC)


def _bump(session: Session) -> None:
    """Add one to the layer revision (see store.db.bump_counter)."""
    bump_counter(session, LAYER_REVISION_KEY)
