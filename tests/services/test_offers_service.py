"""The offers service: info responses re-evaluate, withdrawal, status document, status tokens."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeSerializer

from donations_app.api.schemas import load_offer
from donations_app.extensions import db
from donations_app.models import AuditEvent, Offer, OutboxMessage
from donations_app.services.offers import (
    find_offer_by_token,
    offer_result,
    respond_to_info_request,
    status_document,
    status_token,
    submit_offer,
    withdraw_offer,
)
from donations_app.services.workflow import TransitionError
from tests.api.bodies import item_body, offer_body

RADIO = item_body(category="radio", description="Handheld radios", voltage="100-240")


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def submit(*items):
    return submit_offer(load_offer(offer_body(items=list(items))))


def events(offer):
    return db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.offer_id == offer.id).order_by(AuditEvent.id)
    ).all()


def mails(offer):
    return db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.offer_id == offer.id)
    ).all()


def test_web_submission_is_audited_as_the_donor(ctx):
    offer = submit(item_body())
    (event,) = events(offer)
    assert (event.actor_type, event.actor_label) == ("donor", "pat@springfield.example.gov")
    assert offer.source == "web"
    assert offer_result(offer)["reference"] == offer.reference


def test_answering_an_info_request_re_evaluates_and_queues(ctx):
    offer = submit(RADIO, item_body())
    assert offer.status == "needs_info"
    result = offer_result(offer)
    assert [f["rule"] for f in result["items"][0]["findings"]] == ["DATA-SANITIZE"]

    fixed = load_offer(offer_body(items=[{**RADIO, "storage_sanitized": True}]))["items"][0]
    respond_to_info_request(offer, {0: fixed, 1: item_body(quantity=99)})

    db.session.expire_all()
    offer = db.session.get(Offer, offer.id)
    assert offer.status == "queued" and offer.outcome == "accepted"
    assert offer.queue.slug == "sbgs-desk"
    assert offer.items[0].storage_sanitized is True
    assert offer.items[1].quantity == 100  # only the flagged line may change
    assert [e.trigger for e in offer.evaluations] == ["submission", "info_response"]
    assert offer_result(offer)["items"][0]["findings"] == []
    last = events(offer)[-1]
    assert (last.action, last.from_status, last.to_status) == (
        "info_response",
        "needs_info",
        "queued",
    )
    assert last.visible_to_donor
    assert len(mails(offer)) == 2


def test_an_answer_that_still_lacks_information_keeps_asking(ctx):
    offer = submit(RADIO)
    respond_to_info_request(offer, {0: load_offer(offer_body(items=[RADIO]))["items"][0]})
    assert offer.status == "needs_info"
    assert len(offer.evaluations) == 2


def test_an_answer_that_makes_every_item_refused_rejects_the_offer(ctx):
    offer = submit(RADIO)
    refused = load_offer(offer_body(items=[{**RADIO, "voltage": "120"}]))["items"][0]
    respond_to_info_request(offer, {0: {**refused, "storage_sanitized": True}})
    assert offer.status == "rejected" and offer.outcome == "rejected"


def test_only_an_offer_waiting_for_information_takes_answers(ctx):
    offer = submit(item_body())
    with pytest.raises(TransitionError, match="not waiting for more information"):
        respond_to_info_request(offer, {0: item_body()})
    assert len(events(offer)) == 1


def test_withdrawal_is_audited_and_confirmed_once(ctx):
    offer = submit(item_body())
    withdraw_offer(offer, "  Items were sold at auction. ")
    assert offer.status == "withdrawn"
    last = events(offer)[-1]
    assert (last.action, last.reason, last.actor_type) == (
        "withdrawn",
        "Items were sold at auction.",
        "donor",
    )
    withdrawn = [m for m in mails(offer) if m.kind == "withdrawn"]
    assert len(withdrawn) == 1 and "sold at auction" in withdrawn[0].body_text
    with pytest.raises(TransitionError, match="already withdrawn"):
        withdraw_offer(offer)
    assert len(events(offer)) == 2


def test_status_document_shows_reviewer_decisions_and_the_donor_timeline(ctx):
    offer = submit(item_body(), item_body(category="vehicle", insignia_removed=True))
    offer.items[0].decision = "declined"
    offer.items[0].decision_reason = "Kits expire too soon for shipping."
    db.session.commit()
    document = status_document(offer)
    first, second = document["items"]
    assert (first["decision"], first["reason"]) == (
        "declined",
        "Kits expire too soon for shipping.",
    )
    assert (second["decision"], second["reason"]) == (None, None)
    assert document["queue"] == "logistics"
    assert [event["to_status"] for event in document["history"]] == ["queued"]


def test_status_tokens_are_signed(ctx, app):
    offer = submit(item_body())
    token = status_token(offer)
    assert find_offer_by_token(token).id == offer.id
    assert find_offer_by_token(token[:-2] + "xx") is None
    forged = URLSafeSerializer("another-secret", salt="offer-status").dumps(offer.public_id)
    assert find_offer_by_token(forged) is None
    unknown = URLSafeSerializer(app.config["SECRET_KEY"], salt="offer-status").dumps("nobody")
    assert find_offer_by_token(unknown) is None
