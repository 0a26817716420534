"""Builders shared by the offer page, triage, decision and export tests: offers submitted through
services.offers, posting the offer page's forms, and reading back what was stored."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from donations_app.extensions import db
from donations_app.models import AuditEvent, Offer, OutboxMessage
from donations_app.services.offers import submit_offer


def armor(**fields: Any) -> dict[str, Any]:
    """Body armor that a specialist must clear (EXPORT-ARMOR-EAR)."""
    today = dt.datetime.now(dt.UTC).date()
    line = {
        "category": "body_armor",
        "description": "Ballistic vests, level IIIA",
        "quantity": 10,
        "condition": "good",
        "acquired_via": "own_funds",
        "protection_level": "IIIA",
        "expires_on": today.replace(year=today.year + 3),
        "unit_value_usd": Decimal("300.00"),
        "serial_numbers": ["PB-1001", "PB-1002"],
        "manufacturer": "Point Blank",
        "model": "Alpha Elite",
    }
    line.update(fields)
    return line


def handcuffs(**fields: Any) -> dict[str, Any]:
    """Restraints (EXPORT-CRIME-CONTROL: review)."""
    line = {
        "category": "restraints",
        "description": "Hinged handcuffs",
        "quantity": 50,
        "condition": "new",
        "acquired_via": "own_funds",
        "unit_value_usd": Decimal("25.50"),
    }
    line.update(fields)
    return line


def rifle() -> dict[str, Any]:
    """A firearm: the guidelines reject it (ARMS), so no reviewer decides it."""
    return {
        "category": "firearm",
        "description": "Patrol rifle",
        "quantity": 1,
        "condition": "good",
        "acquired_via": "own_funds",
    }


def offer_data(items: list[dict[str, Any]] | None = None, recipient: str = "sbgs") -> dict:
    """A validated offer as services.offers.submit_offer takes it."""
    return {
        "agency": {
            "name": "Springfield Police Department",
            "type": "municipal_police",
            "state": "IL",
            "city": "Springfield",
        },
        "contact": {
            "name": "Pat Donor",
            "title": "Quartermaster",
            "email": "pat.donor@springfield.example.gov",
        },
        "recipient": recipient,
        "authority_confirmed": True,
        "pickup": {"zip": "62701"},
        "items": items if items is not None else [armor(), handcuffs(), rifle()],
    }


def make_offer(
    app: Flask, items: list[dict[str, Any]] | None = None, recipient: str = "sbgs"
) -> str:
    """Submit an offer as a donor would and return its reference."""
    with app.test_request_context():
        offer = submit_offer(offer_data(items, recipient), source="web")
        return offer.reference


def page_state(html: str) -> dict[str, Any]:
    """The CSRF token, offer version and item versions the offer page shows."""
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)
    version = re.search(r'name="offer_version" value="(\d+)"', html)
    items = {int(i): v for i, v in re.findall(r'name="item-(\d+)-version" value="(\d+)"', html)}
    return {
        "csrf_token": csrf.group(1) if csrf else "",
        "offer_version": version.group(1) if version else "",
        "items": items,
    }


def open_offer(client: FlaskClient, reference: str) -> dict[str, Any]:
    """GET the offer page (it must answer 200) and return its form state."""
    response = client.get(f"/review/offers/{reference}")
    assert response.status_code == 200, response.text
    return page_state(response.text)


def post_action(
    client: FlaskClient,
    reference: str,
    action: str,
    fields: dict[str, Any] | None = None,
    state: dict[str, Any] | None = None,
):
    """POST one of the offer page's forms with the versions of `state` (default: fresh page)."""
    state = state or open_offer(client, reference)
    data = {"csrf_token": state["csrf_token"], "offer_version": state["offer_version"]}
    data.update(fields or {})
    return client.post(f"/review/offers/{reference}/{action}", data=data)


def decision_fields(state: dict[str, Any], decisions: dict[int, tuple[str, str]]) -> dict:
    """Form fields deciding items by id: {item_id: (decision, reason)}, with every item version."""
    fields: dict[str, Any] = {f"item-{i}-version": v for i, v in state["items"].items()}
    for item_id, (decision, reason) in decisions.items():
        fields[f"item-{item_id}-decision"] = decision
        fields[f"item-{item_id}-reason"] = reason
    return fields


def load_offer(app: Flask, reference: str) -> Offer:
    """The offer as stored now, with items loaded (detached from any session)."""
    with app.app_context():
        offer = db.session.query(Offer).filter_by(reference=reference).one()
        _ = [item.decision for item in offer.items], offer.assignee, offer.queue
        db.session.expunge_all()
        return offer


def item_ids(app: Flask, reference: str) -> list[int]:
    """Item ids in position order."""
    return [item.id for item in load_offer(app, reference).items]


def actions(app: Flask, reference: str) -> list[str]:
    """Audit actions recorded on the offer, oldest first."""
    with app.app_context():
        return [
            e.action
            for e in db.session.query(AuditEvent)
            .join(Offer)
            .filter(Offer.reference == reference)
            .order_by(AuditEvent.id)
        ]


def outbox(app: Flask, kind: str | None = None) -> list[OutboxMessage]:
    """Outbox rows, optionally of one kind, oldest first (detached)."""
    with app.app_context():
        query = db.session.query(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            query = query.filter_by(kind=kind)
        rows = query.all()
        db.session.expunge_all()
        return rows
