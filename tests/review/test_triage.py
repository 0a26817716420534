"""Offer-level actions on the offer page: claim, assign, release, ask the donor, move, notes."""

from __future__ import annotations

from donations_app.extensions import db
from donations_app.models import Note, Offer
from donations_app.services.offers import status_url
from tests.conftest import csrf_token
from tests.review.triage_support import (
    actions,
    load_offer,
    open_offer,
    outbox,
    post_action,
)


def test_claim_puts_the_offer_in_review_with_me(app, client, reference, rita, auth):
    auth.sign_in_as(rita)
    response = post_action(client, reference, "claim")
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "You claimed this offer" in page.text
    offer = load_offer(app, reference)
    assert (offer.status, offer.assignee_id) == ("in_review", rita.id)
    assert actions(app, reference)[-1] == "claimed"


def test_claiming_a_claimed_offer_is_refused(app, client, reference, rita, lena, auth):
    auth.sign_in_as(rita)
    post_action(client, reference, "claim")
    other = auth.sign_in_as(lena, app.test_client())
    response = post_action(other, reference, "claim")
    assert response.status_code == 409
    assert "Only a queued offer can be claimed" in response.text
    assert load_offer(app, reference).assignee_id == rita.id


def test_lead_assigns_and_the_reviewer_is_emailed(app, client, reference, rita, lena, auth):
    auth.sign_in_as(lena)
    response = post_action(client, reference, "assign", {"assignee": str(rita.id)})
    assert response.status_code == 302
    offer = load_offer(app, reference)
    assert (offer.status, offer.assignee_id) == ("in_review", rita.id)
    assert actions(app, reference)[-1] == "assigned"
    [mail] = outbox(app, "reviewer_assigned")
    assert mail.to_address == "rita@state.example.gov"
    assert reference in mail.subject
    assert f"/review/offers/{reference}" in mail.body_text
    assert "Lena Lead" in mail.body_text


def test_reviewer_cannot_assign(app, client, reference, rita, auth):
    auth.sign_in_as(rita)
    response = post_action(client, reference, "assign", {"assignee": str(rita.id)})
    assert response.status_code == 403
    assert load_offer(app, reference).status == "queued"
    assert outbox(app, "reviewer_assigned") == []


def test_assign_without_a_reviewer_is_a_field_error(app, client, reference, lena, auth):
    auth.sign_in_as(lena)
    response = post_action(client, reference, "assign", {"assignee": ""})
    assert response.status_code == 400
    assert "<title>Error: " in response.text
    assert 'href="#assignee"' in response.text
    assert load_offer(app, reference).status == "queued"


def test_release_returns_the_offer_to_its_queue(app, client, reference, rita, auth):
    auth.sign_in_as(rita)
    post_action(client, reference, "claim")
    response = post_action(client, reference, "release")
    assert response.status_code == 302
    offer = load_offer(app, reference)
    assert (offer.status, offer.assignee_id) == ("queued", None)
    assert actions(app, reference)[-2:] == ["claimed", "released"]


def test_only_the_assignee_or_a_lead_may_release(app, client, reference, rita, auth, make_reviewer):
    auth.sign_in_as(rita)
    post_action(client, reference, "claim")
    other = auth.sign_in_as(make_reviewer("omar@state.example.gov"), app.test_client())
    state = open_offer(other, reference)
    # The page offers Omar no release button; a hand-made request is refused all the same.
    state["offer_version"] = str(load_offer(app, reference).version)
    response = post_action(other, reference, "release", state=state)
    assert response.status_code == 403
    assert "Only the assigned reviewer" in response.text
    assert load_offer(app, reference).assignee_id == rita.id


def test_request_info_emails_the_donor_with_the_status_link(app, client, reference, rita, auth):
    auth.sign_in_as(rita)
    post_action(client, reference, "claim")
    question = "Please send a photo of the NIJ label of each vest."
    response = post_action(client, reference, "request-info", {"info_message": question})
    assert response.status_code == 302
    offer = load_offer(app, reference)
    assert offer.status == "needs_info"
    assert actions(app, reference)[-1] == "info_requested"
    [mail] = outbox(app, "info_requested")
    assert mail.to_address == "pat.donor@springfield.example.gov"
    assert question in mail.body_text
    with app.test_request_context():
        stored = db.session.query(Offer).filter_by(reference=reference).one()
        assert status_url(stored) in mail.body_text


def test_request_info_needs_a_message(app, client, reference, rita, auth):
    auth.sign_in_as(rita)
    response = post_action(client, reference, "request-info", {"info_message": "  "})
    assert response.status_code == 400
    assert "Enter the question for the donor." in response.text
    assert load_offer(app, reference).status == "queued"
    assert outbox(app, "info_requested") == []


def test_reroute_moves_the_offer_with_a_reason(app, client, reference, rita, auth):
    auth.sign_in_as(rita)
    post_action(client, reference, "claim")
    response = post_action(
        client, reference, "reroute", {"queue": "legal", "reroute_reason": "BVP funding terms"}
    )
    assert response.status_code == 302
    offer = load_offer(app, reference)
    assert (offer.status, offer.queue.slug, offer.assignee_id) == ("queued", "legal", None)
    assert actions(app, reference)[-1] == "rerouted"
    page = client.get(f"/review/offers/{reference}")
    assert "BVP funding terms" in page.text


def test_reroute_needs_a_queue_and_a_reason(app, client, reference, rita, auth):
    auth.sign_in_as(rita)
    response = post_action(client, reference, "reroute", {"queue": "nowhere"})
    assert response.status_code == 400
    assert "Choose the queue to move the offer to." in response.text
    assert "Enter why the offer moves to another queue." in response.text
    assert load_offer(app, reference).queue.slug == "export-control"


def test_reroute_to_the_same_queue_is_refused(app, client, reference, rita, auth):
    auth.sign_in_as(rita)
    response = post_action(
        client, reference, "reroute", {"queue": "export-control", "reroute_reason": "again"}
    )
    assert response.status_code == 400
    assert "already in this queue" in response.text


def test_notes_are_kept_and_audited(app, client, reference, rita, auth):
    auth.sign_in_as(rita)
    response = post_action(client, reference, "notes", {"note_body": "Called the QM, vests OK."})
    assert response.status_code == 302
    page = client.get(f"/review/offers/{reference}")
    assert "Called the QM, vests OK." in page.text
    assert actions(app, reference)[-1] == "note_added"


def test_empty_note_is_refused(app, client, reference, rita, auth):
    auth.sign_in_as(rita)
    response = post_action(client, reference, "notes", {"note_body": ""})
    assert response.status_code == 400
    assert "Enter the note." in response.text
    with app.app_context():
        assert db.session.query(Note).count() == 0


def test_action_without_offer_version_is_bad_input(app, client, reference, rita, auth):
    auth.sign_in_as(rita)
    state = open_offer(client, reference)
    response = client.post(
        f"/review/offers/{reference}/claim", data={"csrf_token": state["csrf_token"]}
    )
    assert response.status_code == 400
    assert "missing the version" in response.text
    assert load_offer(app, reference).status == "queued"


def test_action_without_csrf_token_is_refused(app, client, reference, rita, auth):
    auth.sign_in_as(rita)
    state = open_offer(client, reference)
    response = client.post(
        f"/review/offers/{reference}/claim", data={"offer_version": state["offer_version"]}
    )
    assert response.status_code == 400
    assert load_offer(app, reference).status == "queued"


def test_stale_claim_is_refused_and_audited(app, client, reference, rita, lena, auth):
    auth.sign_in_as(rita)
    stale = open_offer(client, reference)
    lead = auth.sign_in_as(lena, app.test_client())
    post_action(
        lead, reference, "reroute", {"queue": "legal", "reroute_reason": "Needs legal first"}
    )
    response = post_action(client, reference, "claim", state=stale)
    assert response.status_code == 409
    assert "someone changed this offer first" in response.text
    assert "rerouted by lena@state.example.gov" in response.text
    offer = load_offer(app, reference)
    assert (offer.status, offer.assignee_id) == ("queued", None)
    assert actions(app, reference)[-2:] == ["rerouted", "claim_conflict"]


def test_offer_pages_need_sign_in(app, client, reference):
    response = client.get(f"/review/offers/{reference}")
    assert response.status_code == 302
    assert "/review/sign-in" in response.headers["Location"]
    token = csrf_token(client.get("/review/sign-in").text)
    response = client.post(
        f"/review/offers/{reference}/claim",
        data={"csrf_token": token, "offer_version": "1"},
    )
    assert response.status_code == 302
    assert "/review/sign-in" in response.headers["Location"]
    assert load_offer(app, reference).status == "queued"


def test_unknown_offer_is_404(app, client, rita, auth):
    auth.sign_in_as(rita)
    assert client.get("/review/offers/UA-2026-999999").status_code == 404


def test_only_members_of_the_offers_queue_pick_it_up(app, client, reference, auth):
    # Audit finding (medium): a reviewer of the NPU desk claimed and approved an offer in the
    # export-control queue. The offer here is SBGS armor: the export-control queue.
    assert load_offer(app, reference).queue.slug == "export-control"
    auth.as_role(email="nina@state.example.gov", queues=("npu-desk",))
    page = client.get(f"/review/offers/{reference}")
    assert "Claim this offer" not in page.text
    assert "Only members of the Export control queue or a lead can claim" in page.text
    # The forms are not shown; a forged POST with the right versions is refused all the same.
    state = {
        "csrf_token": csrf_token(page.text),
        "offer_version": load_offer(app, reference).version,
    }
    for action, fields in (
        ("claim", {}),
        ("request-info", {"info_message": "Which NIJ level?"}),
        ("reroute", {"queue": "npu-desk", "reroute_reason": "Mine now."}),
    ):
        response = post_action(client, reference, action, fields, state)
        assert response.status_code == 403, action
        assert "Only members of the Export control queue or a lead" in response.text
    offer = load_offer(app, reference)
    assert (offer.status, offer.assignee_id, offer.queue.slug) == (
        "queued",
        None,
        "export-control",
    )


def test_a_member_of_the_queue_and_a_lead_may_claim(app, reference, auth):
    member = auth.as_role(email="eve@state.example.gov", queues=("export-control",))
    assert post_action(auth.client, reference, "claim").status_code == 302
    assert load_offer(app, reference).assignee_id == member.id
    lead_client = app.test_client()
    auth.as_role("lead", queues=(), client=lead_client)
    assert post_action(lead_client, reference, "release").status_code == 302
    assert post_action(lead_client, reference, "claim").status_code == 302
