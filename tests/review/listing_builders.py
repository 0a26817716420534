"""Known offers written straight to the database, for the list, queue and report tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from donations_app.extensions import db
from donations_app.models import Evaluation, Finding, Item, Offer, Queue, Reviewer

NOW = dt.datetime(2026, 3, 18, 12, 0, tzinfo=dt.UTC)  # a Wednesday


def make_offer(
    reference: str,
    *,
    status: str = "queued",
    outcome: str = "review",
    queue: str | None = "sbgs-desk",
    recipient: str = "sbgs",
    agency: str = "Springfield Police Department",
    state: str = "IL",
    submitted_at: dt.datetime = NOW,
    decided_at: dt.datetime | None = None,
    updated_at: dt.datetime | None = None,
    total_value: str | None = None,
    assignee: Reviewer | None = None,
    items: list[tuple[str, str]] | None = None,
    rules: list[str] | None = None,
    decisions: list[str | None] | None = None,
) -> Offer:
    """An offer with item lines (category, description) and one evaluation firing `rules`."""
    queue_id = None
    if queue:
        queue_id = db.session.scalars(sa.select(Queue.id).filter_by(slug=queue)).one()
    offer = Offer(
        reference=reference,
        status=status,
        outcome=outcome,
        queue_id=queue_id,
        assignee_id=assignee.id if assignee else None,
        agency_name=agency,
        agency_type="municipal_police",
        agency_state=state,
        agency_city="Springfield",
        contact_name="Pat Officer",
        contact_email="pat@springfield.example.gov",
        recipient=recipient,
        authority_confirmed=True,
        pickup_zip="62701",
        ruleset_version="test",
        total_value_usd=Decimal(total_value) if total_value is not None else None,
        submitted_at=submitted_at,
        updated_at=updated_at or decided_at or submitted_at,
        decided_at=decided_at,
    )
    for position, (category, description) in enumerate(items or [("medical", "First-aid kit")]):
        decision = (decisions or [])[position] if position < len(decisions or []) else None
        offer.items.append(
            Item(
                position=position,
                category=category,
                description=description,
                quantity=position + 1,
                condition="good",
                acquired_via="own_funds",
                outcome="review",
                decision=decision,
                decided_at=decided_at if decision else None,
            )
        )
    db.session.add(offer)
    db.session.flush()
    evaluation = Evaluation(
        offer_id=offer.id,
        ruleset_version="test",
        as_of=submitted_at.date(),
        outcome=outcome,
        queue_slug=queue,
        trigger="submission",
    )
    _store_evaluation(evaluation, offer, rules or [])
    return offer


def reevaluate(offer: Offer, rules: list[str]) -> None:
    """A newer evaluation of the offer that fires only `rules`."""
    evaluation = Evaluation(
        offer_id=offer.id,
        ruleset_version="test-2",
        as_of=offer.submitted_at.date(),
        outcome=offer.outcome,
        trigger="reevaluation",
    )
    _store_evaluation(evaluation, offer, rules)


def _store_evaluation(evaluation: Evaluation, offer: Offer, rules: list[str]) -> None:
    """Commit the evaluation with one finding on the first item for each rule."""
    db.session.add(evaluation)
    db.session.flush()
    for rule in rules:
        db.session.add(
            Finding(
                evaluation_id=evaluation.id,
                item_id=offer.items[0].id,
                rule_id=rule,
                outcome="review",
                message=f"{rule} fired",
            )
        )
    db.session.commit()
