"""Published guideline rule sets: every file of each version, and when each version was active."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from donations_app.clock import utcnow
from donations_app.models.base import Base, UTCDateTime


class StoredRuleSet(Base):
    """One version of the rules directory; its version is the hash of its files."""

    __tablename__ = "rule_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # Who stored it: a reviewer (set) or a command-line user / the app itself (label only).
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reviewers.id"))
    created_by: Mapped[str] = mapped_column(sa.String(254), nullable=False, default="")
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    files: Mapped[list[RuleSetFile]] = relationship(
        back_populates="rule_set", order_by="RuleSetFile.name", cascade="all, delete-orphan"
    )


class RuleSetFile(Base):
    """The text of one YAML file of a stored rule set."""

    __tablename__ = "rule_set_files"
    __table_args__ = (sa.UniqueConstraint("rule_set_id", "name", name="uq_rule_set_files_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_set_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rule_sets.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    content: Mapped[str] = mapped_column(sa.Text, nullable=False)

    rule_set: Mapped[StoredRuleSet] = relationship(back_populates="files")


class RuleSetActivation(Base):
    """A rule set became the active one; the newest activation is the one in force."""

    __tablename__ = "rule_set_activations"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_set_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rule_sets.id"), nullable=False, index=True
    )
    activated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    activated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reviewers.id"))
    activated_by: Mapped[str] = mapped_column(sa.String(254), nullable=False, default="")

    rule_set: Mapped[StoredRuleSet] = relationship()
