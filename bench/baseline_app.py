"""The bare baseline of `bench_intake.py`: Flask + SQLAlchemy Core, nothing else.

It parses the same JSON offer and inserts the same rows as the service's API for an offer whose
items are all accepted (a reference number, the offer, its items, an evaluation, an audit event
and an outbox mail), in one transaction, into the same tables (reflected from a database migrated
by the service's own migrations). No validation beyond reading the fields, no rule engine, no
templates: the floor a Flask + SQLAlchemy service cannot go below.

    DATABASE_URL=sqlite:////tmp/x.sqlite3 gunicorn -w 2 'bench.baseline_app:create_app()'
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import sqlite3
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, jsonify, request

ITEM_FIELDS = (
    "category",
    "description",
    "quantity",
    "condition",
    "acquired_via",
    "manufacturer",
    "model",
    "unit_value_usd",
    "protection_level",
    "damaged",
    "armored",
    "encrypted",
    "storage_sanitized",
    "insignia_removed",
    "voltage",
)
DATES = ("manufactured_on", "expires_on")


def _engine(url: str) -> sa.Engine:
    if url.startswith("postgresql://"):  # psycopg 3, as the service
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = sa.create_engine(url)
    if url.startswith("sqlite"):

        @sa.event.listens_for(engine, "connect")
        def pragmas(connection: sqlite3.Connection, _record: Any) -> None:  # the service's own
            for pragma in (
                "journal_mode=WAL",
                "foreign_keys=ON",
                "busy_timeout=30000",
                "synchronous=NORMAL",
            ):
                connection.execute(f"PRAGMA {pragma}")

    return engine


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def create_app() -> Flask:
    app = Flask(__name__)
    engine = _engine(os.environ["DATABASE_URL"])
    meta = sa.MetaData()
    names = (
        "reference_numbers",
        "offers",
        "items",
        "evaluations",
        "audit_events",
        "outbox_messages",
    )
    tables = {name: sa.Table(name, meta, autoload_with=engine) for name in names}
    queues = sa.Table("queues", meta, autoload_with=engine)
    with engine.connect() as conn:  # the queue the service routes these offers to
        queue_id = conn.scalar(sa.select(queues.c.id).where(queues.c.slug == "sbgs-desk"))

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    @app.post("/api/v1/offers")
    def create_offer() -> tuple[Response, int]:
        body = json.loads(request.get_data(), parse_float=Decimal)
        agency, contact, pickup = body["agency"], body["contact"], body["pickup"]
        now = dt.datetime.now(dt.UTC)
        with engine.begin() as conn:
            number = conn.execute(
                sa.insert(tables["reference_numbers"])
                .values(year=now.year, created_at=now)
                .returning(tables["reference_numbers"].c.id)
            ).scalar_one()
            reference = f"UA-{now.year}-{number:06d}"
            offer_id = conn.execute(
                sa.insert(tables["offers"])
                .values(
                    reference=reference,
                    public_id=secrets.token_urlsafe(24),
                    status="queued",
                    outcome="accepted",
                    queue_id=queue_id,
                    source="api",
                    agency_name=agency["name"],
                    agency_type=agency["type"],
                    agency_ori=agency.get("ori"),
                    agency_state=agency["state"],
                    agency_city=agency["city"],
                    contact_name=contact["name"],
                    contact_title=contact.get("title") or "",
                    contact_email=contact["email"],
                    contact_phone=contact.get("phone"),
                    recipient=body["recipient"],
                    authority_confirmed=body["authority_confirmed"],
                    pickup_zip=pickup["zip"],
                    pickup_available_from=_date(pickup.get("available_from")),
                    ruleset_version="baseline",
                    submitted_at=now,
                    updated_at=now,
                    version=1,
                    status_link_version=1,
                )
                .returning(tables["offers"].c.id)
            ).scalar_one()
            conn.execute(
                sa.insert(tables["items"]),
                [
                    {
                        **{name: line.get(name) for name in ITEM_FIELDS},
                        **{name: _date(line.get(name)) for name in DATES},
                        "serial_numbers": json.dumps(line.get("serial_numbers") or []),
                        "answers": "{}",
                        "offer_id": offer_id,
                        "position": position,
                        "outcome": "accept",
                        "version": 1,
                    }
                    for position, line in enumerate(body["items"])
                ],
            )
            conn.execute(
                sa.insert(tables["evaluations"]).values(
                    offer_id=offer_id,
                    ruleset_version="baseline",
                    as_of=now.date(),
                    outcome="accepted",
                    queue_slug="sbgs-desk",
                    trigger="submission",
                    created_at=now,
                )
            )
            conn.execute(
                sa.insert(tables["audit_events"]).values(
                    offer_id=offer_id,
                    actor_type="api",
                    actor_label="",
                    action="submitted",
                    to_status="queued",
                    reason="",
                    data=json.dumps({"items": len(body["items"])}),
                    visible_to_donor=True,
                    created_at=now,
                )
            )
            conn.execute(
                sa.insert(tables["outbox_messages"]).values(
                    kind="confirmation",
                    to_address=contact["email"],
                    subject=f"Offer {reference}",
                    body_text=f"Received {reference}.\n",
                    offer_id=offer_id,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
        return jsonify(
            reference=reference,
            status="queued",
            outcome="accepted",
            queue="sbgs-desk",
            items=[
                {"index": i, "outcome": "accept", "findings": []} for i in range(len(body["items"]))
            ],
        ), 201

    return app
