"""What a reviewer reads on the offer page: agency, items, findings, rule-set version, timeline."""

from __future__ import annotations

from donations_app.extensions import db
from donations_app.models import Offer
from tests.review.triage_support import (
    armor,
    make_offer,
    open_offer,
    post_action,
)


def test_page_shows_agency_contact_items_and_findings(app, client, reference, rita, auth):
    auth.sign_in_as(rita)
    page = client.get(f"/review/offers/{reference}").text
    assert f"Offer {reference}" in page
    for text in (
        "Springfield Police Department",
        "Pat Donor",
        "Quartermaster",
        "pat.donor@springfield.example.gov",
        "62701",
        "Export control",  # the queue the rules routed it to
        "Ballistic vests, level IIIA",
        "PB-1001, PB-1002",
        "Point Blank",
        "Hinged handcuffs",
        "Patrol rifle",
        "EXPORT-ARMOR-EAR",
        "EXPORT-CRIME-CONTROL",
        "ARMS: Weapons, ammunition and weapon sights are not accepted",  # rule id and title
        "tags: export control",
        "Values read:",
        "Rejected by the guidelines; no reviewer decision is needed.",
    ):
        assert text in page, text


def test_page_shows_the_finding_texts_and_the_values_read(app, client, reference, rita, auth):
    auth.sign_in_as(rita)
    page = client.get(f"/review/offers/{reference}").text
    with app.app_context():
        offer = db.session.query(Offer).filter_by(reference=reference).one()
        evaluation = offer.latest_evaluation
        assert evaluation.ruleset_version in page
        for finding in evaluation.findings:
            for text in (finding.message, finding.fix, finding.reference):
                assert str(text).replace("'", "&#39;").replace('"', "&#34;") in page
        armor_finding = next(f for f in evaluation.findings if f.rule_id == "EXPORT-ARMOR-EAR")
        assert armor_finding.values["protection_level"] == "IIIA"
    assert "<dt>Protection level</dt><dd>IIIA</dd>" in page.replace("\n", "")


def test_page_shows_the_latest_evaluation_only(app, client, rita, auth):
    reference = make_offer(app, [armor()])
    auth.sign_in_as(rita)
    with app.app_context():
        from donations_app.models import Evaluation, Finding

        offer = db.session.query(Offer).filter_by(reference=reference).one()
        item_id, as_of = offer.items[0].id, offer.latest_evaluation.as_of
        newer = Evaluation(
            offer_id=offer.id,
            ruleset_version="later-ruleset-version",
            as_of=as_of,
            outcome="review",
            queue_slug="export-control",
            trigger="reevaluation",
        )
        newer.findings.append(
            Finding(
                item_id=item_id,
                rule_id="LATER-RULE",
                outcome="review",
                message="Message of the later evaluation",
                values={},
            )
        )
        db.session.add(newer)
        db.session.commit()
    page = client.get(f"/review/offers/{reference}").text
    assert "later-ruleset-version" in page
    items = page[page.index('id="items-heading"') : page.index('id="evaluations-heading"')]
    assert "LATER-RULE" in items
    assert "EXPORT-ARMOR-EAR" not in items
    # The evaluation history lists both, newest first.
    history = page[page.index('id="evaluations-heading"') :]
    assert history.count("data-evaluation") == 2
    assert history.index("LATER-RULE") < history.index("EXPORT-ARMOR-EAR")


def test_timeline_lists_every_event_including_internal_ones(app, client, reference, rita, auth):
    auth.sign_in_as(rita)
    post_action(client, reference, "notes", {"note_body": "Internal only"})
    post_action(client, reference, "claim")
    page = client.get(f"/review/offers/{reference}").text
    timeline = page[page.index('id="timeline-heading"') :]
    for action in ("Submitted", "Note added", "Claimed"):
        assert action in timeline
    assert "waiting for review &rarr; in review" in timeline
    assert "Rita Reviewer (rita@state.example.gov)" in page  # assignee


def test_every_action_form_carries_csrf_and_the_offer_version(
    app, client, reference, rita, auth, make_reviewer
):
    lead = make_reviewer("lena@state.example.gov", role="lead")
    auth.sign_in_as(lead)
    post_action(client, reference, "claim")
    page = client.get(f"/review/offers/{reference}").text
    forms = page.split("<form")[1:]
    action_forms = [f for f in forms if "/review/offers/" in f.split(">")[0]]
    assert len(action_forms) >= 6  # release, assign, move, ask, decide, note
    for form in action_forms:
        assert 'name="csrf_token"' in form
        if "/notes" not in form.split(">")[0]:
            assert 'name="offer_version"' in form
    state = open_offer(client, reference)
    assert len(state["items"]) == 2  # the two reviewable items carry their versions


def test_page_escapes_what_donors_typed(app, client, rita, auth):
    reference = make_offer(app, [armor(description="<script>alert(1)</script>")])
    auth.sign_in_as(rita)
    page = client.get(f"/review/offers/{reference}").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
