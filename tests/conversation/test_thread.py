"""The conversation on an offer through both pages: a reviewer's question keeps the assignee, the
donor's reply corrects an item (new evaluation, a diff for the reviewer, the assignee e-mailed),
read marks, plain messages both ways, reminders and stopping the wait."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from donations_app.extensions import db
from donations_app.models import Evaluation, Message, Offer
from donations_app.services.offers import status_token
from tests.conftest import AuthActions, csrf_token
from tests.review.triage_support import (
    actions,
    armor,
    load_offer,
    make_offer,
    open_offer,
    outbox,
    post_action,
)

QUESTION = "Which NIJ level do the vests meet? The model looks wrong."


class FormFields(HTMLParser):
    """The fields of one form (by id) as a browser would post them unchanged."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if self.inside and tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value") or ""
        if not self.inside or not a.get("name"):
            return
        name = a["name"] or ""
        if (tag == "input" and a.get("type") not in ("radio", "checkbox", "submit")) or (
            tag == "input" and "checked" in a
        ):
            self.fields[name] = a.get("value") or ""
        elif tag == "textarea":
            self._textarea, self.fields[name] = name, ""
        elif tag == "select":
            self._select = name
            self.fields.setdefault(name, "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data


def form_fields(html: str, form_id: str = "info-form") -> dict[str, str]:
    parser = FormFields(form_id)
    parser.feed(html)
    return parser.fields


def status_path(app: Flask, reference: str) -> str:
    with app.test_request_context():
        offer = db.session.query(Offer).filter_by(reference=reference).one()
        return "/status/" + status_token(offer)


def claimed_and_asked(app: Flask, auth: AuthActions) -> tuple[str, FlaskClient, int]:
    """An armor offer claimed by Rita, who then asks the donor a question."""
    reference = make_offer(app, [armor(), armor(description="Vest carriers")])
    rita = auth.make_reviewer("rita@state.example.gov", name="Rita")
    client = auth.sign_in_as(rita, app.test_client())
    assert post_action(client, reference, "claim").status_code == 302
    sent = post_action(client, reference, "request-info", {"info_message": QUESTION})
    assert sent.status_code == 302
    return reference, client, rita.id


def messages(app: Flask, reference: str) -> list[Message]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(Message).join(Offer).where(Offer.reference == reference).order_by(Message.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


def test_a_question_keeps_the_assignee_and_says_what_the_donor_can_do(
    app: Flask, auth: AuthActions
) -> None:
    reference, reviewer, rita = claimed_and_asked(app, auth)
    offer = load_offer(app, reference)
    assert offer.status == "needs_info" and offer.assignee_id == rita
    [question] = messages(app, reference)
    assert (question.kind, question.author_type, question.author_id) == (
        "question",
        "reviewer",
        rita,
    )
    [mail] = outbox(app, "info_requested")
    assert QUESTION in mail.body_text
    assert "write your answer to the reviewer" in mail.body_text
    assert "correct the details of an item" in mail.body_text and "2 items can be" in mail.body_text
    assert "withdraw the offer" in mail.body_text

    page = reviewer.get(f"/review/offers/{reference}")
    assert "Waiting for the donor since" in page.text
    assert "their reply goes back to Rita" in page.text
    assert "Send the donor a reminder" in page.text and "Stop waiting for the donor" in page.text
    # The reviewer's own list shows what waits for the donor.
    queues = reviewer.get("/review/")
    assert "Waiting for the donor" in queues.text and reference in queues.text


def test_the_donors_reply_corrects_an_item_and_goes_back_to_the_assignee(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    reference, reviewer, rita = claimed_and_asked(app, auth)
    path = status_path(app, reference)
    page = client.get(path)
    assert page.status_code == 200
    assert QUESTION in page.text and "INL reviewer" in page.text
    assert "rita@state.example.gov" not in page.text  # the donor never sees who
    assert page.text.count("data-correct-item=") == 2
    fields = form_fields(page.text)
    assert fields["items-0-model"] == "Alpha Elite"
    fields.update(
        {
            "answer": "Level IIIA; the model is the Alpha Elite II.",
            "items-0-model": "Alpha Elite II",
        }
    )
    with app.app_context():
        evaluations_before = db.session.query(Evaluation).count()

    sent = client.post(path + "/info", data=fields)
    assert sent.status_code == 302, sent.text

    offer = load_offer(app, reference)
    assert offer.status == "in_review" and offer.assignee_id == rita
    assert offer.items[0].model == "Alpha Elite II" and offer.items[1].model == "Alpha Elite"
    with app.app_context():
        assert db.session.query(Evaluation).count() == evaluations_before + 1
    reply = messages(app, reference)[-1]
    assert (reply.kind, reply.author_type, reply.read_at) == ("reply", "donor", None)
    assert reply.evaluation_id is not None
    assert reply.changes == [
        {
            "item_id": offer.items[0].id,
            "position": 0,
            "description": "Ballistic vests, level IIIA",
            "fields": [
                {
                    "field": "model",
                    "label": reply.changes[0]["fields"][0]["label"],
                    "before": "Alpha Elite",
                    "after": "Alpha Elite II",
                }
            ],
        }
    ]
    [notice] = outbox(app, "donor_replied")
    assert notice.to_address == "rita@state.example.gov"
    assert "Alpha Elite -> Alpha Elite II" in notice.body_text
    assert actions(app, reference)[-1] == "info_response"

    # The reviewer sees the reply marked new, the diff and both evaluations; then it is read.
    review = reviewer.get(f"/review/offers/{reference}")
    assert "(1 new)" in review.text and "data-unread" in review.text
    assert re.search(r"<del>Alpha Elite</del>.*<ins>Alpha Elite II</ins>", review.text, re.S)
    assert review.text.count("data-evaluation") == 2 and "The donor&#39;s answer" in review.text
    assert messages(app, reference)[-1].read_at is not None
    again = reviewer.get(f"/review/offers/{reference}")
    assert "data-unread" not in again.text and "(1 new)" not in again.text
    assert "messages_read" in actions(app, reference)


def test_a_reply_without_changes_and_words_is_refused_and_keeps_what_was_typed(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    reference, _, _ = claimed_and_asked(app, auth)
    path = status_path(app, reference)
    fields = form_fields(client.get(path).text)
    empty = client.post(path + "/info", data=fields)
    assert empty.status_code == 400 and "Write your message, or correct an item." in empty.text
    bad = dict(fields, answer="Fixed", **{"items-1-quantity": "0"})
    refused = client.post(path + "/info", data=bad)
    assert refused.status_code == 400
    assert ">Fixed</textarea>" in refused.text
    assert load_offer(app, reference).status == "needs_info"
    assert [m.kind for m in messages(app, reference)] == ["question"]


def test_a_reviewer_message_changes_nothing_and_the_donor_reads_it(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    reference = make_offer(app, [armor()])
    reviewer = app.test_client()
    auth.as_role(client=reviewer)
    empty = post_action(reviewer, reference, "messages", {"info_message": "  "})
    assert empty.status_code == 400 and "Enter the message for the donor." in empty.text
    sent = post_action(reviewer, reference, "messages", {"info_message": "We will call Monday."})
    assert sent.status_code == 302
    assert load_offer(app, reference).status == "queued"
    [mail] = outbox(app, "reviewer_message")
    assert "We will call Monday." in mail.body_text and "/status/" in mail.body_text
    path = status_path(app, reference)
    first = client.get(path)
    assert "We will call Monday." in first.text and "data-unread" in first.text
    assert "data-unread" not in client.get(path).text
    assert actions(app, reference)[-2:] == ["message_sent", "messages_read"]


def test_a_donor_message_in_review_reaches_the_assignee_only(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    reference = make_offer(app, [armor()])
    omar = auth.make_reviewer("omar@state.example.gov", name="Omar")
    reviewer = auth.sign_in_as(omar, app.test_client())
    post_action(reviewer, reference, "claim")
    auth.make_reviewer("other@state.example.gov", name="Other")
    path = status_path(app, reference)
    page = client.get(path)
    assert "data-correct-item" not in page.text  # corrections only when asked
    sent = client.post(
        path + "/info", data={"csrf_token": csrf_token(page.text), "answer": "Any news?"}
    )
    assert sent.status_code == 302
    assert load_offer(app, reference).status == "in_review"
    assert [m.to_address for m in outbox(app, "donor_replied")] == ["omar@state.example.gov"]
    assert actions(app, reference)[-1] == "donor_message"


def test_an_unassigned_question_reply_goes_to_the_queue_and_its_members(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    reference = make_offer(app, [armor()])
    queue = load_offer(app, reference).queue.slug
    member = auth.make_reviewer("member@state.example.gov", queues=(queue,))
    auth.make_reviewer("outsider@state.example.gov", queues=())
    auth.sign_in_as(member, client)
    post_action(client, reference, "request-info", {"info_message": QUESTION})
    donor = app.test_client()
    path = status_path(app, reference)
    fields = form_fields(donor.get(path).text)
    donor.post(path + "/info", data=dict(fields, answer="Level IIIA."))
    offer = load_offer(app, reference)
    assert offer.status == "queued" and offer.assignee_id is None
    assert [m.to_address for m in outbox(app, "donor_replied")] == ["member@state.example.gov"]


def test_reminders_and_stopping_the_wait_are_audited(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    reference, reviewer, rita = claimed_and_asked(app, auth)
    assert post_action(reviewer, reference, "remind").status_code == 302
    [reminder] = outbox(app, "info_reminder")
    assert QUESTION in reminder.body_text and "/status/" in reminder.body_text
    assert messages(app, reference)[-1].kind == "reminder"

    # Someone else (not the assignee, not a lead) may not.
    other = app.test_client()
    auth.as_role(client=other, email="other@state.example.gov")
    state = open_offer(other, reference)
    assert "Send the donor a reminder" not in other.get(f"/review/offers/{reference}").text
    state["offer_version"] = str(load_offer(app, reference).version)
    refused = post_action(other, reference, "remind", state=state)
    assert refused.status_code == 403

    missing = post_action(reviewer, reference, "stop-waiting", {"stop_reason": ""})
    assert missing.status_code == 400 and "Enter why you stop waiting" in missing.text
    stopped = post_action(
        reviewer, reference, "stop-waiting", {"stop_reason": "Found the label in the photos."}
    )
    assert stopped.status_code == 302
    offer = load_offer(app, reference)
    assert offer.status == "in_review" and offer.assignee_id == rita
    assert actions(app, reference)[-3:] == [
        "info_reminder_sent",
        "remind_conflict",
        "info_wait_ended",
    ] or ("info_wait_ended" in actions(app, reference))
    assert "Found the label in the photos." in client.get(status_path(app, reference)).text
    again = post_action(reviewer, reference, "remind")
    assert again.status_code == 409  # nothing to wait for any more
