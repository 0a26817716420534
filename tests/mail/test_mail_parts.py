"""Every e-mail leaves with a plain-text part and an HTML part written from the same text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from email.message import EmailMessage

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask

from donations_app.extensions import db
from donations_app.models import OutboxMessage
from donations_app.services.notify import enqueue_mail, send_due_mail
from tests.catalog_changes.test_migration import fill_previous_release, insert
from tests.migrations import app_at_revision, migration

MIGRATION = "0011_mail_html.py"
TABLES = ("reviewers", "offers", "items", "evaluations", "findings", "audit_events")


def row_counts(conn: sa.Connection) -> dict[str, int]:
    return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def _parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_a_mail_is_sent_as_text_and_html_saying_the_same(smtp_server, app: Flask) -> None:
    with app.app_context():
        enqueue_mail(
            "draft_link",
            "pat@springfield.example.gov",
            "draft_link",
            link="https://donations.example.gov/offer/draft/tok?a=1&b=2",
            expires_on="9 December 2026 <script>alert(1)</script>",
        )
        db.session.commit()
        # The request writes the text only; the sender lays out the HTML.
        assert db.session.scalars(sa.select(OutboxMessage.body_html)).one() is None
        assert send_due_mail() == (1, 0)
        stored = db.session.scalars(sa.select(OutboxMessage)).one()

    (message,) = smtp_server.wait_for(1)
    assert message.get_content_type() == "multipart/alternative"
    text, html = _parts(message)
    # What was sent stays on record, both parts (SMTP carries CRLF line ends).
    received = [part.replace("\r\n", "\n").strip() for part in (text, html)]
    assert [stored.body_text.strip(), stored.body_html.strip()] == received
    assert "https://donations.example.gov/offer/draft/tok?a=1&b=2" in text
    # The link is a link; what the mail quotes is escaped.
    assert 'href="https://donations.example.gov/offer/draft/tok?a=1&amp;b=2"' in html
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<html lang="en">' in html
    for sentence in ("Anyone with this link can see and change your answers", "9 December 2026"):
        assert sentence in text and sentence in html


@pytest.fixture
def old_app(empty_database: str, tmp_path) -> Iterator[Flask]:
    with app_at_revision(empty_database, tmp_path, migration(MIGRATION).down_revision) as app:
        yield app


def test_upgrade_keeps_queued_mail_which_is_then_sent_with_both_parts(
    old_app: Flask, smtp_server, app_config: dict
) -> None:
    old_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=app_config["SMTP_PORT"])
    with db.engine.begin() as conn:
        fill_previous_release(conn)
        queued = insert(
            conn,
            "outbox_messages",
            {
                "kind": "offer_confirmation",
                "to_address": "pat@springfield.example.gov",
                "subject": "Your donation offer UA-2026-000001 was received",
                "body_text": "Dear Pat,\n\nThank you.\n",
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": dt.datetime(2026, 11, 2, 9, 30),
                "created_at": dt.datetime(2026, 11, 2, 9, 30),
            },
        )
        before = conn.execute(sa.text("SELECT * FROM outbox_messages ORDER BY id")).all()
        counts = {
            t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES
        }

    flask_migrate.upgrade(revision=migration(MIGRATION).revision)

    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM outbox_messages ORDER BY id")).mappings().all()
        assert [tuple(row[k] for k in before[0]._fields) for row in rows] == [
            tuple(row) for row in before
        ]
        assert all(row["body_html"] is None for row in rows)
        assert row_counts(conn) == counts

    assert send_due_mail() == (1, 0)
    (message,) = smtp_server.wait_for(1)
    text, html = _parts(message)
    assert text.splitlines() == ["Dear Pat,", "", "Thank you."]
    assert "Thank you." in html
    assert db.session.get(OutboxMessage, queued).status == "sent"
    db.session.remove()

    flask_migrate.downgrade(revision=migration(MIGRATION).down_revision)
    with db.engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("outbox_messages")}
    assert "body_html" not in columns
