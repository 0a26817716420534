"""Storing a new evaluation of a stored offer (re-checks, info answers) costs a constant number
of SQL statements whatever its item count: the evaluation, one UPDATE of every item whose
outcome changed (a CASE on the ids, each item's version checked), the offer's UPDATE and one
INSERT of all findings: 4 at 1 item and at 40, SQLite and PostgreSQL alike (before: one UPDATE
per item and one INSERT per finding)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from donations_app.api.schemas import load_offer
from donations_app.extensions import db
from donations_app.models import Finding, Item, Offer
from donations_app.services.offer_body import offer_body as stored_body
from donations_app.services.offers import store_evaluation, submit_offer
from donations_app.services.rules import active_ruleset
from donations_app.services.transaction import ConcurrentChange, transaction
from tests.api.bodies import item_body, offer_body
from tests.api.test_statement_count import counted

AFTER_EXPIRY = dt.date(2031, 6, 1)  # the kits expire on 2031-01-31: every item is refused


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def _stored(size: int) -> Offer:
    offer = submit_offer(load_offer(offer_body(items=[item_body()] * size)))
    db.session.expire_all()
    loaded = db.session.scalar(
        sa.select(Offer)
        .where(Offer.id == offer.id)
        .options(selectinload(Offer.items), selectinload(Offer.evaluations))
    )
    assert loaded is not None
    return loaded


@pytest.mark.parametrize("size", [1, 40])
def test_a_new_evaluation_is_stored_in_four_statements(app, ctx, size):
    offer = _stored(size)
    result = active_ruleset().evaluate(stored_body(offer), AFTER_EXPIRY)
    assert {item.outcome for item in result.items} == {"reject"}
    with counted(app) as statements, transaction():
        store_evaluation(offer, result, "reevaluation", route=False)
    assert len(statements) == 4, statements
    db.session.expire_all()
    items = db.session.scalars(sa.select(Item).where(Item.offer_id == offer.id)).all()
    assert [(item.outcome, item.version) for item in items] == [("reject", 2)] * size
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Finding)) == size
    assert db.session.get(Offer, offer.id).outcome == "rejected"


def test_an_item_changed_meanwhile_is_a_conflict_and_nothing_is_stored(ctx):
    offer = _stored(2)
    result = active_ruleset().evaluate(stored_body(offer), AFTER_EXPIRY)
    # As if this copy were read before a reviewer's decision bumped the item's version.
    set_committed_value(offer.items[1], "version", 0)
    with pytest.raises(ConcurrentChange), transaction():
        store_evaluation(offer, result, "reevaluation", route=False)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Finding)) == 0
    outcomes = db.session.scalars(sa.select(Item.outcome).where(Item.offer_id == offer.id))
    assert list(outcomes) == ["accept", "accept"]
