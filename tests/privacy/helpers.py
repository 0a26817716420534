"""Offers for the privacy tests, submitted through the API and withdrawn through the service."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from donations_app.extensions import db
from donations_app.models import Offer
from donations_app.services.offers import withdraw_offer
from tests.api.bodies import offer_body

CONTACT = "pat@springfield.example.gov"


def submit(client: FlaskClient, email: str = CONTACT) -> tuple[str, str]:
    """Submit an offer through the API: (reference, path of its status link)."""
    body = offer_body()
    body["contact"]["email"] = email
    response = client.post("/api/v1/offers", json=body)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    return answer["reference"], urlsplit(answer["status_url"]).path


def load(app: Flask, reference: str) -> Offer:
    with app.app_context():
        offer = db.session.scalar(sa.select(Offer).where(Offer.reference == reference))
        assert offer is not None
        db.session.expunge(offer)
        return offer


def withdraw(app: Flask, reference: str) -> None:
    """Move the offer to a final status (withdrawn, at the donor's request)."""
    with app.test_request_context():
        offer = db.session.scalar(sa.select(Offer).where(Offer.reference == reference))
        withdraw_offer(offer, "no longer available")
