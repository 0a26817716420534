"""Migration 0013 points every offer of the previous release at its latest evaluation, keeps
every row, and from then on the database triggers keep offers.evaluation_id in step with
evaluations being added and removed, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask

from donations_app.extensions import db
from donations_app.services import search
from tests.catalog_changes.test_migration import NOW, fill_previous_release, insert, snapshot
from tests.migrations import app_at_revision, migration

LIST_SPEED = migration("0013_list_speed.py")


@pytest.fixture
def old_app(empty_database: str, tmp_path: Path) -> Iterator[Flask]:
    with app_at_revision(empty_database, tmp_path, LIST_SPEED.down_revision) as app:
        yield app


def evaluate(conn: sa.Connection, offer_id: int, rules: list[str]) -> int:
    """A newer evaluation of the offer firing `rules` on its first item; its id."""
    evaluation = insert(
        conn,
        "evaluations",
        {
            "offer_id": offer_id,
            "ruleset_version": "def456",
            "as_of": NOW.date(),
            "outcome": "review",
            "trigger": "reevaluation",
            "created_at": NOW,
        },
    )
    item = conn.execute(
        sa.text("SELECT min(id) FROM items WHERE offer_id = :offer"), {"offer": offer_id}
    ).scalar_one()
    for rule in rules:
        insert(
            conn,
            "findings",
            {
                "evaluation_id": evaluation,
                "item_id": item,
                "rule_id": rule,
                "outcome": "review",
                "message": "fired",
                "fix": "",
                "reference": "",
                "tags": [],
                "values": {},
            },
        )
    return evaluation


def current(conn: sa.Connection) -> dict[str, int | None]:
    rows = conn.execute(sa.text("SELECT reference, evaluation_id FROM offers ORDER BY id"))
    return {reference: evaluation for reference, evaluation in rows}


def fired(rule: str) -> list[str]:
    filters = search.OfferFilters(rule=rule, sort="reference", direction="asc")
    return [row.reference for row in search.list_offers(filters).rows]


def test_offers_point_at_their_latest_evaluation_after_the_upgrade(old_app, backend):
    with db.engine.begin() as conn:
        fill_previous_release(conn)  # two offers, one evaluation each (RADIO-ENCRYPTION)
        first, second = conn.execute(sa.text("SELECT id FROM offers ORDER BY id")).scalars()
        # The first offer was evaluated three times; its latest evaluation fires MARKINGS only.
        evaluate(conn, first, ["NEED-LIST"])
        latest_first = evaluate(conn, first, ["MARKINGS"])
        # An offer without any evaluation (none is stored yet when it is written).
        insert(
            conn,
            "offers",
            {
                "reference": "UA-2026-000003",
                "public_id": "public-3",
                "status": "queued",
                "outcome": "review",
                "source": "web",
                "agency_name": "Salem Police Department",
                "agency_type": "municipal_police",
                "agency_state": "OR",
                "agency_city": "Salem",
                "contact_name": "Sam Doe",
                "contact_title": "",
                "contact_email": "sam@salem.example.gov",
                "recipient": "npu",
                "authority_confirmed": True,
                "pickup_zip": "97301",
                "ruleset_version": "abc123",
                "submitted_at": NOW,
                "updated_at": NOW,
                "version": 1,
            },
        )
        latest_second = conn.execute(
            sa.text("SELECT max(id) FROM evaluations WHERE offer_id = :o"), {"o": second}
        ).scalar_one()
    with db.engine.connect() as conn:
        before = snapshot(conn)

    flask_migrate.upgrade(revision=LIST_SPEED.revision)
    db.engine.dispose()

    with db.engine.connect() as conn:
        after = snapshot(conn)
        assert current(conn) == {
            "UA-2026-000001": latest_first,
            "UA-2026-000002": latest_second,
            "UA-2026-000003": None,
        }
        names = {index["name"] for index in sa.inspect(conn).get_indexes("offers")}
    # Nothing was lost: every row is the same but for the new column.
    for row in after["offers"]:
        row.pop("evaluation_id")
    assert after == before
    assert {"ix_offers_submitted_id", "ix_offers_state_recipient_submitted"} <= names
    assert not {"ix_offers_submitted_at", "ix_offers_agency_state"} & names
    # "Rule fired" reads the latest evaluation only.
    assert fired("MARKINGS") == ["UA-2026-000001"]
    assert fired("NEED-LIST") == []
    assert fired("RADIO-ENCRYPTION") == ["UA-2026-000002"]


def test_the_triggers_follow_evaluations_added_and_removed(old_app, backend):
    with db.engine.begin() as conn:
        fill_previous_release(conn)
    flask_migrate.upgrade(revision=LIST_SPEED.revision)
    db.engine.dispose()
    with db.engine.begin() as conn:
        first = conn.execute(sa.text("SELECT min(id) FROM offers")).scalar_one()
        original = current(conn)["UA-2026-000001"]
        newer = evaluate(conn, first, ["MARKINGS"])
        assert current(conn)["UA-2026-000001"] == newer
        # An older evaluation removed: the current one stays.
        older = evaluate(conn, first, [])
        conn.execute(sa.text("DELETE FROM evaluations WHERE id = :id"), {"id": older})
        assert current(conn)["UA-2026-000001"] == newer
        # The latest removed: the one before it is current again.
        conn.execute(sa.text("DELETE FROM findings WHERE evaluation_id = :id"), {"id": newer})
        conn.execute(sa.text("DELETE FROM evaluations WHERE id = :id"), {"id": newer})
        assert current(conn)["UA-2026-000001"] == original
        # The last one removed: none.
        conn.execute(sa.text("DELETE FROM findings WHERE evaluation_id = :id"), {"id": original})
        conn.execute(sa.text("DELETE FROM evaluations WHERE id = :id"), {"id": original})
        assert current(conn)["UA-2026-000001"] is None


def test_the_downgrade_restores_the_previous_schema(old_app, backend):
    with db.engine.begin() as conn:
        fill_previous_release(conn)
    with db.engine.connect() as conn:
        before = snapshot(conn)
    flask_migrate.upgrade(revision=LIST_SPEED.revision)
    flask_migrate.downgrade(revision=LIST_SPEED.down_revision)
    db.engine.dispose()
    with db.engine.connect() as conn:
        assert snapshot(conn) == before
        inspector = sa.inspect(conn)
        assert "evaluation_id" not in {column["name"] for column in inspector.get_columns("offers")}
        names = {index["name"] for index in inspector.get_indexes("offers")}
        assert {"ix_offers_submitted_at", "ix_offers_agency_state"} <= names
    # The search index of 0009 still follows the offers (SQLite rebuilt the table).
    db.session.execute(sa.text("UPDATE offers SET agency_name = 'Salem Sheriff' WHERE id = 1"))
    db.session.commit()
    found = search.list_offers(search.OfferFilters(text="salem sheriff")).rows
    assert [row.reference for row in found] == ["UA-2026-000001"]
