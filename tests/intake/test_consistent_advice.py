"""The donor reads one consistent piece of advice per item on every page (guidelines/advice.py)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from donations_app.extensions import db
from donations_app.guidelines.advice import AFTER_SUBMISSION, ALL_REFUSED
from donations_app.models import Offer
from tests.intake.helpers import offer_answers, post_offer
from tests.intake.test_offer_journey import status_path, submit

# Rifle plates whose warranty ends too soon: refused, and export-controlled (ITAR) as well.
SHORT_WARRANTY_PLATES = {
    "items-0-description": "Rifle plates",
    "items-0-protection_level": "IV",
    "items-0-expires_on": "2000-01-01",
}
PISTOLS = {
    "items-0-category": "firearm",
    "items-0-description": "Pistols",
    "items-0-protection_level": None,
    "items-0-expires_on": None,
    "items-0-damaged": None,
}
REVIEW_ADVICE = ("specialist will review", "No action needed", "export license")


def test_the_start_page_does_not_offer_what_is_always_refused(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    offerable = page.split("What you can offer", 1)[1].split("</ul>", 1)[0]
    assert "Body armor (vests, plates)" in offerable
    for refused in ("Firearms", "Ammunition", "Weapon sights"):
        assert refused not in offerable
    assert "Firearms and ammunition cannot be donated" in page


def test_check_answers_warns_when_every_item_is_refused(client: FlaskClient) -> None:
    post_offer(client, offer_answers(**PISTOLS))
    page = client.get("/offer/check").get_data(as_text=True)
    assert "data-all-refused" in page and ALL_REFUSED in page
    # Before submitting the donor can still remove the item: the fix says so.
    assert "Remove this item from the offer" in page

    post_offer(client, offer_answers())
    assert "data-all-refused" not in client.get("/offer/check").get_data(as_text=True)


def test_a_refused_item_shows_no_review_advice_before_or_after_submission(
    client: FlaskClient,
) -> None:
    post_offer(client, offer_answers(**SHORT_WARRANTY_PLATES))
    check = client.get("/offer/check").get_data(as_text=True)
    assert 'data-advice-tag="reject"' in check and 'data-finding="ARMOR-WARRANTY"' in check
    assert 'data-finding="EXPORT-ARMOR-ITAR"' not in check
    for text in REVIEW_ADVICE:
        assert text not in check

    confirmation = submit(client, offer_answers(**SHORT_WARRANTY_PLATES))
    status = client.get(status_path(confirmation)).get_data(as_text=True)
    for page in (confirmation, status):
        assert 'data-finding="EXPORT-ARMOR-ITAR"' not in page
        for text in REVIEW_ADVICE:
            assert text not in page
        # After submission the donor cannot remove an item: no page tells them to.
        assert "Offer armor whose label" not in page and "Remove" not in page
        assert AFTER_SUBMISSION["reject"] in page
        assert "Guideline: Armor needs at least six months of warranty left" in page


def test_a_declined_item_shows_the_decision_not_a_green_tag(
    app: Flask, client: FlaskClient
) -> None:
    confirmation = submit(client, offer_answers())
    with app.app_context():
        offer = db.session.query(Offer).one()
        offer.status = "declined"
        offer.items[0].decision = "declined"
        offer.items[0].decision_reason = "The NPU has enough vests."
        db.session.commit()
    page = client.get(status_path(confirmation)).get_data(as_text=True)
    assert 'data-advice-tag="declined"' in page and "Declined by INL" in page
    assert "Meets the guidelines" not in page and "Needs a specialist review" not in page
    assert "The NPU has enough vests." in page


def test_the_information_fix_is_shown_where_the_donor_can_correct_it(client: FlaskClient) -> None:
    answers = offer_answers(**{"items-0-protection_level": ""})
    confirmation = submit(client, answers)
    assert "Add the NIJ protection level" in confirmation
    page = client.get(status_path(confirmation)).get_data(as_text=True)
    assert "Correct the items we asked about" in page
    assert "Add the NIJ protection level" in page
    assert AFTER_SUBMISSION["info"] not in page
