"""INL reviewers, their queues and sign-in backoff, per-item decisions and internal notes."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from donations_app.clock import utcnow
from donations_app.models.base import Base, UTCDateTime, in_list
from donations_app.models.vocabulary import ITEM_DECISIONS, ROLE_RANK, ROLES

queue_members = sa.Table(
    "queue_members",
    Base.metadata,
    sa.Column("reviewer_id", sa.ForeignKey("reviewers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("queue_id", sa.ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True),
)


class Queue(Base):
    """An INL reviewer queue; routing (rules/routing.yaml) names queues by slug."""

    __tablename__ = "queues"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    # No route of the active rule set leads here: hidden from choices, kept for its offers.
    retired: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false()
    )

    members: Mapped[list[Reviewer]] = relationship(secondary=queue_members, back_populates="queues")


class Reviewer(UserMixin, Base):
    """A signed-in INL user: reviewer, lead or admin."""

    __tablename__ = "reviewers"
    __table_args__ = (
        sa.CheckConstraint(in_list("role", ROLES), name="role"),
        sa.CheckConstraint("failed_logins >= 0", name="failed_logins_nonnegative"),
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    role: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="reviewer")
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    # Wrong passwords (and codes) since the last sign-in; from MAX_FAILED_LOGINS on, each one
    # makes the next attempt wait until `locked_until`.
    failed_logins: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Set when someone else chose the password (a one-time password): change it before anything.
    must_change_password: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    # Base32 TOTP secret once two-step sign-in is on; the last time step used is never reused.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_last_step: Mapped[int | None] = mapped_column(sa.Integer)
    # The nonce of the one unlock link that still works, and when it was e-mailed.
    unlock_nonce: Mapped[str | None] = mapped_column(sa.String(64))
    unlock_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Changing it invalidates every session of this reviewer (sign-out everywhere, password change).
    session_token: Mapped[str] = mapped_column(sa.String(64), nullable=False)

    queues: Mapped[list[Queue]] = relationship(secondary=queue_members, back_populates="members")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def has_role(self, role: str) -> bool:
        """Whether this account's role is `role` or ranks above it."""
        return ROLE_RANK.get(self.role, 0) >= ROLE_RANK[role]

    @property
    def is_lead(self) -> bool:
        return self.has_role("lead")

    @property
    def is_admin(self) -> bool:
        return self.has_role("admin")

    @property
    def totp_enabled(self) -> bool:
        """Whether sign-in asks this account for a code from an authenticator app."""
        return self.totp_secret is not None


class SignInBackoff(Base):
    """Failed sign-in attempts under one key that is not an account: a client address, or an
    e-mail address with no account (so that it is slowed down exactly like one that has).

    Keys are stored as SHA-256 hashes, never as the address itself.
    """

    __tablename__ = "sign_in_backoffs"
    __table_args__ = (sa.CheckConstraint("failures >= 0", name="failures_nonnegative"),)

    key_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    wait_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )


class ItemDecision(Base):
    """Every decision a reviewer took on an item; the item carries the current one."""

    __tablename__ = "item_decisions"
    __table_args__ = (sa.CheckConstraint(in_list("decision", ITEM_DECISIONS), name="decision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False, index=True
    )
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("reviewers.id"), nullable=False)
    decision: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    reviewer: Mapped[Reviewer] = relationship()


class Note(Base):
    """An internal note on an offer, visible to INL staff only."""

    __tablename__ = "notes"
    __table_args__ = (sa.CheckConstraint("length(body) >= 1", name="body_nonempty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("offers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("reviewers.id"), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    author: Mapped[Reviewer] = relationship()
