"""`flask drafts purge`: drafts past DRAFT_LIFETIME_DAYS are deleted, counted and audited."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskCliRunner

from donations_app.extensions import db
from donations_app.models import AuditEvent, Draft, utcnow


def add_draft(saved_days_ago: float) -> str:
    """A draft last saved that many days ago, under the default 30-day lifetime."""
    saved = utcnow() - dt.timedelta(days=saved_days_ago)
    draft = Draft(
        email="",
        data={"agency": {"name": "x"}},
        created_at=saved,
        updated_at=saved,
        expires_at=saved + dt.timedelta(days=30),
    )
    db.session.add(draft)
    db.session.flush()
    return draft.public_id


def test_purge_deletes_only_drafts_older_than_their_lifetime(
    app: Flask, runner: FlaskCliRunner
) -> None:
    with app.app_context():
        old = [add_draft(31), add_draft(400)]
        kept = [add_draft(29), add_draft(0)]
        db.session.commit()
    result = runner.invoke(args=["drafts", "purge"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "deleted 2 expired drafts"
    with app.app_context():
        left = {d.public_id for d in db.session.query(Draft)}
        assert left == set(kept) and not left & set(old)
        event = db.session.query(AuditEvent).filter_by(action="drafts_purged").one()
        assert event.actor_type == "system" and event.data["deleted"] == 2


def test_a_shorter_lifetime_setting_applies_to_drafts_saved_before(app_config: dict) -> None:
    from donations_app import create_app

    app_config["DRAFT_LIFETIME_DAYS"] = 7
    app = create_app(app_config)
    with app.app_context():
        add_draft(8)
        add_draft(6)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["drafts", "purge"])
    assert result.output.strip() == "deleted 1 expired draft"
    result = app.test_cli_runner().invoke(args=["drafts", "purge"])
    assert result.output.strip() == "deleted 0 expired drafts"
    with app.app_context():
        assert db.session.query(Draft).count() == 1
        counts = [e.data["deleted"] for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
        assert counts == [1, 0]
