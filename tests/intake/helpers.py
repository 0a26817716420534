"""Shared helpers of the donor-journey tests: a page's CSRF token and a valid set of answers."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.conftest import csrf_token


def page_token(client: FlaskClient, url: str) -> str:
    """GET a page and return its CSRF token."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return csrf_token(response.get_data(as_text=True))


def offer_answers(**overrides: Any) -> dict[str, Any]:
    """Form fields of a valid offer with one body-armor item (reviewed for export control)."""
    answers: dict[str, Any] = {
        "agency-name": "Springfield Police Department",
        "agency-type": "municipal_police",
        "agency-ori": "IL0840200",
        "agency-state": "IL",
        "agency-city": "Springfield",
        "contact-name": "Jordan Smith",
        "contact-title": "Quartermaster",
        "contact-email": "j.smith@springfield-il.gov",
        "contact-phone": "217-555-0100",
        "recipient": "npu",
        "authority_confirmed": "y",
        "pickup-zip": "62704",
        "pickup-available_from": "",
        "items-0-category": "body_armor",
        "items-0-description": "Patrol vests, level IIIA",
        "items-0-quantity": "25",
        "items-0-condition": "good",
        "items-0-acquired_via": "own_funds",
        "items-0-protection_level": "IIIA",
        "items-0-expires_on": "2031-05-01",
        "items-0-damaged": "no",
    }
    answers.update(overrides)
    return {key: value for key, value in answers.items() if value is not None}


def medical_item(index: int, **overrides: Any) -> dict[str, Any]:
    """Form fields of a first-aid item line without its expiry date (the rules ask for it)."""
    fields = {
        "category": "medical",
        "description": "Individual first-aid kits",
        "quantity": "40",
        "condition": "new",
        "acquired_via": "own_funds",
    }
    fields.update(overrides)
    return {f"items-{index}-{name}": value for name, value in fields.items()}


def post_offer(client: FlaskClient, data: dict[str, Any], **kwargs: Any) -> Any:
    """POST the offer form with a fresh CSRF token."""
    token = page_token(client, "/offer")
    return client.post("/offer", data={"csrf_token": token, **data}, **kwargs)
