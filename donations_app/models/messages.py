"""The conversation on an offer: messages between its reviewers and its donor."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from donations_app.clock import utcnow
from donations_app.models.base import Base, JSONType, UTCDateTime, in_list
from donations_app.models.vocabulary import MESSAGE_AUTHORS, MESSAGE_KINDS

if TYPE_CHECKING:
    from donations_app.models.attachments import Attachment
    from donations_app.models.review import Reviewer


class Message(Base):
    """One message of an offer's thread.

    `read_at` is when the other party first read it (a reviewer for the donor's messages, the
    donor for the reviewers'). A donor's reply that corrected items keeps the corrections in
    `changes` (per item: field, label, before, after) and the evaluation they caused.
    """

    __tablename__ = "messages"
    __table_args__ = (
        sa.CheckConstraint(in_list("author_type", MESSAGE_AUTHORS), name="author_type"),
        sa.CheckConstraint(in_list("kind", MESSAGE_KINDS), name="kind"),
        sa.Index("ix_messages_offer_thread", "offer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("offers.id", ondelete="CASCADE"), nullable=False
    )
    author_type: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reviewers.id"))
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, nullable=False, default=list)
    evaluation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("evaluations.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[Reviewer | None] = relationship()
    # The files sent with the message (stored through services/attachments.py).
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id", viewonly=True)

    @property
    def from_donor(self) -> bool:
        """True for the donor's messages."""
        return self.author_type == "donor"
