"""The cost of a submission does not grow with its items: a constant number of SQL statements.

Counted with SQLAlchemy's `before_cursor_execute` event over the whole API request (an
executemany or a multi-row INSERT is one statement). Measured, SQLite and PostgreSQL alike, at
1, 5 and 40 items: 8 statements without an Idempotency-Key (the queue's id, the reference number,
the offer, its evaluation, the items in one INSERT ... RETURNING, the findings in one INSERT, the
audit event, the outbox mail) and 11 with one (the view's look-up of an earlier answer, the key
claimed, the same 8, the key's answer stored). When no rule fired on any item there are no
findings to insert: 7. Before this change the same submissions took 14 statements at 1 item and
91 at 40 on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask

from donations_app.extensions import db
from donations_app.models import Finding, Item, Offer
from donations_app.services.offers import find_offer, offer_result
from tests.api.bodies import item_body, offer_body

ARMOR = {
    "category": "body_armor",
    "description": "Level IIIA vests",
    "quantity": 4,
    "condition": "good",
    "acquired_via": "own_funds",
    "protection_level": "IIIA",
    "expires_on": "2031-06-30",
    "damaged": False,
    "unit_value_usd": "350.00",
}


@contextmanager
def counted(app: Flask) -> Iterator[list[str]]:
    """The SQL statements sent to the database inside the block."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _executemany) -> None:
        statements.append(" ".join(statement.split()[:3]))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def _submit(client, app: Flask, items: list[dict], key: str | None = None) -> tuple[dict, list]:
    headers = {"Idempotency-Key": key} if key else {}
    with counted(app) as statements:
        response = client.post("/api/v1/offers", json=offer_body(items=items), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json(), statements


@pytest.mark.parametrize(
    ("line", "expected"),
    [(ARMOR, 8), (item_body(), 7)],
    ids=["with findings", "no rule fired"],
)
def test_statements_per_submission_do_not_grow_with_items(client, app, line, expected):
    _submit(client, app, [dict(line)])  # the first request also publishes the shipped rules
    counts = {}
    for size in (1, 5, 40):
        answer, statements = _submit(client, app, [dict(line) for _ in range(size)])
        counts[size] = len(statements)
        assert len(answer["items"]) == size
    assert counts == {1: expected, 5: expected, 40: expected}, counts


def test_idempotent_submission_statements_are_constant_too(client, app):
    _submit(client, app, [dict(ARMOR)])
    counts = {
        size: len(_submit(client, app, [dict(ARMOR)] * size, key=f"key-{size}")[1])
        for size in (1, 5, 40)
    }
    assert counts == {1: 11, 5: 11, 40: 11}, counts


def test_the_answer_built_before_commit_is_what_was_stored(client, app):
    lines = [dict(ARMOR), item_body(), dict(ARMOR, quantity=900), item_body(category="medical")]
    answer, _ = _submit(client, app, lines)
    with app.test_request_context():
        public_id = db.session.scalar(
            sa.select(Offer.public_id).where(Offer.reference == answer["reference"])
        )
        offer = find_offer(public_id)
        assert offer is not None
        assert answer == offer_result(offer)
        assert [item.position for item in offer.items] == [0, 1, 2, 3]
        assert [item.outcome for item in offer.items] == [i["outcome"] for i in answer["items"]]
        flagged = db.session.scalars(
            sa.select(Item.position).join(Finding, Finding.item_id == Item.id)
        ).all()
        assert set(flagged) == {i["index"] for i in answer["items"] if i["findings"]}
