"""Constraints live in the database, not only in Python; references stay unique under load."""

from __future__ import annotations

import datetime as dt
import re
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DataError, IntegrityError

from donations_app.extensions import db
from donations_app.models import Item, Offer, Queue
from donations_app.services.references import allocate_reference

# PostgreSQL refuses an over-long string before any CHECK runs (DataError); SQLite at the CHECK.
REFUSED = (IntegrityError, DataError)


def offer_row(**overrides) -> dict:
    row = {
        "reference": "UA-2026-000001",
        "public_id": "p-" + overrides.get("reference", "UA-2026-000001"),
        "status": "queued",
        "outcome": "review",
        "source": "web",
        "agency_name": "Springfield Police Department",
        "agency_type": "municipal_police",
        "agency_state": "IL",
        "agency_city": "Springfield",
        "contact_name": "Pat Doe",
        "contact_title": "Quartermaster",
        "contact_email": "pat.doe@springfield.example.gov",
        "recipient": "sbgs",
        "authority_confirmed": True,
        "pickup_zip": "62701",
        "ruleset_version": "v1",
        "submitted_at": dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        "updated_at": dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        "version": 1,
    }
    row.update(overrides)
    return row


def item_row(offer_id: int, **overrides) -> dict:
    row = {
        "offer_id": offer_id,
        "position": 0,
        "category": "helmet",
        "description": "Ballistic helmet, size L",
        "quantity": 10,
        "condition": "good",
        "acquired_via": "own_funds",
        "serial_numbers": [],
        "outcome": "review",
        "version": 1,
    }
    row.update(overrides)
    return row


def insert(table, row: dict) -> int:
    return db.session.execute(
        sa.insert(table).values(**row).returning(table.__table__.c.id)
    ).scalar_one()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()


def test_a_valid_offer_and_item_are_stored(ctx):
    offer_id = insert(Offer, offer_row())
    insert(Item, item_row(offer_id, unit_value_usd=Decimal("120.50")))
    db.session.commit()
    offer = db.session.get(Offer, offer_id)
    assert offer.items[0].unit_value_usd == Decimal("120.50")
    assert offer.submitted_at.tzinfo is not None


@pytest.mark.parametrize(
    "overrides",
    [
        {"status": "lost"},
        {"outcome": "maybe"},
        {"recipient": "army"},
        {"authority_confirmed": False},
        {"agency_name": ""},
        {"agency_state": "ILL"},
        {"contact_name": None},
        {"pickup_zip": None},
    ],
    ids=lambda o: next(iter(o)),
)
def test_offer_constraints_refuse_bad_rows(ctx, overrides):
    with pytest.raises(REFUSED):
        insert(Offer, offer_row(**overrides))


def test_offer_references_are_unique(ctx):
    insert(Offer, offer_row())
    with pytest.raises(IntegrityError):
        insert(Offer, offer_row(public_id="another"))


@pytest.mark.parametrize(
    "overrides",
    [
        {"quantity": 0},
        {"outcome": "maybe"},
        {"decision": "perhaps"},
        {"unit_value_usd": Decimal("-1")},
        {"description": ""},
        {"manufactured_on": dt.date(2026, 1, 2), "expires_on": dt.date(2026, 1, 1)},
    ],
    ids=lambda o: "-".join(o),
)
def test_item_constraints_refuse_bad_rows(ctx, overrides):
    offer_id = insert(Offer, offer_row())
    with pytest.raises(REFUSED):
        insert(Item, item_row(offer_id, **overrides))


def test_item_positions_are_unique_within_an_offer(ctx):
    offer_id = insert(Offer, offer_row())
    insert(Item, item_row(offer_id, position=0))
    with pytest.raises(IntegrityError):
        insert(Item, item_row(offer_id, position=0))


def test_items_need_an_existing_offer(ctx):
    with pytest.raises(IntegrityError):
        insert(Item, item_row(987654))
        db.session.flush()


def test_the_six_routing_queues_are_seeded(ctx, app):
    slugs = set(db.session.scalars(sa.select(Queue.slug)))
    routed = set(app.extensions["rulebook"].active.queues)
    assert routed <= slugs
    assert slugs == {"export-control", "legal", "logistics", "sbgs-desk", "npu-desk", "allocation"}


def test_stale_offer_update_is_refused(ctx, app):
    from sqlalchemy.orm.exc import StaleDataError

    offer_id = insert(Offer, offer_row())
    db.session.commit()
    offer = db.session.get(Offer, offer_id)
    # Another transaction changes the offer first.
    with db.engine.begin() as other:
        other.execute(sa.update(Offer).where(Offer.id == offer_id).values(version=2))
    offer.status = "in_review"
    with pytest.raises(StaleDataError):
        db.session.commit()


def test_reference_format(ctx):
    reference = allocate_reference(dt.date(2026, 3, 1))
    assert re.fullmatch(r"UA-2026-\d{6}", reference)


def test_concurrent_reference_numbers_are_unique(app):
    threads_count, per_thread = 16, 25
    references: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(threads_count)

    def worker() -> None:
        try:
            with app.app_context():
                start.wait()
                for _ in range(per_thread):
                    reference = allocate_reference()
                    db.session.commit()
                    with lock:
                        references.append(reference)
                db.session.remove()
        except BaseException as error:  # collected and reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(references) == threads_count * per_thread
    assert len(set(references)) == len(references)
    assert all(re.fullmatch(r"UA-\d{4}-\d{6}", r) for r in references)


def test_a_rolled_back_reference_leaves_at_most_a_gap(ctx):
    first = allocate_reference()
    db.session.rollback()
    second = allocate_reference()
    db.session.commit()
    assert int(second.rsplit("-", 1)[1]) >= int(first.rsplit("-", 1)[1])
