"""The approved-items manifest: every approved item of the decided offers for one recipient."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager

from donations_app.extensions import db
from donations_app.labels import category_label
from donations_app.models import Item, Offer, Reviewer
from donations_app.services.triage import format_time

COLUMNS = (
    "Reference",
    "Agency",
    "Agency city",
    "State",
    "Pickup ZIP",
    "Contact",
    "Contact e-mail",
    "Category",
    "Description",
    "Quantity",
    "Unit value (USD)",
    "Total value (USD)",
    "Serial numbers",
    "Manufacturer",
    "Model",
    "Decided by",
    "Decided at (UTC)",
)


def manifest_rows(recipient: str) -> Iterator[list[Any]]:
    """The approved items of decided offers for a recipient, oldest decision first."""
    decider = aliased(Reviewer)
    rows = db.session.execute(
        sa.select(Item, decider)
        .join(Item.offer)
        .outerjoin(decider, decider.id == Item.decided_by_id)
        .options(contains_eager(Item.offer))
        .where(
            Offer.recipient == recipient,
            Offer.status.in_(("approved", "partially_approved")),
            Item.decision == "approved",
        )
        .order_by(Item.decided_at, Offer.reference, Item.position)
    )
    for item, reviewer in rows:
        offer = item.offer
        total = (item.unit_value_usd or Decimal(0)) * item.quantity
        yield [
            offer.reference,
            offer.agency_name,
            offer.agency_city,
            offer.agency_state,
            offer.pickup_zip,
            offer.contact_name,
            offer.contact_email,
            category_label(item.category),
            item.description,
            item.quantity,
            item.unit_value_usd,
            total if item.unit_value_usd is not None else None,
            "; ".join(item.serial_numbers or []),
            item.manufacturer or "",
            item.model or "",
            reviewer.email if reviewer is not None else "",
            format_time(item.decided_at),
        ]
