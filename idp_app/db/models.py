"""The database tables, as typed SQLAlchemy 2 models.

Times are stored as timezone-aware UTC. JSON columns hold the extraction result exactly as
:meth:`extractors.results.ExtractionResult.to_json` writes it, so nothing the extractor said is lost.
Every schema change here needs an Alembic revision in ``idp_app/migrations/versions`` (a test compares them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no zone: it is added back on reading)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database: use datetime.now(UTC)")
        return value.astimezone(UTC) if dialect.name != "sqlite" else value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Vendor(Base):
    """A vendor known from approved documents."""

    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    name_key: Mapped[str] = mapped_column(String(300), index=True)
    vat_id: Mapped[str | None] = mapped_column(String(40), index=True)
    iban: Mapped[str | None] = mapped_column(String(40), index=True)
    address: Mapped[str | None] = mapped_column(Text)
    documents_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(500))
    """The name the file had when it was imported (the stored copy is named by its hash)."""
    source_path: Mapped[str] = mapped_column(Text)
    suffix: Mapped[str] = mapped_column(String(20))
    size_bytes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    queued: Mapped[bool] = mapped_column(Boolean, default=False)
    """True while the document waits in or is held from the review queue (needs_review, in_review)."""
    risk: Mapped[int] = mapped_column(Integer, default=0)
    """Risk from the routing reasons: higher is reviewed first."""
    priority: Mapped[int] = mapped_column(Integer, default=0)
    """``-risk``: the queue index sorts ascending on every column."""
    min_confidence: Mapped[float | None] = mapped_column(Float)
    doc_type: Mapped[str | None] = mapped_column(String(20))
    type_confidence: Mapped[float | None] = mapped_column(Float)
    type_set_by: Mapped[str | None] = mapped_column(String(80))
    """Who set the document's type in review; extraction then reads it as that type rather than classifying it."""
    page_count: Mapped[int | None] = mapped_column(Integer)
    model_version: Mapped[str | None] = mapped_column(String(80))
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id", ondelete="SET NULL"))
    vendor_name: Mapped[str | None] = mapped_column(String(300))
    vendor_key: Mapped[str | None] = mapped_column(String(300))
    invoice_number: Mapped[str | None] = mapped_column(String(120))
    total_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    qa_sample: Mapped[bool] = mapped_column(Boolean, default=False)
    error_kind: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    extracted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(80))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    override_reason: Mapped[str | None] = mapped_column(Text)

    fields: Mapped[list[FieldRow]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="FieldRow.id"
    )
    reasons: Mapped[list[Reason]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="Reason.id"
    )
    extraction: Mapped[Extraction | None] = relationship(back_populates="document", cascade="all, delete-orphan")

    __table_args__ = (
        Index("ix_documents_queue", "queued", "priority", "min_confidence", "created_at", "id"),
        Index("ix_documents_status_order", "status", "priority", "min_confidence", "created_at", "id"),
        Index("ix_documents_vendor_queue", "vendor_id", "status"),
        Index("ix_documents_vendor_invoice", "vendor_key", "invoice_number"),
    )


class Extraction(Base):
    """The extractor's full answer for a document, kept verbatim (fields, alternatives, evidence, line items)."""

    __tablename__ = "extractions"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    document: Mapped[Document] = relationship(back_populates="extraction")


class FieldRow(Base):
    """The current value of one field (row -1) or line-item cell (row >= 0), beside what was predicted."""

    __tablename__ = "fields"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    row: Mapped[int] = mapped_column(Integer, default=-1)
    value: Mapped[str | None] = mapped_column(Text)
    page: Mapped[int | None] = mapped_column(Integer)
    bbox_pt: Mapped[list[Any] | None] = mapped_column(JSON)
    predicted_value: Mapped[str | None] = mapped_column(Text)
    predicted_text: Mapped[str] = mapped_column(Text, default="")
    predicted_page: Mapped[int | None] = mapped_column(Integer)
    predicted_bbox_pt: Mapped[list[Any] | None] = mapped_column(JSON)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    corrected: Mapped[bool] = mapped_column(Boolean, default=False)
    checked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """A person confirmed or set this value in review (it is then as sure as a correction, even if unchanged)."""

    document: Mapped[Document] = relationship(back_populates="fields")

    __table_args__ = (UniqueConstraint("document_id", "name", "row", name="uq_fields_document_name_row"),)


class Reason(Base):
    """One reason routing sent a document to review: a code, a message and the fields involved."""

    __tablename__ = "reasons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    fields: Mapped[list[Any]] = mapped_column(JSON, default=list)
    risk: Mapped[int] = mapped_column(Integer, default=0)

    document: Mapped[Document] = relationship(back_populates="reasons")


class CorrectionRow(Base):
    """A clerk's correction or confirmation of one field: the training pairs are read from here."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    field_name: Mapped[str] = mapped_column(String(80))
    line_item_index: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    old_bbox_pt: Mapped[list[Any] | None] = mapped_column(JSON)
    new_bbox_pt: Mapped[list[Any] | None] = mapped_column(JSON)
    page: Mapped[int | None] = mapped_column(Integer)
    source_token_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    user: Mapped[str] = mapped_column(String(80))
    seconds_spent: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class AuditEntry(Base):
    """One append-only audit record, chained to the previous one by SHA-256."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    created_at: Mapped[str] = mapped_column(String(40))
    """ISO-8601 UTC text, so the hashed form is exactly what is stored on every backend."""
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    document_id: Mapped[int | None] = mapped_column(Integer, index=True)
    payload: Mapped[str] = mapped_column(Text)
    """Canonical JSON (sorted keys, no spaces) of the details."""
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
