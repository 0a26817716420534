"""The offers service: info responses re-evaluate, withdrawal, status document, status tokens."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeSerializer

from donations_app.api.schemas import load_offer
from donations_app.extensions import db
from donations_app.models import AuditEvent, Draft, Offer, OutboxMessage, Reviewer, utcnow
from donations_app.services import triage
from donations_app.services.conversation import open_questions
from donations_app.services.offers import (
    DraftAlreadySubmitted,
    InvalidAnswer,
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
    assert (event.actor_type, event.actor_label) == ("donor", "")  # no address in the audit trail
    assert offer.source == "web"
    assert offer_result(offer)["reference"] == offer.reference


def test_answering_an_info_request_re_evaluates_and_queues(ctx):
    offer = submit(RADIO, item_body())
    assert offer.status == "needs_info"
    result = offer_result(offer)
    assert [f["rule"] for f in result["items"][0]["findings"]] == ["DATA-SANITIZE"]

    fixed, more = load_offer(
        offer_body(items=[{**RADIO, "storage_sanitized": True}, item_body(quantity=99)])
    )["items"]
    respond_to_info_request(offer, {0: fixed, 1: more})

    db.session.expire_all()
    offer = db.session.get(Offer, offer.id)
    assert offer.status == "queued" and offer.outcome == "accepted"
    assert offer.queue.slug == "sbgs-desk"
    assert offer.items[0].storage_sanitized is True
    assert offer.items[1].quantity == 99  # any undecided line may be corrected
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


@pytest.fixture
def rita(ctx, make_reviewer):
    """A reviewer account, loaded in the test's session."""
    return db.session.get(Reviewer, make_reviewer().id)


def asked(offer, reviewer, question="Which NIJ standard do the vests meet?"):
    """A reviewer sends a queued offer back to the donor with a question."""
    triage.request_info(offer, reviewer, question, offer_version=offer.version)
    return offer


def test_answering_a_reviewers_question_returns_the_offer_to_its_queue(ctx, rita):
    offer = asked(submit(item_body(), item_body(category="vehicle", insignia_removed=True)), rita)
    assert offer.status == "needs_info" and offer.queue.slug == "logistics"
    [question] = open_questions(offer)
    assert question.body == "Which NIJ standard do the vests meet?"

    respond_to_info_request(offer, {}, "  NIJ 0101.06, level IIIA.\r\nLabels attached. ")

    db.session.expire_all()
    offer = db.session.get(Offer, offer.id)
    assert offer.status == "queued" and offer.queue.slug == "logistics"
    assert [e.trigger for e in offer.evaluations] == ["submission"]  # not evaluated again
    last = events(offer)[-1]
    assert (last.action, last.from_status, last.to_status, last.actor_type) == (
        "info_response",
        "needs_info",
        "queued",
        "donor",
    )
    assert last.reason == "NIJ 0101.06, level IIIA.\nLabels attached." and last.visible_to_donor
    [ack] = [m for m in mails(offer) if m.kind == "info_response"]
    assert "NIJ 0101.06" in ack.body_text and "back in the queue of the INL team" in ack.body_text
    assert open_questions(offer) == []


def test_a_question_without_a_queue_goes_to_the_evaluated_queue(ctx, rita):
    offer = asked(submit(item_body(), item_body(category="vehicle", insignia_removed=True)), rita)
    offer.queue = None
    db.session.commit()
    respond_to_info_request(offer, {}, "Yes.")
    assert offer.status == "queued" and offer.queue.slug == "logistics"
    assert len(offer.evaluations) == 1


def test_a_reviewers_question_needs_a_clean_answer(ctx, rita):
    offer = asked(submit(item_body()), rita)
    for answer in ("   ", "bad\x00byte", "bell\x07", "x" * 2001):
        with pytest.raises(InvalidAnswer):
            respond_to_info_request(offer, {}, answer)
    assert offer.status == "needs_info"
    assert events(offer)[-1].action == "info_requested"


def test_only_the_latest_request_is_an_open_question(ctx, rita):
    offer = asked(submit(item_body()), rita, "First question?")
    respond_to_info_request(offer, {}, "First answer.")
    reviewer = db.session.scalar(sa.select(Reviewer))
    triage.request_info(offer, reviewer, "Second question?", offer_version=offer.version)
    assert [message.body for message in open_questions(offer)] == ["Second question?"]


def test_submitting_a_draft_twice_stores_one_offer(ctx):
    draft = Draft(email="", data={}, expires_at=utcnow())
    db.session.add(draft)
    db.session.commit()
    first = submit_offer(load_offer(offer_body()), draft_id=draft.id)
    with pytest.raises(DraftAlreadySubmitted) as refused:
        submit_offer(load_offer(offer_body()), draft_id=draft.id)
    assert refused.value.offer.id == first.id
    assert db.session.scalars(sa.select(Offer.id)).all() == [first.id]
    assert db.session.get(Draft, draft.id).submitted_offer_id == first.id
    assert [m.kind for m in db.session.scalars(sa.select(OutboxMessage))] == ["confirmation"]
