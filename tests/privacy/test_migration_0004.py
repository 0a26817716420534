"""Migration 0004 upgrades a database filled by the previous release and keeps every row."""

from __future__ import annotations

import flask_migrate
import pytest
import sqlalchemy as sa

from donations_app import create_app
from donations_app.extensions import db
from donations_app.models import AuditEvent, Offer
from donations_app.services.offers import find_offer_by_token

PREVIOUS = "0002"
FILL = [
    "INSERT INTO reviewers (id, email, name, password_hash, role, active, failed_logins, "
    "created_at, session_token) VALUES (1, 'rita@state.example.gov', 'Rita', 'h', 'reviewer', "
    "true, 0, '2026-01-02 10:00:00+00:00', 'tok')",
    "INSERT INTO offers (id, reference, public_id, status, outcome, source, agency_name, "
    "agency_type, agency_state, agency_city, contact_name, contact_title, contact_email, "
    "recipient, authority_confirmed, pickup_zip, ruleset_version, submitted_at, updated_at, "
    "decided_at, version) VALUES (1, 'UA-2026-000001', 'pub-1', 'declined', 'review', 'web', "
    "'Springfield PD', 'municipal_police', 'IL', 'Springfield', 'Pat Doe', '', "
    "'pat@springfield.example.gov', 'npu', true, '62701', 'v1', '2026-01-02 10:00:00+00:00', "
    "'2026-01-03 10:00:00+00:00', '2026-01-03 10:00:00+00:00', 3)",
    "INSERT INTO items (id, offer_id, position, category, description, quantity, condition, "
    "acquired_via, serial_numbers, outcome, decision, version) VALUES (1, 1, 0, 'helmet', "
    "'Helmets', 5, 'good', 'own_funds', '[]', 'review', 'declined', 1)",
    "INSERT INTO evaluations (id, offer_id, ruleset_version, as_of, outcome, trigger, "
    "created_at) VALUES (1, 1, 'v1', '2026-01-02', 'review', 'submission', "
    "'2026-01-02 10:00:00+00:00')",
    "INSERT INTO audit_events (id, offer_id, actor_type, actor_label, action, to_status, "
    "reason, data, visible_to_donor, created_at) VALUES (1, 1, 'donor', "
    "'pat@springfield.example.gov', 'submitted', 'queued', '', '{}', true, "
    "'2026-01-02 10:00:00+00:00')",
    "INSERT INTO audit_events (id, offer_id, actor_type, actor_id, actor_label, action, "
    "from_status, to_status, reason, data, visible_to_donor, created_at) VALUES (2, 1, "
    "'reviewer', 1, 'rita@state.example.gov', 'decided', 'in_review', 'declined', 'old', '{}', "
    "true, '2026-01-03 10:00:00+00:00')",
    "INSERT INTO outbox_messages (id, kind, to_address, subject, body_text, offer_id, status, "
    "attempts, next_attempt_at, created_at) VALUES (1, 'confirmation', "
    "'pat@springfield.example.gov', 'Received', 'Dear Pat', 1, 'sent', 1, "
    "'2026-01-02 10:00:00+00:00', '2026-01-02 10:00:00+00:00')",
]
COUNTED = ("reviewers", "offers", "items", "evaluations", "audit_events", "outbox_messages")


def test_upgrade_keeps_every_row_and_the_links_already_mailed(empty_database, tmp_path):
    app = create_app(
        {
            "APP_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": empty_database,
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    with app.app_context():
        flask_migrate.upgrade(revision=PREVIOUS)
        with db.engine.begin() as conn:
            for statement in FILL:
                conn.execute(sa.text(statement))
            before = {t: conn.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in COUNTED}
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            after = {t: conn.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in COUNTED}
        assert after == before
        offer = db.session.get(Offer, 1)
        assert (offer.status_link_version, offer.status_link_sent_at) == (1, None)
        assert offer.personal_data_erased_at is None
        assert offer.contact_email == "pat@springfield.example.gov"
        with app.test_request_context():
            from itsdangerous import URLSafeSerializer

            mailed = URLSafeSerializer(app.config["SECRET_KEY"], salt="offer-status").dumps("pub-1")
            assert find_offer_by_token(mailed) is offer
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE audit_events SET actor_label = '' WHERE id = 1"))
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE audit_events SET actor_label = '' WHERE id = 2"))
        labels = dict(db.session.execute(sa.select(AuditEvent.id, AuditEvent.actor_label)).all())
        assert labels == {1: "", 2: "rita@state.example.gov"}
        db.session.remove()
        db.engine.dispose()
