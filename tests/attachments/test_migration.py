"""Migration 0008 adds the attachments table and keeps every row of the previous release.

A fresh database is migrated to the revision before 0008 (read from the migration module, so
the test works wherever 0008 sits in the chain), filled by SQL with the previous release's
offers, items, evaluations, findings, decisions, notes, audit events, mail and accounts, then
upgraded; the new table takes files and keeps its constraints; the downgrade gives the rows back.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError

from donations_app.extensions import db
from tests.catalog_changes.test_migration import NOW, fill_previous_release, insert, snapshot
from tests.migrations import app_at_revision, migration

REVISION = migration("0008_evidence_files.py")


@pytest.fixture
def old_app(empty_database: str, tmp_path: Path) -> Iterator[Flask]:
    with app_at_revision(empty_database, tmp_path, REVISION.down_revision) as app:
        yield app


def attachment(offer: int, item: int | None, **changes) -> dict:
    return {
        "offer_id": offer,
        "item_id": item,
        "message_id": None,
        "original_name": "NIJ label.jpg",
        "content_type": "image/jpeg",
        "size_bytes": 12345,
        "sha256": "a" * 64,
        "storage_key": f"{item or 0:032x}",
        "thumbnail_key": None,
        "uploaded_by": "donor",
        "uploaded_by_id": None,
        "created_at": NOW,
        **changes,
    }


def test_upgrade_keeps_every_row_and_the_new_table_holds_files(old_app):
    with db.engine.begin() as conn:
        fill_previous_release(conn)
    with db.engine.connect() as conn:
        before = snapshot(conn)
        assert "attachments" not in sa.inspect(conn).get_table_names()

    flask_migrate.upgrade(revision=REVISION.revision)
    db.engine.dispose()

    with db.engine.connect() as conn:
        assert snapshot(conn) == before
    offer, item = before["offers"][0]["id"], before["items"][0]["id"]
    rita = before["reviewers"][0]["id"]
    with db.engine.begin() as conn:
        question = insert(
            conn,
            "messages",
            {
                "offer_id": offer,
                "author_type": "reviewer",
                "author_id": rita,
                "kind": "question",
                "body": "Please send a photo of the label.",
                "changes": [],
                "created_at": NOW,
            },
        )
        insert(conn, "attachments", attachment(offer, item))
        insert(
            conn,
            "attachments",
            attachment(
                offer,
                None,
                message_id=question,
                content_type="application/pdf",
                storage_key="f" * 32,
                uploaded_by="reviewer",
                uploaded_by_id=rita,
            ),
        )
    refused = [
        {"content_type": "text/html"},
        {"uploaded_by": "robot"},
        {"uploaded_by": "reviewer"},  # a reviewer's file names the reviewer
        {"size_bytes": 0},
        {"sha256": "short"},
        {"offer_id": 999999},
        {"message_id": 999999},
        {"storage_key": f"{item:032x}"},  # keys are unique
    ]
    for change in refused:
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            insert(
                conn, "attachments", attachment(offer, item, **{"storage_key": "e" * 32, **change})
            )
            pytest.fail(f"attachments took {change}")
    # Deleting an item deletes its files' rows; the offer's other file stays.
    with db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM findings WHERE item_id = :id"), {"id": item})
        conn.execute(sa.text("DELETE FROM item_decisions WHERE item_id = :id"), {"id": item})
        conn.execute(sa.text("DELETE FROM items WHERE id = :id"), {"id": item})
        left = conn.execute(sa.text("SELECT message_id FROM attachments")).scalars().all()
    assert left == [question]

    flask_migrate.downgrade(revision=REVISION.down_revision)
    with db.engine.connect() as conn:
        assert "attachments" not in sa.inspect(conn).get_table_names()
        after = snapshot(conn)
    assert len(after["offers"]) == 2 and len(after["audit_events"]) == 2
