"""Item decisions: the offer status follows them, the donor is e-mailed, refusals write nothing,
and two reviewers deciding the same item never overwrite each other silently."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from donations_app.extensions import db
from donations_app.models import AuditEvent, ItemDecision, Offer, Reviewer
from donations_app.services import triage
from donations_app.services.notify import send_due_mail
from tests.conftest import mail_text
from tests.review.triage_support import (
    actions,
    decision_fields,
    item_ids,
    load_offer,
    open_offer,
    outbox,
    post_action,
)


@pytest.fixture
def claimed(app, client, reference, rita, auth):
    """The offer claimed by Rita, with Rita's client signed in."""
    auth.sign_in_as(rita)
    assert post_action(client, reference, "claim").status_code == 302
    return reference


def decide(client, reference, decisions, state=None):
    state = state or open_offer(client, reference)
    return post_action(
        client, reference, "decisions", decision_fields(state, decisions), state=state
    )


@pytest.mark.parametrize(
    ("armor", "cuffs", "status"),
    [
        ("approved", "approved", "approved"),
        ("approved", "declined", "partially_approved"),
        ("declined", "declined", "declined"),
    ],
)
def test_offer_status_follows_the_item_decisions(app, client, claimed, armor, cuffs, status):
    vest, handcuff, _rifle = item_ids(app, claimed)
    response = decide(
        client,
        claimed,
        {vest: (armor, "Not needed now"), handcuff: (cuffs, "Too many in stock already")},
    )
    assert response.status_code == 302
    offer = load_offer(app, claimed)
    assert offer.status == status
    assert offer.decided_at is not None
    assert [i.decision for i in offer.items] == [armor, cuffs, None]
    assert actions(app, claimed)[-3:] == ["item_decided", "item_decided", "decided"]
    [mail] = outbox(app, "item_decisions")
    assert mail.to_address == "pat.donor@springfield.example.gov"
    assert status.replace("_", " ") in mail.subject
    if cuffs == "declined":
        assert "Declined: Too many in stock already" in mail.body_text
    assert "Not accepted under the donation guidelines" in mail.body_text


def test_one_decision_keeps_the_offer_in_review_without_mail(app, client, claimed):
    vest, _handcuff, _rifle = item_ids(app, claimed)
    response = decide(client, claimed, {vest: ("approved", "")})
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "Approved by Rita Reviewer" in page.text
    offer = load_offer(app, claimed)
    assert offer.status == "in_review"
    assert offer.items[0].decided_by_id is not None
    assert outbox(app, "item_decisions") == []
    with app.app_context():
        assert db.session.query(ItemDecision).count() == 1


def test_a_decision_can_be_changed_before_the_offer_is_decided(app, client, claimed):
    vest, _handcuff, _rifle = item_ids(app, claimed)
    decide(client, claimed, {vest: ("approved", "")})
    response = decide(client, claimed, {vest: ("declined", "Plates are cracked")})
    assert response.status_code == 302
    offer = load_offer(app, claimed)
    assert (offer.items[0].decision, offer.items[0].decision_reason) == (
        "declined",
        "Plates are cracked",
    )
    with app.app_context():
        assert db.session.query(ItemDecision).count() == 2


def test_decline_needs_a_reason(app, client, claimed):
    vest, _handcuff, _rifle = item_ids(app, claimed)
    response = decide(client, claimed, {vest: ("declined", "  ")})
    assert response.status_code == 400
    assert "<title>Error: " in response.text
    assert "Enter the reason for declining item 1; the donor reads it." in response.text
    assert f'href="#item-{vest}-reason"' in response.text
    assert load_offer(app, claimed).items[0].decision is None
    assert "item_decided" not in actions(app, claimed)


def test_items_the_guidelines_rejected_cannot_be_decided(app, client, claimed):
    vest, _handcuff, rifle = item_ids(app, claimed)
    state = open_offer(client, claimed)
    assert rifle not in state["items"]  # the page offers no decision for it
    fields = decision_fields(state, {vest: ("approved", ""), rifle: ("approved", "")})
    fields[f"item-{rifle}-version"] = "1"
    response = post_action(client, claimed, "decisions", fields, state=state)
    assert response.status_code == 400
    assert "Item 3 was rejected by the guidelines and cannot be decided." in response.text
    offer = load_offer(app, claimed)
    assert [i.decision for i in offer.items] == [None, None, None]


def test_unknown_decision_value_is_bad_input(app, client, claimed):
    vest, _handcuff, _rifle = item_ids(app, claimed)
    response = decide(client, claimed, {vest: ("maybe", "")})
    assert response.status_code == 400
    assert "Choose approve or decline for item 1." in response.text


def test_saving_with_no_decision_chosen_is_bad_input(app, client, claimed):
    response = decide(client, claimed, {})
    assert response.status_code == 400
    assert "Choose approve or decline for at least one item." in response.text


def test_deciding_needs_the_offer_claimed_first(app, client, reference, rita, auth):
    auth.sign_in_as(rita)
    vest, _handcuff, _rifle = item_ids(app, reference)
    state = open_offer(client, reference)
    assert "Claim the offer to decide its items." in client.get(f"/review/offers/{reference}").text
    fields = {f"item-{vest}-decision": "approved", f"item-{vest}-version": "1"}
    response = post_action(client, reference, "decisions", fields, state=state)
    assert response.status_code == 409
    assert "Claim the offer before deciding its items" in response.text
    assert load_offer(app, reference).items[0].decision is None


def test_only_the_assignee_or_a_lead_may_decide(app, client, claimed, lena, auth, make_reviewer):
    vest, handcuff, _rifle = item_ids(app, claimed)
    omar = auth.sign_in_as(make_reviewer("omar@state.example.gov"), app.test_client())
    state = open_offer(omar, claimed)
    assert state["items"] == {}  # Omar's page shows no decision form
    state["offer_version"] = str(load_offer(app, claimed).version)
    fields = {f"item-{vest}-decision": "approved", f"item-{vest}-version": "1"}
    response = post_action(omar, claimed, "decisions", fields, state=state)
    assert response.status_code == 403
    assert "Only the assigned reviewer (Rita Reviewer" in response.text
    assert load_offer(app, claimed).items[0].decision is None
    # A lead may decide an offer someone else claimed.
    lead = auth.sign_in_as(lena, app.test_client())
    response = decide(lead, claimed, {handcuff: ("approved", "")})
    assert response.status_code == 302
    assert load_offer(app, claimed).items[1].decision == "approved"


def test_second_reviewer_with_a_stale_page_is_told_and_both_are_audited(
    app, client, claimed, lena, auth
):
    vest, _handcuff, _rifle = item_ids(app, claimed)
    lead = auth.sign_in_as(lena, app.test_client())
    rita_saw = open_offer(client, claimed)
    lena_saw = open_offer(lead, claimed)
    assert decide(lead, claimed, {vest: ("approved", "")}, state=lena_saw).status_code == 302

    response = decide(client, claimed, {vest: ("declined", "Expired labels")}, state=rita_saw)
    assert response.status_code == 409
    assert "Your change was not saved: someone changed this offer first" in response.text
    assert "Item 1 (Ballistic vests, level IIIA) was approved by Lena Lead" in response.text
    assert "Item 1: declined (Expired labels)" in response.text  # what Rita sent, not saved
    assert "Approved by Lena Lead" in response.text  # the current decision, on the page
    offer = load_offer(app, claimed)
    assert (offer.items[0].decision, offer.items[0].decision_reason) == ("approved", None)
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent).filter(
                AuditEvent.action.in_(["item_decided", "decision_conflict"])
            )
        ).all()
        assert [(e.action, e.actor_label) for e in events] == [
            ("item_decided", "lena@state.example.gov"),
            ("decision_conflict", "rita@state.example.gov"),
        ]
        assert events[1].data["not_saved"] == ["Item 1: declined (Expired labels)"]
        assert db.session.query(ItemDecision).count() == 1


def test_stale_item_version_alone_is_a_conflict(app, client, claimed):
    vest, _handcuff, _rifle = item_ids(app, claimed)
    state = open_offer(client, claimed)
    state["items"][vest] = str(int(state["items"][vest]) + 5)
    response = decide(client, claimed, {vest: ("approved", "")}, state=state)
    assert response.status_code == 409
    assert load_offer(app, claimed).items[0].decision is None
    assert actions(app, claimed)[-1] == "decision_conflict"


def _decide_in_thread(app, actor_id, reference, decision, versions, barrier, outcomes):
    """Decide item 1 in a thread of its own (own app context, session and connection)."""
    with app.test_request_context():
        offer = db.session.scalar(sa.select(Offer).filter_by(reference=reference))
        actor = db.session.get(Reviewer, actor_id)
        item = offer.items[0]
        try:
            triage.decide_item(
                offer,
                actor,
                item.id,
                decision,
                "Declined in a race" if decision == "declined" else "",
                offer_version=versions["offer"],
                item_version=versions["item"],
            )
            outcomes[actor_id] = "saved"
        except triage.TriageConflict as conflict:
            outcomes[actor_id] = conflict
        finally:
            db.session.remove()


def test_two_threads_racing_on_one_item_one_wins_one_is_told(app, claimed, rita, lena):
    """Both read the same versions and pass the check; the database lets one commit."""
    before = load_offer(app, claimed)
    versions = {"offer": before.version, "item": before.items[0].version}
    barrier = threading.Barrier(2, timeout=20)
    racing = set()

    def wait_for_the_other(session, flush_context, instances):
        # Hold each racer just before its first write until both have read and checked.
        thread = threading.current_thread()
        if thread in racing:
            racing.discard(thread)
            barrier.wait()

    outcomes: dict[int, object] = {}
    threads = [
        threading.Thread(
            target=_decide_in_thread,
            args=(app, actor, claimed, decision, versions, barrier, outcomes),
        )
        for actor, decision in ((rita.id, "declined"), (lena.id, "approved"))
    ]
    racing.update(threads)
    event.listen(Session, "before_flush", wait_for_the_other)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        event.remove(Session, "before_flush", wait_for_the_other)

    assert sorted(str(type(o).__name__) for o in outcomes.values()) == ["TriageConflict", "str"]
    winner = next(actor for actor, o in outcomes.items() if o == "saved")
    loser = next(actor for actor, o in outcomes.items() if o != "saved")
    offer = load_offer(app, claimed)
    assert offer.items[0].decision == ("declined" if winner == rita.id else "approved")
    assert offer.items[0].decided_by_id == winner
    assert any("Item 1" in change for change in outcomes[loser].changes)
    with app.app_context():
        assert db.session.query(ItemDecision).count() == 1
        events = db.session.scalars(
            sa.select(AuditEvent).filter(
                AuditEvent.action.in_(["item_decided", "decision_conflict"])
            )
        ).all()
        assert sorted((e.action, e.actor_id) for e in events) == sorted(
            [("item_decided", winner), ("decision_conflict", loser)]
        )


def test_decision_mail_reaches_a_real_smtp_server(smtp_server, app, client, claimed):
    vest, handcuff, _rifle = item_ids(app, claimed)
    decide(client, claimed, {vest: ("approved", ""), handcuff: ("declined", "Not on the list")})
    with app.app_context():
        sent, failed = send_due_mail()
    assert failed == 0 and sent >= 1
    messages = smtp_server.wait_for(sent)
    [decision] = [m for m in messages if m["Subject"].startswith("Decision on your donation")]
    assert decision["To"] == "pat.donor@springfield.example.gov"
    assert claimed in decision["Subject"]
    assert "Declined: Not on the list" in mail_text(decision)
