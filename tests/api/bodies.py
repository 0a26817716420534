"""Request bodies for the API tests: a valid offer and ways to count what was stored."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import sqlalchemy as sa

from donations_app.clock import utctoday
from donations_app.extensions import db
from donations_app.models import AuditEvent, IdempotencyKey, Item, Offer, OutboxMessage

VALID_OFFER: dict[str, Any] = {
    "agency": {
        "name": "Springfield Police Department",
        "type": "municipal_police",
        "ori": "IL0840200",
        "state": "IL",
        "city": "Springfield",
    },
    "contact": {
        "name": "Pat Example",
        "title": "Quartermaster",
        "email": "pat@springfield.example.gov",
        "phone": "217-555-0100",
    },
    "recipient": "sbgs",
    "authority_confirmed": True,
    "pickup": {"zip": "62701", "available_from": (utctoday() + dt.timedelta(days=30)).isoformat()},
    "items": [
        {
            "category": "body_armor",
            "description": "Level IIIA vests, sizes M-XL",
            "quantity": 40,
            "condition": "good",
            "acquired_via": "own_funds",
            "protection_level": "IIIA",
            "expires_on": "2031-06-30",
            "damaged": False,
            "unit_value_usd": "350.00",
        },
        {
            "category": "medical",
            "description": "Individual first-aid kits",
            "quantity": 100,
            "condition": "new",
            "acquired_via": "donated_to_agency",
            "expires_on": "2031-01-31",
        },
    ],
}


def offer_body(**changes: Any) -> dict[str, Any]:
    """A fresh copy of the valid offer with top-level keys replaced."""
    body = copy.deepcopy(VALID_OFFER)
    body.update(copy.deepcopy(changes))
    return body


def item_body(**changes: Any) -> dict[str, Any]:
    """A valid, accepted-looking item line (a medical kit) with fields replaced."""
    line = copy.deepcopy(VALID_OFFER["items"][1])
    line.update(changes)
    return line


def stored_rows() -> dict[str, int]:
    """How many offers, items, audit events, e-mails and idempotency keys are stored."""
    return {
        model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Offer, Item, AuditEvent, OutboxMessage, IdempotencyKey)
    }
