"""Migration 0010 adds the jobs table and keeps every row of the previous release.

A fresh database is migrated to the revision before 0010 (read from the migration module, so the
test works wherever 0010 sits in the chain), filled with offers, items, evaluations, findings,
decisions, notes, audit events, mail and accounts by SQL, then upgraded and downgraded.
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
from tests.catalog_changes.test_migration import NOW, fill_previous_release, snapshot
from tests.migrations import app_at_revision, migration

JOBS = migration("0010_jobs.py")


@pytest.fixture
def old_app(empty_database: str, tmp_path: Path) -> Iterator[Flask]:
    with app_at_revision(empty_database, tmp_path, JOBS.down_revision) as app:
        yield app


def add_job(conn: sa.Connection, reviewer_id: int, status: str = "queued") -> None:
    conn.execute(
        sa.text(
            "INSERT INTO jobs (kind, params, status, started_by_id, attempts, next_attempt_at, "
            "progress_done, created_at) VALUES ('impact_preview', :params, :status, :who, 0, "
            ":now, 0, :now)"
        ),
        {
            "params": '{"version": "abc123", "status": "open"}',
            "status": status,
            "who": reviewer_id,
            "now": NOW,
        },
    )


def test_upgrade_keeps_every_row_and_adds_the_jobs_table(old_app):
    with db.engine.begin() as conn:
        fill_previous_release(conn)
    with db.engine.connect() as conn:
        before = snapshot(conn)
        assert "jobs" not in sa.inspect(conn).get_table_names()

    flask_migrate.upgrade(revision=JOBS.revision)
    with db.engine.begin() as conn:
        assert snapshot(conn) == before
        reviewer = conn.execute(sa.text("SELECT id FROM reviewers")).scalar_one()
        add_job(conn, reviewer)
        indexes = {index["name"] for index in sa.inspect(conn).get_indexes("jobs")}
        assert {"ix_jobs_due", "ix_jobs_started_by_id"} <= indexes
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        add_job(conn, reviewer, status="lost")
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        add_job(conn, reviewer + 1000)

    flask_migrate.downgrade(revision=JOBS.down_revision)
    with db.engine.connect() as conn:
        assert "jobs" not in sa.inspect(conn).get_table_names()
        assert snapshot(conn) == before
