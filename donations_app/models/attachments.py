"""Evidence files attached to an offer's items (and, later, to conversation messages)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from donations_app.clock import utcnow
from donations_app.models.base import Base, UTCDateTime, in_list

if TYPE_CHECKING:
    from donations_app.models.offers import Item, Offer

# The content types an upload may turn out to be (detected from its bytes, never its name).
ATTACHMENT_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")
UPLOADERS = ("donor", "reviewer")


class Attachment(Base):
    """One stored file: where it is (a random storage key), what it is and who sent it.

    The original file name is kept for display only; nothing is ever looked up by it.
    """

    __tablename__ = "attachments"
    __table_args__ = (
        sa.CheckConstraint(in_list("content_type", ATTACHMENT_TYPES), name="content_type"),
        sa.CheckConstraint(in_list("uploaded_by", UPLOADERS), name="uploaded_by"),
        sa.CheckConstraint("size_bytes > 0", name="size_positive"),
        sa.CheckConstraint("length(sha256) = 64", name="sha256_length"),
        sa.CheckConstraint(
            "uploaded_by = 'donor' OR uploaded_by_id IS NOT NULL", name="reviewer_named"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("offers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("items.id", ondelete="CASCADE"), index=True
    )
    # A file sent with a message of the conversation (and, when the donor chose one, an item).
    message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    original_name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    size_bytes: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    storage_key: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    # The stored thumbnail's key (images only).
    thumbnail_key: Mapped[str | None] = mapped_column(sa.String(80))
    uploaded_by: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reviewers.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    offer: Mapped[Offer] = relationship()
    item: Mapped[Item | None] = relationship()

    @property
    def is_image(self) -> bool:
        """True for images (which have a thumbnail)."""
        return self.content_type.startswith("image/")
