"""What a fault left in the database: every stored offer must be whole."""

from __future__ import annotations

import sqlalchemy as sa

from donations_app.extensions import db
from donations_app.models import (
    AuditEvent,
    Evaluation,
    IdempotencyKey,
    Item,
    Offer,
    OutboxMessage,
)


def _count(*where: sa.ColumnElement[bool]) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(*where)) or 0


def complete_offers() -> dict[str, dict]:
    """reference -> what is stored for the offer; fails on an offer stored without any of its
    parts (items as many as its "submitted" event counted, an evaluation, the event, its
    confirmation e-mail) and on rows that belong to no offer."""
    stored = {}
    for offer in db.session.scalars(sa.select(Offer)):
        submitted = db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.offer_id == offer.id, AuditEvent.action == "submitted"
            )
        ).all()
        parts = {
            "items": _count(Item.offer_id == offer.id),
            "evaluations": _count(Evaluation.offer_id == offer.id),
            "submitted": len(submitted),
            "mail": _count(OutboxMessage.offer_id == offer.id),
            "key": db.session.scalar(
                sa.select(IdempotencyKey.key).where(IdempotencyKey.offer_id == offer.id)
            ),
        }
        assert parts["submitted"] == 1, (offer.reference, parts)
        assert parts["items"] == submitted[0].data["items"] >= 1, (offer.reference, parts)
        assert parts["evaluations"] == 1 and parts["mail"] == 1, (offer.reference, parts)
        stored[offer.reference] = parts
    assert _count(IdempotencyKey.offer_id.is_(None)) == 0, "a key claimed without its offer"
    assert _count(Item.id.isnot(None)) == sum(parts["items"] for parts in stored.values())
    assert _count(OutboxMessage.offer_id.isnot(None)) == len(stored)
    return stored
