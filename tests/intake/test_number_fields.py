"""Whole numbers posted by forms ("remove item N", an info answer's item position): digits that
int() refuses ("²", thousands of digits) are a 400, never a 500, and change nothing."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from donations_app.extensions import db
from donations_app.models import Offer
from donations_app.services.offers import status_token, submit_offer
from tests.conftest import csrf_token
from tests.intake.helpers import medical_item, offer_answers, post_offer
from tests.review.triage_support import offer_data

BAD_NUMBERS = ["²", "9" * 5000, "-1", "1.0", "7"]


@pytest.mark.parametrize(
    "remove", BAD_NUMBERS, ids=["superscript", "5000-digits", *BAD_NUMBERS[2:]]
)
def test_removing_an_item_by_a_bad_number_is_400(client: FlaskClient, remove: str) -> None:
    response = post_offer(client, {**offer_answers(**medical_item(1)), "remove": remove})
    assert response.status_code == 400
    assert "does not match the item lines" in response.text


def test_removing_an_item_by_its_number_still_works(client: FlaskClient) -> None:
    response = post_offer(client, {**offer_answers(**medical_item(1)), "remove": "1"})
    assert response.status_code == 200
    assert 'name="items-1-category"' not in response.text


def first_aid_without_expiry() -> dict:
    return {
        "category": "medical",
        "description": "Individual first-aid kits",
        "quantity": 40,
        "condition": "new",
        "acquired_via": "own_funds",
    }


@pytest.mark.parametrize(
    "position", BAD_NUMBERS, ids=["superscript", "5000-digits", *BAD_NUMBERS[2:]]
)
def test_an_info_answer_for_a_bad_item_position_is_400(
    app: Flask, client: FlaskClient, position: str
) -> None:
    with app.test_request_context():
        offer = submit_offer(offer_data([first_aid_without_expiry()]), source="web")
        assert offer.status == "needs_info" and offer.items[0].outcome == "info"
        path = "/status/" + status_token(offer)
    token = csrf_token(client.get(path).text)
    fields = {f"items-0-{k}": str(v) for k, v in first_aid_without_expiry().items()}
    response = client.post(
        path + "/info",
        data={
            "csrf_token": token,
            **fields,
            "items-0-expires_on": "2031-01-31",
            "items-0-position": position,
        },
    )
    assert response.status_code == 400
    assert "The form does not match this offer" in response.text
    with app.app_context():
        assert db.session.query(Offer).one().status == "needs_info"
