"""The append-only audit trail and the e-mail outbox."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from donations_app.clock import utcnow
from donations_app.models.base import Base, JSONType, UTCDateTime, in_list
from donations_app.models.vocabulary import ACTOR_TYPES, OUTBOX_STATUSES

if TYPE_CHECKING:
    from donations_app.models.offers import Offer


class AuditEvent(Base):
    """Who did what, when, from which status to which, why, under which rule-set version.

    Database triggers (see the migrations) refuse UPDATE and DELETE on this table.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.CheckConstraint(in_list("actor_type", ACTOR_TYPES), name="actor_type"),
        sa.Index("ix_audit_events_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offers.id"), index=True)
    actor_type: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reviewers.id"))
    actor_label: Mapped[str] = mapped_column(sa.String(254), nullable=False, default="")
    action: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str | None] = mapped_column(sa.String(20))
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    ruleset_version: Mapped[str | None] = mapped_column(sa.String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    # Whether the donor's status page shows this event (internal notes and reroutes stay internal).
    visible_to_donor: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    offer: Mapped[Offer | None] = relationship()


class OutboxMessage(Base):
    """An e-mail waiting to be sent; written in the same transaction as the change it reports."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.CheckConstraint(in_list("status", OUTBOX_STATUSES), name="status"),
        sa.CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
        sa.Index("ix_outbox_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    to_address: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    subject: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    body_text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    # The HTML alternative, written from body_text (mails queued before it existed have none).
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    offer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offers.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
