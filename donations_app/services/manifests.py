"""The approved-items manifest: every approved item of the decided offers for one recipient.

A row carries what a receiving unit needs to collect and check the item: the agency and how to
reach its contact (e-mail and phone), where and from when to collect it, what it is (category,
description, condition, protection level, warranty or expiry date, serials) and who approved it
when. Values keep their types (numbers, dates, UTC timestamps) so that each file format can
write them as such; labels, never codes, for the catalog's answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager

from donations_app.extensions import db
from donations_app.labels import category_label, condition_label
from donations_app.models import Item, Offer, Reviewer
from donations_app.services.rules import active_ruleset

COLUMNS = (
    "Reference",
    "Agency",
    "Agency city",
    "State",
    "Pickup ZIP",
    "Available from",
    "Contact",
    "Contact e-mail",
    "Contact phone",
    "Category",
    "Description",
    "Condition",
    "Protection level",
    "Warranty or expiry date",
    "Quantity",
    "Unit value (USD)",
    "Total value (USD)",
    "Serial numbers",
    "Manufacturer",
    "Model",
    "Decided by",
    "Decided at (UTC)",
)


# The columns holding a date, and a UTC date and time, for the file formats that type them.
DATE_COLUMNS = ("Available from", "Warranty or expiry date")
TIME_COLUMNS = ("Decided at (UTC)",)


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    """A naive UTC timestamp to the second (spreadsheets have no time zones)."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def _manifest_conditions(recipient: str) -> tuple[Any, ...]:
    return (
        Offer.recipient == recipient,
        Offer.status.in_(("approved", "partially_approved")),
        Item.decision == "approved",
    )


def manifest_row_count(recipient: str, cap: int | None = None) -> int:
    """How many rows the recipient's manifest has; with a cap, counting stops at cap + 1."""
    matching = sa.select(Item.id).join(Item.offer).where(*_manifest_conditions(recipient))
    if cap is not None:
        matching = matching.limit(cap + 1)
    return db.session.execute(
        sa.select(sa.func.count()).select_from(matching.subquery())
    ).scalar_one()


def manifest_rows(recipient: str) -> Iterator[list[Any]]:
    """The approved items of decided offers for a recipient, oldest decision first."""
    protection = active_ruleset().catalog.field("protection_level")
    decider = aliased(Reviewer)
    rows = db.session.execute(
        sa.select(Item, decider)
        .join(Item.offer)
        .outerjoin(decider, decider.id == Item.decided_by_id)
        .options(contains_eager(Item.offer))
        .where(*_manifest_conditions(recipient))
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
            offer.pickup_available_from,
            offer.contact_name,
            offer.contact_email,
            offer.contact_phone or "",
            category_label(item.category),
            item.description,
            condition_label(item.condition),
            protection.label_of(item.protection_level) if item.protection_level else "",
            item.expires_on,
            item.quantity,
            item.unit_value_usd,
            total if item.unit_value_usd is not None else None,
            "; ".join(item.serial_numbers or []),
            item.manufacturer or "",
            item.model or "",
            reviewer.email if reviewer is not None else "",
            _utc(item.decided_at),
        ]
