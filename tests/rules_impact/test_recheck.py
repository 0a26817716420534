"""`flask rules recheck`: open offers re-evaluated under a new rule set, each change stored,
audited and shown to reviewers; decided offers never change."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from donations_app.extensions import db
from donations_app.models import AuditEvent, Evaluation, Offer
from tests.api.bodies import offer_body
from tests.rules_impact.conftest import helmet


@pytest.fixture
def stored(client) -> dict[str, str]:
    references = {}
    for name, items in (("A", [helmet(100)]), ("B", [helmet(10)])):
        response = client.post("/api/v1/offers", json=offer_body(items=items))
        references[name] = response.get_json()["reference"]
    return references


@pytest.fixture
def new_rules_app(app, stored, candidate):
    """The app once the candidate rules are published (the offers were stored before)."""
    published = app.test_cli_runner().invoke(args=["rules", "publish", str(candidate)])
    assert published.exit_code == 0, published.output
    return app


def evaluations(app, reference: str) -> list[str]:
    with app.app_context():
        offer = db.session.scalar(sa.select(Offer).filter_by(reference=reference))
        return [
            e.trigger
            for e in db.session.scalars(
                sa.select(Evaluation).filter_by(offer_id=offer.id).order_by(Evaluation.id)
            )
        ]


def test_recheck_stores_audits_and_shows_what_changed(app, stored, new_rules_app, auth):
    runner = new_rules_app.test_cli_runner()
    dry = runner.invoke(args=["rules", "recheck", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Re-checked 2 offers" in dry.output and "1 would change" in dry.output
    assert evaluations(app, stored["A"]) == ["submission"]

    done = runner.invoke(args=["rules", "recheck", "--status", "queued,in_review"])
    assert done.exit_code == 0, done.output
    assert "1 changed" in done.output and stored["A"] in done.output
    assert evaluations(app, stored["A"]) == ["submission", "reevaluation"]
    assert evaluations(app, stored["B"]) == ["submission"]
    with app.app_context():
        offer = db.session.scalar(sa.select(Offer).filter_by(reference=stored["A"]))
        assert (offer.status, offer.queue.slug, offer.outcome) == (
            "queued",
            "export-control",
            "rejected",
        )
        event = db.session.scalar(sa.select(AuditEvent).filter_by(action="rechecked"))
        assert event.offer_id == offer.id
        assert event.data["items"][0]["added"] == ["HELMET-QUANTITY"]

    again = runner.invoke(args=["rules", "recheck"])
    assert "0 changed" in again.output

    reviewer_client = new_rules_app.test_client()
    auth.as_role("lead", client=reviewer_client)
    page = reviewer_client.get(f"/review/offers/{stored['A']}").text
    assert "The guidelines changed since this offer was evaluated" in page
    assert "item 1: Cannot be accepted" in page
    assert "HELMET-QUANTITY (At most 50 helmets in one line)" in page
    assert "Under the new rules the offer would go to no queue; it stays in Export control" in page


def test_decided_offers_are_never_rechecked(new_rules_app):
    result = new_rules_app.test_cli_runner().invoke(
        args=["rules", "recheck", "--status", "approved"]
    )
    assert result.exit_code == 1
    assert "decided offers never change" in result.output


def test_replay_matches_the_stored_evaluation(app, stored, new_rules_app):
    runner = app.test_cli_runner()
    # Evaluated under the first rule set, which stays stored after the candidate's publication.
    result = runner.invoke(args=["rules", "replay", stored["A"].lower()])
    assert result.exit_code == 0, result.output
    assert "The replay matches the stored evaluation." in result.output
    assert "review, queue export-control" in result.output


def test_replay_shows_a_difference(app, stored):
    with app.app_context():
        offer = db.session.scalar(sa.select(Offer).filter_by(reference=stored["B"]))
        offer.latest_evaluation.outcome = "accepted"  # as if the stored record had drifted
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["rules", "replay", stored["B"]])
    assert result.exit_code == 1
    assert "differs: outcome: stored accepted, replayed review" in result.output


def test_impact_of_a_staged_version_against_a_stored_one(app, stored, candidate):
    runner = app.test_cli_runner()
    staged = runner.invoke(args=["rules", "stage", str(candidate)])
    assert staged.exit_code == 0, staged.output
    with app.app_context():
        from donations_app.services.rulesets import versions

        newest = max(versions(), key=lambda v: v.created_at)
    result = runner.invoke(args=["rules", "impact", newest.version[:8], "--format", "json"])
    assert result.exit_code == 0, result.output
    assert '"offers_changed": 1' in result.output
    unknown = runner.invoke(args=["rules", "impact", "zzzz9999"])
    assert unknown.exit_code == 1 and "No rule set with version zzzz9999" in unknown.output


def test_a_lead_rechecks_the_open_offers_from_the_page(app, client, stored, new_rules_app, auth):
    from donations_app.services.jobs import run_due_jobs
    from tests.conftest import audit_actions, csrf_token

    auth.as_role("lead")
    page = client.get("/review/rules/impact")
    assert "Re-check the open offers" in page.text
    started = client.post("/review/rules/recheck", data={"csrf_token": csrf_token(page.text)})
    assert started.status_code == 302
    assert "Waiting for a worker" in client.get(started.headers["Location"]).text
    assert evaluations(app, stored["A"]) == ["submission"]
    with app.app_context():
        assert run_due_jobs() == (1, 0)
    result = client.get(started.headers["Location"]).text
    assert "2 open offers checked under rule set" in result and "1 changed" in result
    assert stored["A"] in result and stored["B"] not in result
    assert evaluations(app, stored["A"]) == ["submission", "reevaluation"]
    assert audit_actions(app).count("rechecked") == 1
    assert client.post("/review/rules/recheck", data={}).status_code == 400
