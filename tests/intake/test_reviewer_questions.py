"""A reviewer's question answered on the donor's status page, and donor actions that race a
reviewer (the offer changes between loading it and saving the donor's change)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from donations_app.extensions import db
from donations_app.intake import status_views
from donations_app.mail_format import quote
from donations_app.models import AuditEvent, Evaluation, Offer
from donations_app.services.offers import status_token
from tests.conftest import AuthActions, csrf_token
from tests.review.triage_support import (
    actions,
    armor,
    load_offer,
    make_offer,
    outbox,
    post_action,
)

QUESTION = "Please send the NIJ certificate number of each vest.\nOne per line is fine."
ANSWER = "NIJ 0101.06 certificate 2019-123.\nAll vests share the same certificate."


def status_path(app: Flask, reference: str) -> str:
    with app.test_request_context():
        offer = db.session.query(Offer).filter_by(reference=reference).one()
        return "/status/" + status_token(offer)


def asked(app: Flask, auth: AuthActions, question: str = QUESTION) -> str:
    """An offer in the export-control queue that a reviewer sent back with a question."""
    reference = make_offer(app, [armor()])
    reviewer = app.test_client()
    auth.as_role(client=reviewer)
    response = post_action(reviewer, reference, "request-info", {"info_message": question})
    assert response.status_code == 302
    assert load_offer(app, reference).status == "needs_info"
    return reference


def evaluations(app: Flask) -> int:
    with app.app_context():
        return db.session.query(Evaluation).count()


def test_the_donor_answers_a_reviewers_question(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    reference = asked(app, auth)
    queue_before = load_offer(app, reference).queue.slug
    evaluations_before = evaluations(app)
    path = status_path(app, reference)

    page = client.get(path)
    assert page.status_code == 200
    assert "The reviewer&#39;s question" in page.text
    assert "Please send the NIJ certificate number of each vest." in page.text
    assert 'name="answer"' in page.text and "Your message" in page.text
    assert "Correct the items we asked about" not in page.text
    assert "Correct item 1: Ballistic vests, level IIIA" in page.text  # closed, correctable

    # The answer is required.
    empty = client.post(path + "/info", data={"csrf_token": csrf_token(page.text), "answer": " "})
    assert empty.status_code == 400
    assert "<title>Error: " in empty.text and 'href="#answer"' in empty.text
    assert "Write your message, or correct an item." in empty.text
    assert load_offer(app, reference).status == "needs_info"

    sent = client.post(path + "/info", data={"csrf_token": csrf_token(page.text), "answer": ANSWER})
    assert sent.status_code == 302

    offer = load_offer(app, reference)
    assert offer.status == "queued" and offer.queue.slug == queue_before
    assert evaluations(app) == evaluations_before  # the rules did not run again
    assert actions(app, reference)[-3:] == ["info_requested", "messages_read", "info_response"]
    with app.app_context():
        event = db.session.scalars(
            sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)
        ).one()
        assert event.visible_to_donor and event.actor_type == "donor"
        assert (event.from_status, event.to_status) == ("needs_info", "queued")
        assert event.reason == ANSWER
    [mail] = outbox(app, "info_response")
    assert mail.to_address == "pat.donor@springfield.example.gov"
    assert "We received your answer" in mail.subject and quote(ANSWER) in mail.body_text

    after = client.get(path)
    assert "Waiting for review" in after.text
    assert "data-correct-item" not in after.text  # items are corrected only when asked
    assert "Write to the reviewers about this offer" in after.text
    assert "All vests share the same certificate." in after.text  # in the history

    # The reviewer reads the answer on the offer page.
    reviewer = auth.sign_in_as(auth.make_reviewer("omar@state.example.gov"), app.test_client())
    review_page = reviewer.get(f"/review/offers/{reference}")
    assert "All vests share the same certificate." in review_page.text


def test_an_answer_with_control_characters_or_too_long_is_refused(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    reference = asked(app, auth)
    path = status_path(app, reference)
    token = csrf_token(client.get(path).text)
    for answer, message in (
        ("Certificate\x00 2019-123", "Remove the control characters"),
        ("x" * 2001, "Enter 2,000 characters or fewer"),
    ):
        response = client.post(path + "/info", data={"csrf_token": token, "answer": answer})
        assert response.status_code == 400
        assert message in response.text
    # 2,400 characters as the browser sends them, 1,999 once each \r\n counts as one line break.
    long_but_fine = "line\r\n" * 400
    response = client.post(path + "/info", data={"csrf_token": token, "answer": long_but_fine})
    assert response.status_code == 302
    assert actions(app, reference).count("info_response") == 1


def test_item_lines_cannot_be_posted_for_a_question_without_flagged_items(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    reference = asked(app, auth)
    path = status_path(app, reference)
    token = csrf_token(client.get(path).text)
    response = client.post(
        path + "/info",
        data={"csrf_token": token, "answer": ANSWER, "items-0-position": "0"},
    )
    assert response.status_code == 400
    assert load_offer(app, reference).status == "needs_info"


def bump_version_elsewhere(app: Flask, reference: str) -> None:
    """Commit a change to the offer from another connection (a reviewer, another tab)."""
    with db.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE offers SET version = version + 1 WHERE reference = :reference"),
            {"reference": reference},
        )


def test_an_answer_racing_another_change_is_409_and_saves_nothing(
    app: Flask, client: FlaskClient, monkeypatch, auth: AuthActions
) -> None:
    reference = asked(app, auth)
    path = status_path(app, reference)
    token = csrf_token(client.get(path).text)
    real = status_views.respond_to_info_request

    def after_a_concurrent_change(offer, items, answer="", **upload):
        bump_version_elsewhere(app, reference)
        return real(offer, items, answer, **upload)

    monkeypatch.setattr(status_views, "respond_to_info_request", after_a_concurrent_change)
    response = client.post(path + "/info", data={"csrf_token": token, "answer": ANSWER})
    assert response.status_code == 409
    assert "This offer changed while you were answering: check it and send again." in (
        response.text
    )
    assert "The reviewer&#39;s question" in response.text
    assert "All vests share the same certificate.</textarea>" in response.text  # kept
    assert load_offer(app, reference).status == "needs_info"
    assert "info_response" not in actions(app, reference)
    assert outbox(app, "info_response") == []


def test_a_withdrawal_racing_a_reviewer_is_409_and_saves_nothing(
    app: Flask, client: FlaskClient, monkeypatch
) -> None:
    reference = make_offer(app, [armor()])
    path = status_path(app, reference)
    token = csrf_token(client.get(path + "/withdraw").text)
    real = status_views.withdraw_offer

    def after_a_reviewer_claims(offer, reason=""):
        bump_version_elsewhere(app, reference)
        return real(offer, reason)

    monkeypatch.setattr(status_views, "withdraw_offer", after_a_reviewer_claims)
    response = client.post(path + "/withdraw", data={"csrf_token": token, "reason": "Sold"})
    assert response.status_code == 409
    assert "This offer changed while you were answering: check it and send again." in (
        response.text
    )
    assert "Waiting for review" in response.text and "Withdraw this offer" in response.text
    assert load_offer(app, reference).status == "queued"
    assert "withdrawn" not in actions(app, reference)
    assert outbox(app, "withdrawn") == []
