"""Migration 0012 gives jobs a file (key, name, type, size, expiry) and keeps every row of the
previous release, jobs included: they come through with no file."""

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
from tests.jobs.test_migration import add_job
from tests.migrations import app_at_revision, migration

JOB_FILES = migration("0012_job_files.py")
FILE_COLUMNS = ("file_key", "file_name", "file_content_type", "file_size", "file_expires_at")


@pytest.fixture
def old_app(empty_database: str, tmp_path: Path) -> Iterator[Flask]:
    with app_at_revision(empty_database, tmp_path, JOB_FILES.down_revision) as app:
        yield app


def jobs_rows(conn: sa.Connection) -> list[dict]:
    return [dict(row) for row in conn.execute(sa.text("SELECT * FROM jobs ORDER BY id")).mappings()]


def test_upgrade_keeps_every_row_and_gives_jobs_a_file(old_app):
    with db.engine.begin() as conn:
        fill_previous_release(conn)
        reviewer = conn.execute(sa.text("SELECT id FROM reviewers")).scalar_one()
        add_job(conn, reviewer)
        add_job(conn, reviewer, status="done")
    with db.engine.connect() as conn:
        before, jobs_before = snapshot(conn), jobs_rows(conn)
    assert len(jobs_before) == 2

    flask_migrate.upgrade(revision=JOB_FILES.revision)
    with db.engine.begin() as conn:
        assert snapshot(conn) == before
        after = jobs_rows(conn)
        assert [{k: v for k, v in row.items() if k not in FILE_COLUMNS} for row in after] == (
            jobs_before
        )
        assert all(row[column] is None for row in after for column in FILE_COLUMNS)
        indexes = {index["name"] for index in sa.inspect(conn).get_indexes("jobs")}
        assert {"ix_jobs_due", "ix_jobs_started_by_id", "ix_jobs_file_expires_at"} <= indexes
        conn.execute(
            sa.text(
                "UPDATE jobs SET file_key = 'k', file_name = 'offers.csv', "
                "file_content_type = 'text/csv', file_size = 0, file_expires_at = :now"
            ),
            {"now": NOW},
        )
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE jobs SET file_size = -1"))

    flask_migrate.downgrade(revision=JOB_FILES.down_revision)
    with db.engine.connect() as conn:
        assert snapshot(conn) == before
        columns = {column["name"] for column in sa.inspect(conn).get_columns("jobs")}
        assert not columns & set(FILE_COLUMNS)
        assert len(jobs_rows(conn)) == 2
