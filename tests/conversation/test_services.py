"""The conversation's services: who hears of a donor's reply when nobody handles the offer yet,
and a contact's data export holding the conversation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from donations_app.api.schemas import load_offer
from donations_app.extensions import db
from donations_app.models import Message, OutboxMessage, Reviewer
from donations_app.services import personal_data, triage
from donations_app.services.offers import respond_to_info_request, submit_offer
from tests.api.bodies import item_body, offer_body

RADIO = item_body(category="radio", description="Handheld radios", voltage="100-240")


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def kinds(offer_id: int) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage.kind)
            .where(OutboxMessage.offer_id == offer_id)
            .order_by(OutboxMessage.id)
        )
    )


def test_a_reply_to_the_rules_without_a_queue_notifies_nobody(ctx, make_reviewer):
    make_reviewer("rita@state.example.gov")  # works every queue, yet the offer has none
    offer = submit_offer(load_offer(offer_body(items=[RADIO])))
    assert offer.status == "needs_info" and offer.queue is None
    fixed = load_offer(offer_body(items=[{**RADIO, "storage_sanitized": True}]))["items"][0]
    respond_to_info_request(offer, {0: fixed})
    assert offer.status == "queued" and offer.assignee_id is None
    assert "donor_replied" not in kinds(offer.id)
    [reply] = db.session.scalars(sa.select(Message).where(Message.offer_id == offer.id)).all()
    assert [f["field"] for f in reply.changes[0]["fields"]] == ["storage_sanitized"]
    assert reply.changes[0]["fields"][0]["after"] == "Yes"


def test_the_export_holds_the_conversation(ctx, make_reviewer):
    rita = db.session.get(Reviewer, make_reviewer("rita@state.example.gov").id)
    offer = submit_offer(load_offer(offer_body(items=[item_body()])))
    triage.request_info(offer, rita, "Which NIJ level?", offer_version=offer.version)
    respond_to_info_request(offer, {}, "Level IIIA.")
    document = personal_data.export(rita, reference=offer.reference)
    [exported] = document["offers"]
    assert [(m["kind"], m["body"]) for m in exported["conversation"]] == [
        ("question", "Which NIJ level?"),
        ("reply", "Level IIIA."),
    ]
