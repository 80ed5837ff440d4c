"""Tables. Portable between SQLite and PostgreSQL: plain columns, no dialect types.

Points are kept as ``lat``/``lon`` columns with indexes; ranked lists (commodities, stages)
as ``;``-joined canonical codes, so a filter is one portable ``LIKE`` and the map index
reads one row per record.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Site(Base):
    """A project or facility along the supply chain."""

    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    operator: Mapped[str] = mapped_column(String(300), default="")
    country: Mapped[str] = mapped_column(String(80), index=True)
    admin_area: Mapped[str] = mapped_column(String(120), default="")
    locality: Mapped[str] = mapped_column(String(300), default="")
    stage: Mapped[str] = mapped_column(String(40), index=True)
    other_stages: Mapped[str] = mapped_column(String(200), default="")
    commodities: Mapped[str] = mapped_column(String(300), default="")
    commodities_original: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(40), index=True)
    status_original: Mapped[str] = mapped_column(Text, default="")
    status_date: Mapped[str] = mapped_column(String(20), default="")
    jointly_selected: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    position_quality: Mapped[str] = mapped_column(String(40), default="unknown")
    location_note: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    marking: Mapped[str] = mapped_column(String(40), default="public", index=True)
    # Japanese names, from sources only (empty where none was found); names_ja_source cites them
    name_ja: Mapped[str] = mapped_column(String(300), default="")
    operator_ja: Mapped[str] = mapped_column(String(300), default="")
    admin_area_ja: Mapped[str] = mapped_column(String(120), default="")
    locality_ja: Mapped[str] = mapped_column(String(300), default="")
    names_ja_source: Mapped[str] = mapped_column(Text, default="")


class Deposit(Base):
    """A mineral deposit or occurrence from a national table or our curated list."""

    __tablename__ = "deposits"
    __table_args__ = (
        UniqueConstraint("dataset", "source_record_id", name="uq_deposit_record"),
        Index("ix_deposits_lat_lon", "lat", "lon"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset: Mapped[str] = mapped_column(String(80), index=True)
    source_record_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(300), default="")
    other_names: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str] = mapped_column(String(80), default="", index=True)
    admin_area: Mapped[str] = mapped_column(String(120), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    dev_status: Mapped[str] = mapped_column(String(40), default="unknown")
    dev_status_original: Mapped[str] = mapped_column(Text, default="")
    commodities: Mapped[str] = mapped_column(String(300), default="")
    commodities_original: Mapped[str] = mapped_column(Text, default="")
    deposit_type: Mapped[str] = mapped_column(Text, default="")
    position_quality: Mapped[str] = mapped_column(String(40), default="published")
    position_note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    marking: Mapped[str] = mapped_column(String(40), default="public", index=True)
    # the curated deposit this record is the same place as (a cross-walk link): the maps show
    # that one, with both sources, not two points
    same_as: Mapped[str | None] = mapped_column(String(300), nullable=True, default=None)


class DatasetImport(Base):
    """One import of a file into the store: what was read, loaded and skipped."""

    __tablename__ = "dataset_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    dataset: Mapped[str] = mapped_column(String(80))
    file_name: Mapped[str] = mapped_column(String(300))
    checksum: Mapped[str] = mapped_column(String(64))
    rows_read: Mapped[int] = mapped_column(Integer)
    rows_loaded: Mapped[int] = mapped_column(Integer)
    rows_skipped: Mapped[int] = mapped_column(Integer)
    report: Mapped[str] = mapped_column(Text, default="")
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StoreMeta(Base):
    """Key/value facts about the store (seed checksum, data revision)."""

    __tablename__ = "store_meta"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SurveyLayer(Base):
    """An uploaded survey layer: vector features in ``survey_features``, or a raster COG file.

    One upload can give several layers (a file's geometry types are split), hence the
    duplicate key is the upload's checksum with the layer inside it.
    """

    __tablename__ = "survey_layers"
    __table_args__ = (UniqueConstraint("checksum", "source_layer", name="uq_layer_upload"),)

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    licence: Mapped[str] = mapped_column(Text, default="")
    surveyed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    uploaded_by: Mapped[str] = mapped_column(String(120))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    original_filename: Mapped[str] = mapped_column(String(300))
    checksum: Mapped[str] = mapped_column(String(64), index=True)
    source_layer: Mapped[str] = mapped_column(String(300), default="")
    file_format: Mapped[str] = mapped_column(String(60), default="")
    original_crs: Mapped[str] = mapped_column(Text, default="")
    geometry_type: Mapped[str] = mapped_column(String(40), default="")
    feature_count: Mapped[int] = mapped_column(Integer, default=0)
    min_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    min_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    style: Mapped[str] = mapped_column(Text, default="{}")
    raster_file: Mapped[str] = mapped_column(String(300), default="")
    report: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    marking: Mapped[str] = mapped_column(String(40), default="public")


class SurveyFeature(Base):
    """One feature of a vector layer: WKB geometry in EPSG:4326, properties as JSON text."""

    __tablename__ = "survey_features"

    layer_id: Mapped[str] = mapped_column(
        String(80), ForeignKey("survey_layers.id", ondelete="CASCADE"), primary_key=True)
    feature_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    geometry: Mapped[bytes] = mapped_column(LargeBinary)
    properties: Mapped[str] = mapped_column(Text, default="{}")
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)


class AttributeMarking(Base):
    """One attribute of one record marked above the record itself (a site's operator, say):
    whoever lacks the clearance receives the record without that attribute."""

    __tablename__ = "attribute_markings"

    record_kind: Mapped[str] = mapped_column(String(20), primary_key=True)  # site|deposit|layer
    record_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    attribute: Mapped[str] = mapped_column(String(80), primary_key=True)
    marking: Mapped[str] = mapped_column(String(40))


class Account(Base):
    """A person who signs in (a local password, or OpenID Connect when ``password_hash`` is
    empty), with a role and the highest marking they may see."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    clearance: Mapped[str] = mapped_column(String(40), default="public")
    password_hash: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class ApiToken(Base):
    """A personal API token for other tools; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                          nullable=True)


class SignInSession(Base):
    """A browser's sign-in: the cookie holds a random secret, the store its SHA-256, so every
    app process knows it and sign-out ends it everywhere."""

    __tablename__ = "sign_in_sessions"

    secret_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SignInAttempt(Base):
    """A failed sign-in, counted per account name and per address to slow guessing."""

    __tablename__ = "sign_in_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    address: Mapped[str] = mapped_column(String(80), index=True)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class AuditEntry(Base):
    """One action: who, what, on what, how many records, the highest marking involved.
    Append-only: the database refuses UPDATE and DELETE on this table (triggers, 0006)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(120), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    records: Mapped[int | None] = mapped_column(Integer, nullable=True)
    marking: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(80), default="")
    outcome: Mapped[str] = mapped_column(String(20), default="ok")


class CrosswalkLink(Base):
    """Two records that are the same place: sites, deposits (by dataset and source record
    id, so a link survives a re-import), permitting projects, survey layer features. How the
    link was found, its score, and whether someone confirmed or rejected it."""

    __tablename__ = "crosswalk_links"
    __table_args__ = (
        UniqueConstraint("a_kind", "a_key", "b_kind", "b_key", name="uq_crosswalk_pair"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    a_kind: Mapped[str] = mapped_column(String(20))
    a_key: Mapped[str] = mapped_column(String(300), index=True)
    b_kind: Mapped[str] = mapped_column(String(20))
    b_key: Mapped[str] = mapped_column(String(300), index=True)
    method: Mapped[str] = mapped_column(String(40))
    score: Mapped[float] = mapped_column(Float)
    distance_km: Mapped[float | None] = mapped_column(Float, nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), index=True)  # candidate|confirmed|rejected
    decided_by: Mapped[str] = mapped_column(String(120), default="")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    found_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # a site placed only approximately takes the linked deposit's published position
    use_position: Mapped[bool] = mapped_column(Boolean, default=False)
