"""Migration 0006 keeps every row of the previous release and its other constraints and indexes.

A fresh database is migrated to the revision before 0006 (read from the migration module, so
the test works wherever 0006 sits in the chain), filled with offers, items, evaluations,
findings, decisions, notes, audit events, mail and accounts by SQL, then upgraded.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import DataError, IntegrityError

from donations_app.extensions import db
from tests.migrations import app_at_revision, migration

NOW = dt.datetime(2026, 11, 2, 9, 30)
TABLES = (
    "reviewers",
    "offers",
    "items",
    "evaluations",
    "findings",
    "item_decisions",
    "notes",
    "audit_events",
    "outbox_messages",
)


@pytest.fixture
def old_app(empty_database: str, tmp_path: Path) -> Iterator[Flask]:
    with app_at_revision(
        empty_database, tmp_path, migration("0006_catalog_answers.py").down_revision
    ) as app:
        yield app


def _filler(column: dict) -> Any:
    """A value for a required column this test does not know (added by a later revision)."""
    kind = column["type"]
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer | sa.Numeric):
        return 0
    if isinstance(kind, sa.DateTime):
        return NOW
    if isinstance(kind, sa.Date):
        return NOW.date()
    if isinstance(kind, sa.JSON):
        return "{}"
    return "x"


def insert(conn: sa.Connection, table: str, row: dict) -> int:
    """Insert a row with the columns the table has at this revision; returns its id."""
    columns = {c["name"]: c for c in sa.inspect(conn).get_columns(table)}
    values = {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in row.items()}
    values = {k: v for k, v in values.items() if k in columns and k != "id"}
    for name, column in columns.items():
        needed = not column["nullable"] and column.get("default") is None
        if needed and name not in values and name != "id":
            values[name] = _filler(column)
    names = ", ".join(f'"{name}"' for name in values)
    marks = ", ".join(f":{name}" for name in values)
    conn.execute(sa.text(f"INSERT INTO {table} ({names}) VALUES ({marks})"), values)
    return conn.execute(sa.text(f"SELECT max(id) FROM {table}")).scalar_one()


def fill_previous_release(conn: sa.Connection) -> None:
    """Two offers as the previous release stored them, with everything that hangs off them."""
    queue = conn.execute(sa.text("SELECT id FROM queues ORDER BY id")).scalars().first()
    rita = insert(
        conn,
        "reviewers",
        {
            "email": "rita@state.example.gov",
            "name": "Rita",
            "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
            "role": "reviewer",
            "active": True,
            "failed_logins": 0,
            "created_at": NOW,
            "session_token": "token-rita",
        },
    )
    for number, (voltage, level) in enumerate((("230", None), (None, "IIIA")), start=1):
        offer = insert(
            conn,
            "offers",
            {
                "reference": f"UA-2026-00000{number}",
                "public_id": f"public-{number}",
                "status": "in_review",
                "outcome": "review",
                "queue_id": queue,
                "assignee_id": rita,
                "source": "web",
                "agency_name": "Springfield Police Department",
                "agency_type": "municipal_police",
                "agency_state": "IL",
                "agency_city": "Springfield",
                "contact_name": "Pat Doe",
                "contact_title": "Quartermaster",
                "contact_email": "pat@springfield.example.gov",
                "recipient": "sbgs",
                "authority_confirmed": True,
                "pickup_zip": "62701",
                "ruleset_version": "abc123",
                "total_value_usd": "7000.00",
                "submitted_at": NOW,
                "updated_at": NOW,
                "version": 1,
            },
        )
        item = insert(
            conn,
            "items",
            {
                "offer_id": offer,
                "position": 0,
                "category": "radio" if voltage else "helmet",
                "description": "Handheld radios" if voltage else "ACH helmets",
                "quantity": 100000,
                "condition": "good",
                "acquired_via": "own_funds",
                "manufactured_on": dt.date(2020, 1, 1),
                "unit_value_usd": "70.00",
                "serial_numbers": ["SN-1", "SN-2"],
                "expires_on": None if voltage else dt.date(2030, 1, 1),
                "protection_level": level,
                "encrypted": False if voltage else None,
                "voltage": voltage,
                "outcome": "review",
                "decision": "approved",
                "decision_reason": "Fits the need list",
                "decided_by_id": rita,
                "decided_at": NOW,
                "version": 2,
            },
        )
        evaluation = insert(
            conn,
            "evaluations",
            {
                "offer_id": offer,
                "ruleset_version": "abc123",
                "as_of": NOW.date(),
                "outcome": "review",
                "queue_slug": "sbgs-desk",
                "trigger": "submission",
                "created_at": NOW,
            },
        )
        insert(
            conn,
            "findings",
            {
                "evaluation_id": evaluation,
                "item_id": item,
                "rule_id": "RADIO-ENCRYPTION",
                "outcome": "review",
                "message": "A specialist checks the radio.",
                "fix": "",
                "reference": "EAR",
                "tags": ["export_control"],
                "values": {"encrypted": False},
            },
        )
        insert(
            conn,
            "item_decisions",
            {
                "item_id": item,
                "reviewer_id": rita,
                "decision": "approved",
                "reason": "Fits",
                "created_at": NOW,
            },
        )
        insert(
            conn,
            "notes",
            {"offer_id": offer, "author_id": rita, "body": "Call the donor", "created_at": NOW},
        )
        insert(
            conn,
            "audit_events",
            {
                "offer_id": offer,
                "actor_type": "donor",
                "actor_label": "pat@springfield.example.gov",
                "action": "submitted",
                "to_status": "queued",
                "reason": "",
                "ruleset_version": "abc123",
                "data": {"items": 1},
                "visible_to_donor": True,
                "created_at": NOW,
            },
        )
        insert(
            conn,
            "outbox_messages",
            {
                "kind": "confirmation",
                "to_address": "pat@springfield.example.gov",
                "subject": "Offer received",
                "body_text": "Thank you",
                "offer_id": offer,
                "status": "sent",
                "attempts": 1,
                "next_attempt_at": NOW,
                "created_at": NOW,
                "sent_at": NOW,
            },
        )


def snapshot(conn: sa.Connection) -> dict[str, list[dict]]:
    """Every row of the filled tables, by id, with JSON values decoded."""

    def plain(value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) and value[:1] in ("[", "{") else value

    return {
        table: [
            {key: plain(value) for key, value in row.items()}
            for row in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY id")).mappings()
        ]
        for table in TABLES
    }


def schema_parts(conn: sa.Connection) -> dict[str, Any]:
    inspector = sa.inspect(conn)
    return {
        table: (
            sorted(index["name"] for index in inspector.get_indexes(table)),
            sorted(str(fk["name"]) for fk in inspector.get_foreign_keys(table)),
            sorted(str(uq["name"]) for uq in inspector.get_unique_constraints(table)),
        )
        for table in ("offers", "items", "findings", "item_decisions")
    }


def test_upgrade_keeps_every_row_and_constraint_and_frees_the_catalog_answers(old_app, backend):
    with db.engine.begin() as conn:
        fill_previous_release(conn)
    with db.engine.connect() as conn:
        before, parts_before = snapshot(conn), schema_parts(conn)

    flask_migrate.upgrade(revision=migration("0006_catalog_answers.py").revision)
    db.engine.dispose()

    with db.engine.connect() as conn:
        after, parts_after = snapshot(conn), schema_parts(conn)
    assert {t: len(rows) for t, rows in after.items()} == {
        t: 1 if t == "reviewers" else 2 for t in TABLES
    }
    for table in TABLES:
        kept = [{k: v for k, v in row.items() if k != "answers"} for row in after[table]]
        assert kept == before[table], table
    assert [row["answers"] for row in after["items"]] == [{}, {}]
    assert parts_after == parts_before

    offer_id, rita = before["offers"][0]["id"], before["reviewers"][0]["id"]
    with db.engine.begin() as conn:
        # What the catalog may now add is stored...
        insert(
            conn,
            "items",
            {
                **before["items"][0],
                "position": 5,
                "voltage": "12",
                "condition": "refurbished_by_the_manufacturer",
                "protection_level": "NIJ-0101.07-HG2",
                "quantity": 250000,
                "answers": {"battery_capacity_wh": "99.50"},
            },
        )
        conn.execute(
            sa.text("UPDATE offers SET agency_type = 'port_authority' WHERE id = :id"),
            {"id": offer_id},
        )
    # ...and the workflow's own codes and the other rules are still enforced.
    refused = [
        ("items", {"outcome": "bogus"}),
        ("items", {"decision": "perhaps"}),
        ("items", {"quantity": 0}),
        ("items", {"position": 0}),
        ("items", {"manufactured_on": dt.date(2031, 1, 1)}),
        ("items", {"offer_id": 999999}),
        ("items", {"decided_by_id": 999999}),
    ]
    for table, change in refused:
        with pytest.raises((IntegrityError, DataError)), db.engine.begin() as conn:
            insert(conn, table, {**before["items"][1], "position": 9, **change})
            pytest.fail(f"{table} took {change}")
    for column, value in (("status", "lost"), ("recipient", "army"), ("outcome", "maybe")):
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(
                sa.text(f"UPDATE offers SET {column} = :value WHERE id = :id"),
                {"value": value, "id": offer_id},
            )
    # Deleting an item still cascades to its findings and decisions (foreign keys kept).
    with db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM items WHERE id = :id"), {"id": before["items"][0]["id"]})
    with db.engine.connect() as conn:
        left = snapshot(conn)
    assert [row["item_id"] for row in left["findings"]] == [before["items"][1]["id"]]
    assert [row["item_id"] for row in left["item_decisions"]] == [before["items"][1]["id"]]
    assert rita in {row["id"] for row in left["reviewers"]}


def test_downgrade_refuses_answers_the_old_schema_cannot_hold(old_app):
    with db.engine.begin() as conn:
        fill_previous_release(conn)
    flask_migrate.upgrade(revision=migration("0006_catalog_answers.py").revision)
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE items SET voltage = '12'"))
    with pytest.raises(SystemExit):  # Flask-Migrate logs the error and exits
        flask_migrate.downgrade(revision=migration("0006_catalog_answers.py").down_revision)
    with db.engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert version == migration("0006_catalog_answers.py").revision
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE items SET voltage = '230'"))
    flask_migrate.downgrade(revision=migration("0006_catalog_answers.py").down_revision)
    with db.engine.begin() as conn, pytest.raises(IntegrityError):
        conn.execute(sa.text("UPDATE items SET voltage = '12'"))
    with db.engine.connect() as conn:
        assert len(snapshot(conn)["findings"]) == 2
