"""Migration 0005_rule_sets upgrades a database filled by the previous release: every row is
kept, every queue starts in service, no rule set is stored until the app publishes RULES_DIR."""

from __future__ import annotations

import datetime as dt

import flask_migrate
import sqlalchemy as sa

from donations_app import create_app
from donations_app.extensions import db
from tests.migrations import migration

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
TABLES = ("reviewers", "offers", "items", "evaluations", "findings", "audit_events", "queues")


def previous_revision() -> str:
    return migration("0005_rule_sets.py").down_revision


def value_for(column: sa.Column) -> object:
    """A plain value for a required column this test does not name (added by a later release)."""
    kind = column.type.python_type if hasattr(column.type, "python_type") else str
    samples = {bool: True, int: 1, dt.datetime: NOW, dt.date: NOW.date(), dict: {}, list: []}
    return samples.get(kind, "x")


def insert(conn: sa.Connection, table: str, **values: object) -> int:
    """Insert a row with `values`, filling other required columns the way the old app would."""
    reflected = sa.Table(table, sa.MetaData(), autoload_with=conn)
    for column in reflected.columns:
        needed = not column.nullable and column.server_default is None
        if needed and column.name not in values and not column.primary_key:
            values[column.name] = value_for(column)
    return conn.execute(reflected.insert().values(**values)).inserted_primary_key[0]


def fill_previous_release(conn: sa.Connection) -> None:
    reviewer = insert(
        conn,
        "reviewers",
        email="rita@state.example.gov",
        name="Rita",
        password_hash="h",
        role="lead",
        active=True,
        failed_logins=0,
        created_at=NOW,
        session_token="t" * 32,
    )
    queue = conn.execute(sa.text("SELECT id FROM queues WHERE slug = 'legal'")).scalar_one()
    offer = insert(
        conn,
        "offers",
        reference="UA-2026-000001",
        public_id="p" * 32,
        status="in_review",
        outcome="review",
        queue_id=queue,
        assignee_id=reviewer,
        source="web",
        agency_name="Springfield PD",
        agency_type="municipal_police",
        agency_state="IL",
        agency_city="Springfield",
        contact_name="Pat Doe",
        contact_title="Quartermaster",
        contact_email="pat@springfield.example.gov",
        recipient="sbgs",
        authority_confirmed=True,
        pickup_zip="62701",
        ruleset_version="0123456789abcdef",
        submitted_at=NOW,
        updated_at=NOW,
        version=1,
    )
    item = insert(
        conn,
        "items",
        offer_id=offer,
        position=0,
        category="body_armor",
        description="Level IIIA vests",
        quantity=40,
        condition="good",
        acquired_via="bvp",
        serial_numbers=[],
        outcome="review",
        version=1,
    )
    evaluation = insert(
        conn,
        "evaluations",
        offer_id=offer,
        ruleset_version="0123456789abcdef",
        as_of=NOW.date(),
        outcome="review",
        queue_slug="legal",
        trigger="submission",
        created_at=NOW,
    )
    insert(
        conn,
        "findings",
        evaluation_id=evaluation,
        item_id=item,
        rule_id="ARMOR-BVP",
        outcome="review",
        message="BVP-funded",
        fix="Ask legal",
        reference="BVP terms",
        tags=["legal"],
        values={"acquired_via": "bvp"},
    )
    insert(
        conn,
        "audit_events",
        offer_id=offer,
        actor_type="donor",
        actor_label="",
        action="submitted",
        reason="",
        ruleset_version="0123456789abcdef",
        data={},
        visible_to_donor=True,
        created_at=NOW,
    )


def row_counts(conn: sa.Connection) -> dict[str, int]:
    return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def test_upgrade_keeps_every_row_of_the_previous_release(empty_database, tmp_path):
    app = create_app(
        {
            "APP_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": empty_database,
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    with app.app_context():
        flask_migrate.upgrade(revision=previous_revision())
        with db.engine.begin() as conn:
            fill_previous_release(conn)
            before = row_counts(conn)
        flask_migrate.upgrade(revision="0005_rule_sets")
        with db.engine.connect() as conn:
            assert row_counts(conn) == before
            assert conn.execute(sa.text("SELECT count(*) FROM rule_sets")).scalar_one() == 0
            assert not any(conn.execute(sa.text("SELECT retired FROM queues")).scalars())
            offer = conn.execute(
                sa.text(
                    "SELECT q.slug, o.ruleset_version FROM offers o "
                    "JOIN queues q ON q.id = o.queue_id"
                )
            ).one()
            assert tuple(offer) == ("legal", "0123456789abcdef")
        flask_migrate.upgrade()
    client = app.test_client()
    served = client.get("/healthz").get_json()["ruleset"]["version"]
    with app.app_context(), db.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT version FROM rule_sets")).scalars().all()
        assert stored == [served]
        db.engine.dispose()
