"""Retention purge, a contact's export and erasure: personal fields go, the record stays."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from donations_app.extensions import db
from donations_app.models import AuditEvent, Item, Offer, OutboxMessage
from tests.privacy.helpers import CONTACT, load, submit, withdraw


def everything_audited(app) -> str:
    with app.app_context():
        return " ".join(
            f"{e.actor_label} {e.reason} {json.dumps(e.data)}"
            for e in db.session.scalars(sa.select(AuditEvent))
        )


def add_legacy_event(app, reference):
    """An event as releases before 0004 wrote it: the contact's address as the actor label."""
    with app.app_context():
        offer = db.session.scalar(sa.select(Offer).where(Offer.reference == reference))
        db.session.add(
            AuditEvent(offer=offer, actor_type="donor", actor_label=CONTACT, action="submitted")
        )
        db.session.commit()


@pytest.fixture
def no_retention(app_config):
    app_config["PERSONAL_DATA_RETENTION_DAYS"] = 0
    return app_config


def test_purge_anonymises_offers_past_retention_and_only_those(no_retention, app, client, runner):
    closed, closed_link = submit(client)
    still_open, _ = submit(client, "open@springfield.example.gov")
    withdraw(app, closed)
    add_legacy_event(app, closed)

    dry = runner.invoke(args=["data", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert closed in dry.output and still_open not in dry.output
    assert "would anonymise 1 offer" in dry.output
    assert load(app, closed).contact_email == CONTACT

    result = runner.invoke(args=["data", "purge"])
    assert result.exit_code == 0, result.output
    assert "anonymised 1 offer" in result.output
    offer = load(app, closed)
    assert (offer.contact_name, offer.contact_email, offer.contact_phone, offer.contact_title) == (
        "[erased]",
        "erased@erased.invalid",
        None,
        "",
    )
    assert offer.personal_data_erased_at is not None
    assert (offer.status, offer.agency_name) == ("withdrawn", "Springfield Police Department")
    with app.app_context():
        assert db.session.query(Item).filter_by(offer_id=offer.id).count() == 2  # both lines
        mails = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.offer_id == offer.id)
        ).all()
        assert mails and all(CONTACT not in m.to_address + m.body_text for m in mails)
        assert all(m.status != "pending" for m in mails)
        (purged,) = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "personal_data_purged")
        ).all()
        assert purged.data == {"offers": 1, "retention_days": 0}
    assert CONTACT not in everything_audited(app)
    assert load(app, still_open).contact_email == "open@springfield.example.gov"
    assert client.get(closed_link).status_code == 404
    again = runner.invoke(args=["data", "purge"])
    assert "anonymised 0 offers" in again.output


def test_purge_keeps_offers_within_retention(app, client, runner):
    reference, _ = submit(client)
    withdraw(app, reference)
    result = runner.invoke(args=["data", "purge"])
    assert "anonymised 0 offers" in result.output
    assert load(app, reference).contact_email == CONTACT


def test_export_by_email_holds_every_offer_of_the_contact_and_is_audited(app, client, runner):
    first, _ = submit(client)
    second, _ = submit(client)
    other, _ = submit(client, "someone@else.example.gov")
    result = runner.invoke(args=["data", "export", "--email", CONTACT.upper()])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert [o["reference"] for o in document["offers"]] == [first, second]
    offer = document["offers"][0]
    assert offer["contact_email"] == CONTACT and offer["contact_phone"] == "217-555-0100"
    assert offer["items"][0]["category"] and offer["evaluations"][0]["outcome"]
    assert offer["audit_events"][0]["action"] == "submitted"
    assert offer["messages"][0]["to_address"] == CONTACT
    assert other not in result.output
    with app.app_context():
        exported = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "personal_data_exported")
        ).all()
        assert len(exported) == 2 and all(CONTACT not in str(e.data) for e in exported)


def test_export_needs_one_known_key(runner):
    assert runner.invoke(args=["data", "export"]).exit_code == 2
    unknown = runner.invoke(args=["data", "export", "--reference", "UA-1999-000001"])
    assert unknown.exit_code == 1 and "No offer" in unknown.output


def test_erase_on_request_keeps_the_offer_and_refuses_open_offers(app, client, runner):
    reference, link = submit(client)
    add_legacy_event(app, reference)
    refused = runner.invoke(args=["data", "erase", "--reference", reference])
    assert refused.exit_code == 1 and "still open" in refused.output
    withdraw(app, reference)
    result = runner.invoke(args=["data", "erase", "--reference", reference.lower()])
    assert result.exit_code == 0, result.output
    offer = load(app, reference)
    assert offer.contact_email == "erased@erased.invalid" and offer.status == "withdrawn"
    assert CONTACT not in everything_audited(app)
    assert "personal_data_erased" in [
        e["action"]
        for e in json.loads(
            runner.invoke(args=["data", "export", "--reference", reference]).output
        )["offers"][0]["audit_events"]
    ]
    assert client.get(link).status_code == 404
    twice = runner.invoke(args=["data", "erase", "--reference", reference])
    assert twice.exit_code == 1 and "already erased" in twice.output


def test_the_audit_trail_allows_only_blanking_a_donor_label(app, client):
    reference, _ = submit(client)
    add_legacy_event(app, reference)
    with app.app_context():
        engine = db.engine
    refused = [
        "UPDATE audit_events SET reason = 'x'",
        "UPDATE audit_events SET actor_label = 'someone else' WHERE actor_type = 'donor'",
        "UPDATE audit_events SET actor_label = '', reason = 'x' WHERE actor_type = 'donor'",
        "DELETE FROM audit_events",
    ]
    for statement in refused:
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(statement))
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO reviewers (email, name, password_hash, role, active, "
                "failed_logins, created_at, session_token) VALUES ('r@x.gov', 'R', "
                "'h', 'reviewer', true, 0, CURRENT_TIMESTAMP, 't')"
            )
        )
    with app.app_context():
        from donations_app.services.audit import record_event

        record_event("note", actor_label="r@x.gov", actor_type="reviewer")
        db.session.commit()
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE audit_events SET actor_label = '' WHERE actor_type = 'reviewer'")
        )
    with engine.begin() as conn:
        blanked = conn.execute(
            sa.text("UPDATE audit_events SET actor_label = '' WHERE actor_type = 'donor'")
        )
        assert blanked.rowcount >= 1
