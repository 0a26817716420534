"""Stored rule evaluations of offers and the findings each one produced."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from donations_app.clock import utcnow
from donations_app.models.base import Base, JSONType, UTCDateTime, in_list
from donations_app.models.vocabulary import EVALUATION_TRIGGERS, ITEM_OUTCOMES, OFFER_OUTCOMES

if TYPE_CHECKING:
    from donations_app.models.offers import Offer


class Evaluation(Base):
    """One run of a rule set over an offer, kept for ever with the rule-set version that ran."""

    __tablename__ = "evaluations"
    __table_args__ = (
        sa.CheckConstraint(in_list("outcome", OFFER_OUTCOMES), name="outcome"),
        sa.CheckConstraint(in_list("trigger", EVALUATION_TRIGGERS), name="trigger"),
        sa.Index("ix_evaluations_offer_latest", "offer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("offers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    ruleset_version: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    as_of: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    outcome: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    queue_slug: Mapped[str | None] = mapped_column(sa.String(40))
    trigger: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    offer: Mapped[Offer] = relationship(back_populates="evaluations", foreign_keys=[offer_id])
    findings: Mapped[list[Finding]] = relationship(
        back_populates="evaluation", order_by="Finding.id", cascade="all, delete-orphan"
    )


class Finding(Base):
    """A rule that fired on an item, with the values its condition read."""

    __tablename__ = "findings"
    __table_args__ = (
        sa.CheckConstraint(in_list("outcome", ITEM_OUTCOMES), name="outcome"),
        sa.Index("ix_findings_rule_id", "rule_id"),
        sa.Index("ix_findings_rule_evaluation", "rule_id", "evaluation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("evaluations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False, index=True
    )
    rule_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    outcome: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    message: Mapped[str] = mapped_column(sa.Text, nullable=False)
    fix: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    reference: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    tags: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    values: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)

    evaluation: Mapped[Evaluation] = relationship(back_populates="findings")
