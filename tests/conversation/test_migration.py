"""Migration 0007 adds the messages table and turns the questions and answers of the previous
release's audit trail into messages, keeping every other row.

A fresh database is migrated to the revision before 0007 (read from the migration module, so the
test works wherever 0007 sits in the chain), filled by SQL with offers, items, evaluations,
decisions, notes, audit events (a reviewer's question and the donor's answer among them), mail
and accounts, then upgraded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError

from donations_app.extensions import db
from tests.catalog_changes.test_migration import TABLES, fill_previous_release, insert, snapshot
from tests.migrations import app_at_revision, migration

MIGRATION = "0007_conversation.py"
ASKED = dt.datetime(2026, 11, 3, 10, 0)
ANSWERED = dt.datetime(2026, 11, 4, 8, 15)


@pytest.fixture
def old_app(empty_database: str, tmp_path: Path) -> Iterator[Flask]:
    with app_at_revision(empty_database, tmp_path, migration(MIGRATION).down_revision) as app:
        yield app


def naive(value: dt.datetime | str) -> dt.datetime:
    """A timestamp as read by raw SQL (text on SQLite, aware on PostgreSQL), in naive UTC."""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def add_conversation(conn: sa.Connection) -> tuple[int, int]:
    """The first offer's question and answer, as the previous release audited them."""
    offer = conn.execute(sa.text("SELECT min(id) FROM offers")).scalar_one()
    rita = conn.execute(sa.text("SELECT min(id) FROM reviewers")).scalar_one()
    rows = (
        ("reviewer", rita, "info_requested", "in_review", "needs_info", "Which NIJ level?", ASKED),
        ("donor", None, "info_response", "needs_info", "queued", "Level IIIA.\nLabels.", ANSWERED),
        # An answer without words (corrected items only) and an unrelated event add no message.
        ("donor", None, "info_response", "needs_info", "queued", "", ANSWERED),
        ("reviewer", rita, "released", "in_review", "queued", "", ANSWERED),
    )
    for actor_type, actor, action, before, after, reason, at in rows:
        insert(
            conn,
            "audit_events",
            {
                "offer_id": offer,
                "actor_type": actor_type,
                "actor_id": actor,
                "actor_label": "rita@state.example.gov" if actor else "",
                "action": action,
                "from_status": before,
                "to_status": after,
                "reason": reason,
                "ruleset_version": "abc123",
                "data": {},
                "visible_to_donor": True,
                "created_at": at,
            },
        )
    return offer, rita


def test_upgrade_keeps_every_row_and_turns_questions_and_answers_into_messages(old_app):
    with db.engine.begin() as conn:
        fill_previous_release(conn)
        offer, rita = add_conversation(conn)
    with db.engine.connect() as conn:
        before = snapshot(conn)

    flask_migrate.upgrade(revision=migration(MIGRATION).revision)
    db.engine.dispose()

    with db.engine.connect() as conn:
        assert snapshot(conn) == before  # nothing else changed
        messages = conn.execute(
            sa.text(
                "SELECT offer_id, author_type, author_id, kind, body, created_at, read_at "
                "FROM messages ORDER BY id"
            )
        ).all()
    assert [tuple(m[:5]) for m in messages] == [
        (offer, "reviewer", rita, "question", "Which NIJ level?"),
        (offer, "donor", None, "reply", "Level IIIA.\nLabels."),
    ]
    for message, at in zip(messages, (ASKED, ANSWERED), strict=True):
        assert naive(message.created_at) == at
        assert message.read_at == message.created_at  # older messages count as read
    assert set(TABLES) <= set(sa.inspect(db.engine).get_table_names())

    # The new table's rules hold.
    refused = ({"kind": "shout"}, {"author_type": "api"}, {"offer_id": 999999})
    for change in refused:
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            insert(
                conn,
                "messages",
                {
                    "offer_id": offer,
                    "author_type": "donor",
                    "kind": "reply",
                    "body": "x",
                    "changes": [],
                    "created_at": ANSWERED,
                    **change,
                },
            )
            pytest.fail(f"messages took {change}")


def test_downgrade_drops_the_messages_and_keeps_the_audit_trail(old_app):
    with db.engine.begin() as conn:
        fill_previous_release(conn)
        add_conversation(conn)
    flask_migrate.upgrade(revision=migration(MIGRATION).revision)
    flask_migrate.downgrade(revision=migration(MIGRATION).down_revision)
    db.engine.dispose()
    with db.engine.connect() as conn:
        assert "messages" not in sa.inspect(conn).get_table_names()
        reasons = conn.execute(
            sa.text("SELECT reason FROM audit_events WHERE reason <> '' ORDER BY id")
        ).scalars()
        assert list(reasons) == ["Which NIJ level?", "Level IIIA.\nLabels."]
