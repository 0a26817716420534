"""Migration 0009 indexes the rows of the previous release: after the upgrade, its offers are
found by reference, agency, e-mail, item text and serial number, on SQLite (FTS5 tables filled
by 'rebuild') and PostgreSQL (trigram indexes); later writes keep the index in step."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask

from donations_app.extensions import db
from donations_app.services import search
from tests.catalog_changes.test_migration import fill_previous_release, snapshot
from tests.migrations import app_at_revision, migration

SEARCH_MIGRATION = migration("0009_search_indexes.py")


@pytest.fixture
def old_app(empty_database: str, tmp_path: Path) -> Iterator[Flask]:
    with app_at_revision(empty_database, tmp_path, SEARCH_MIGRATION.down_revision) as app:
        yield app


def found(text: str) -> list[str]:
    filters = search.OfferFilters(text=text, sort="reference", direction="asc")
    return [row.reference for row in search.list_offers(filters).rows]


def test_previous_rows_are_searchable_after_the_upgrade(old_app, backend):
    with db.engine.begin() as conn:
        fill_previous_release(conn)
        before = snapshot(conn)
    flask_migrate.upgrade(revision=SEARCH_MIGRATION.revision)
    with db.engine.connect() as conn:
        assert snapshot(conn) == before  # nothing but indexes was added
    both = ["UA-2026-000001", "UA-2026-000002"]
    assert found("ua-2026-000002") == ["UA-2026-000002"]
    assert found("springfield police") == both
    assert found("PAT@springfield") == both
    assert found("handheld radio") == ["UA-2026-000001"]
    assert found("ach helmet") == ["UA-2026-000002"]
    assert found("sn-2") == both
    assert found("no such thing") == []
    # Writes after the upgrade keep the index in step.
    db.session.execute(
        sa.text("UPDATE items SET description = 'Riot shields' WHERE description = 'ACH helmets'")
    )
    db.session.commit()
    assert found("ach helmet") == []
    assert found("riot shield") == ["UA-2026-000002"]


def test_the_downgrade_removes_the_indexes(old_app, backend):
    flask_migrate.upgrade(revision=SEARCH_MIGRATION.revision)
    flask_migrate.downgrade(revision=SEARCH_MIGRATION.down_revision)
    with db.engine.connect() as conn:
        inspector = sa.inspect(conn)
        names = {
            index["name"] for table in ("offers", "items") for index in inspector.get_indexes(table)
        }
        assert not any(name.endswith("_trgm") for name in names)
        assert not [t for t in inspector.get_table_names() if t.startswith("search_")]
