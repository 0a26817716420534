"""Offers, their item lines, reference numbers, saved drafts and API idempotency keys."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from donations_app.clock import utcnow
from donations_app.guidelines.catalog import COLUMN_TYPES, MAX_CODE_LENGTH
from donations_app.models.base import Base, JSONType, UTCDateTime, in_list, trigram_indexes
from donations_app.models.vocabulary import (
    ITEM_DECISIONS,
    ITEM_OUTCOMES,
    OFFER_OUTCOMES,
    OFFER_SOURCES,
    OFFER_STATUSES,
    RECIPIENTS,
)

if TYPE_CHECKING:
    from donations_app.models.evaluation import Evaluation
    from donations_app.models.review import Queue, Reviewer


def new_public_id() -> str:
    """A random, unguessable identifier for links that must not be enumerable."""
    return secrets.token_urlsafe(24)


class ReferenceNumber(Base):
    """Allocates offer reference numbers: an autoincrement key, so concurrent inserts never collide.

    A rolled-back submission may leave a gap; references are unique, not dense.
    """

    __tablename__ = "reference_numbers"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Offer(Base):
    """One agency's submission of one or more item lines."""

    __tablename__ = "offers"
    __table_args__ = (
        sa.CheckConstraint(in_list("status", OFFER_STATUSES), name="status"),
        sa.CheckConstraint(in_list("outcome", OFFER_OUTCOMES), name="outcome"),
        sa.CheckConstraint(in_list("recipient", RECIPIENTS), name="recipient"),
        sa.CheckConstraint(in_list("source", OFFER_SOURCES), name="source"),
        sa.CheckConstraint("authority_confirmed = true", name="authority_confirmed"),
        sa.CheckConstraint("length(agency_name) >= 1", name="agency_name_nonempty"),
        sa.CheckConstraint("length(agency_city) >= 1", name="agency_city_nonempty"),
        sa.CheckConstraint("length(contact_name) >= 1", name="contact_name_nonempty"),
        sa.CheckConstraint("length(agency_state) = 2", name="agency_state_length"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.Index("ix_offers_status_queue", "status", "queue_id"),
        # The list's default order (newest first, id to break ties) and, with the state and
        # recipient filters, the same order within them (migration 0013).
        sa.Index("ix_offers_submitted_id", "submitted_at", "id"),
        sa.Index(
            "ix_offers_state_recipient_submitted", "agency_state", "recipient", "submitted_at", "id"
        ),
        # Offer list filters and sorts, reports (migration 0002).
        sa.Index("ix_offers_queue_status_submitted", "queue_id", "status", "submitted_at"),
        sa.Index("ix_offers_status_submitted", "status", "submitted_at"),
        sa.Index("ix_offers_agency_name", "agency_name"),
        sa.Index("ix_offers_total_value", "total_value_usd"),
        # PostgreSQL reads the index above backwards as DESC NULLS FIRST; the list wants NULLS
        # LAST both ways. SQLite cannot declare NULLS LAST in an index (and needs none here).
        sa.Index("ix_offers_total_value_desc", sa.text("total_value_usd DESC NULLS LAST")).ddl_if(
            dialect="postgresql"
        ),
        sa.Index("ix_offers_decided_at", "decided_at"),
        # The search box and the agency filter (migration 0009): `lower(column) LIKE '%text%'`.
        *trigram_indexes("offers", ("reference", "agency_name", "contact_email")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(20), unique=True, nullable=False)
    public_id: Mapped[str] = mapped_column(
        sa.String(64), unique=True, nullable=False, default=new_public_id
    )
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    outcome: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    queue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("queues.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reviewers.id"), index=True)
    source: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="web")

    agency_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    # Catalog answers (agency type, an item's category, condition...) are checked against the
    # active catalog when an offer arrives, not by CHECK lists the catalog could outgrow.
    agency_type: Mapped[str] = mapped_column(sa.String(MAX_CODE_LENGTH), nullable=False)
    agency_ori: Mapped[str | None] = mapped_column(sa.String(9))
    agency_state: Mapped[str] = mapped_column(sa.String(2), nullable=False)
    agency_city: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    contact_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    contact_title: Mapped[str] = mapped_column(sa.String(120), nullable=False, default="")
    contact_email: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    contact_phone: Mapped[str | None] = mapped_column(sa.String(25))
    recipient: Mapped[str] = mapped_column(sa.String(4), nullable=False, index=True)
    authority_confirmed: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    pickup_zip: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    pickup_available_from: Mapped[dt.date | None] = mapped_column(sa.Date)

    ruleset_version: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    total_value_usd: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Optimistic concurrency: an UPDATE from a stale copy fails instead of overwriting.
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    # Private status links (migration 0004): rotating increments the version, and older links
    # stop working; sent_at is when the current link was issued by a rotation.
    status_link_version: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=1, server_default="1"
    )
    status_link_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    personal_data_erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The offer's current (latest) evaluation, for the list's "rule fired" filter (migration
    # 0013). Database triggers on evaluations keep it: an INSERT points it at the new
    # evaluation, a DELETE at the latest one left. The application never writes it.
    evaluation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("evaluations.id", use_alter=True), index=True
    )

    items: Mapped[list[Item]] = relationship(
        back_populates="offer", order_by="Item.position", cascade="all, delete-orphan"
    )
    evaluations: Mapped[list[Evaluation]] = relationship(
        back_populates="offer",
        order_by="Evaluation.id",
        cascade="all, delete-orphan",
        foreign_keys="Evaluation.offer_id",
    )
    queue: Mapped[Queue | None] = relationship()
    assignee: Mapped[Reviewer | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def latest_evaluation(self) -> Evaluation | None:
        """The evaluation that produced the offer's current outcome."""
        return self.evaluations[-1] if self.evaluations else None


class Item(Base):
    """One item line of an offer, with every item field and the reviewer's current decision."""

    __tablename__ = "items"
    __table_args__ = (
        sa.UniqueConstraint("offer_id", "position", name="uq_items_offer_position"),
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.CheckConstraint("length(description) BETWEEN 1 AND 500", name="description_length"),
        sa.CheckConstraint("length(category) >= 1", name="category_nonempty"),
        sa.CheckConstraint("position >= 0", name="position_nonnegative"),
        sa.CheckConstraint(in_list("outcome", ITEM_OUTCOMES), name="outcome"),
        sa.CheckConstraint(in_list("decision", ITEM_DECISIONS, nullable=True), name="decision"),
        sa.CheckConstraint(
            "unit_value_usd IS NULL OR unit_value_usd >= 0", name="unit_value_nonnegative"
        ),
        sa.CheckConstraint(
            "expires_on IS NULL OR manufactured_on IS NULL OR expires_on >= manufactured_on",
            name="expiry_after_manufacture",
        ),
        sa.Index("ix_items_category", "category"),
        sa.Index("ix_items_category_offer", "category", "offer_id"),
        *trigram_indexes("items", ("description", "serial_numbers")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("offers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    category: Mapped[str] = mapped_column(sa.String(MAX_CODE_LENGTH), nullable=False)
    description: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    condition: Mapped[str] = mapped_column(sa.String(MAX_CODE_LENGTH), nullable=False)
    acquired_via: Mapped[str] = mapped_column(sa.String(MAX_CODE_LENGTH), nullable=False)
    manufacturer: Mapped[str | None] = mapped_column(sa.String(200))
    model: Mapped[str | None] = mapped_column(sa.String(200))
    manufactured_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    unit_value_usd: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    serial_numbers: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    expires_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    protection_level: Mapped[str | None] = mapped_column(sa.String(MAX_CODE_LENGTH))
    damaged: Mapped[bool | None] = mapped_column(sa.Boolean)
    armored: Mapped[bool | None] = mapped_column(sa.Boolean)
    encrypted: Mapped[bool | None] = mapped_column(sa.Boolean)
    storage_sanitized: Mapped[bool | None] = mapped_column(sa.Boolean)
    insignia_removed: Mapped[bool | None] = mapped_column(sa.Boolean)
    voltage: Mapped[str | None] = mapped_column(sa.String(MAX_CODE_LENGTH))
    # Answers to catalog fields without a column of their own, as JSON (dates as ISO text,
    # decimals as text): a field added to the catalog is stored without a migration.
    answers: Mapped[dict[str, Any]] = mapped_column(
        JSONType, nullable=False, default=dict, server_default=sa.text("'{}'")
    )

    outcome: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    decision: Mapped[str | None] = mapped_column(sa.String(10))
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reviewers.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)

    offer: Mapped[Offer] = relationship(back_populates="items")

    __mapper_args__ = {"version_id_col": version}

    # The item fields with a column of their own, in the order the API uses.
    FIELDS = tuple(COLUMN_TYPES)


class Draft(Base):
    """A saved, unsubmitted offer form that its author resumes through a private link."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(
        sa.String(64), unique=True, nullable=False, default=new_public_id
    )
    email: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    submitted_offer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offers.id"))


class IdempotencyKey(Base):
    """The first answer to an API request with an Idempotency-Key, replayed on retries."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255), unique=True, nullable=False)
    request_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    status_code: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    response_body: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    offer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offers.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
