"""Re-check open offers under the active rule set after a rule change, and replay a stored
evaluation under the rule set that made it.

Each open offer is evaluated again with its stored answers, at the date of its submission (so
effective dates apply as they did then). When the result differs from the offer's latest
evaluation - an item's outcome or the rules that fired, the offer's outcome or the queue routing
would choose - a new evaluation is stored (trigger "reevaluation") with an audit event, each
offer in its own transaction. The offer keeps its status, queue and assignee: the reviewer's
page shows what changed and the reviewer decides what to do. Decided offers never change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from donations_app.extensions import db
from donations_app.guidelines.engine import Evaluation as EngineEvaluation
from donations_app.models import Evaluation, Offer
from donations_app.models.vocabulary import FINAL_STATUSES, OFFER_STATUSES
from donations_app.services.audit import record_event
from donations_app.services.offer_body import offer_body
from donations_app.services.offers import store_evaluation
from donations_app.services.rules import active_ruleset, ruleset_for
from donations_app.services.transaction import NotFound, ServiceError, transaction

OPEN_STATUSES = tuple(s for s in OFFER_STATUSES if s not in FINAL_STATUSES)
BATCH_SIZE = 200
PROGRESS_EVERY = 50


@dataclass
class RecheckSummary:
    """What a re-check did: offers read, and the references of those that changed."""

    checked: int = 0
    changed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ItemRecheck:
    """One item whose result changed at a re-check."""

    position: int
    before: str
    after: str
    added: tuple[str, ...]
    removed: tuple[str, ...]


def recheck(
    statuses: tuple[str, ...],
    *,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> RecheckSummary:
    """Re-evaluate the offers in `statuses` (open statuses only) under the active rule set;
    `progress`, when given, is called with the number of offers read so far, now and then."""
    closed = [status for status in statuses if status not in OPEN_STATUSES]
    if closed or not statuses:
        raise ServiceError(
            "Only open offers can be re-checked (" + ", ".join(OPEN_STATUSES) + "); decided "
            "offers never change."
        )
    ruleset = active_ruleset()
    summary = RecheckSummary()
    for read, offer_id in enumerate(_offer_ids(statuses)):
        if progress is not None and read % PROGRESS_EVERY == 0:
            progress(read)
        with transaction():
            offer = db.session.scalar(
                sa.select(Offer)
                .where(Offer.id == offer_id, Offer.status.in_(statuses))
                .options(selectinload(Offer.items), selectinload(Offer.evaluations))
            )
            if offer is None:  # decided or withdrawn since the list was read
                continue
            summary.checked += 1
            latest = offer.latest_evaluation
            as_of = _submission_date(offer) or offer.submitted_at.astimezone(dt.UTC).date()
            result = ruleset.evaluate(offer_body(offer), as_of)
            items = _item_changes(latest, result, offer)
            queue_before = latest.queue_slug if latest is not None else None
            outcome_before = latest.outcome if latest is not None else None
            if not items and result.outcome == outcome_before and result.queue == queue_before:
                continue
            summary.changed.append(offer.reference)
            if dry_run:
                continue
            previous_version = offer.ruleset_version
            store_evaluation(offer, result, "reevaluation", route=False)
            record_event(
                "rechecked",
                offer=offer,
                reason=f"Re-checked under rule set {result.ruleset_version}.",
                data={
                    "from_version": previous_version,
                    "to_version": result.ruleset_version,
                    "outcome": {"before": outcome_before, "after": result.outcome},
                    "queue": {"before": queue_before, "after": result.queue},
                    "items": [
                        {
                            "position": i.position,
                            "before": i.before,
                            "after": i.after,
                            "added": list(i.added),
                            "removed": list(i.removed),
                        }
                        for i in items
                    ],
                },
            )
    return summary


def _item_changes(
    before: Evaluation | None, after: EngineEvaluation, offer: Offer
) -> list[ItemRecheck]:
    """The items whose outcome or fired rules differ between a stored and a new evaluation."""
    fired_before = _stored_rules(before)
    by_position = {item.position: item for item in offer.items}
    changes = []
    for result in after.items:
        item = by_position[result.index]
        old = fired_before.get(item.id, set())
        new = {finding.rule for finding in result.findings}
        if item.outcome != result.outcome or old != new:
            changes.append(
                ItemRecheck(
                    item.position,
                    item.outcome,
                    result.outcome,
                    tuple(sorted(new - old)),
                    tuple(sorted(old - new)),
                )
            )
    return changes


def _stored_rules(evaluation: Evaluation | None) -> dict[int, set[str]]:
    """Item id -> the ids of the rules that fired on it in a stored evaluation."""
    fired: dict[int, set[str]] = {}
    for finding in evaluation.findings if evaluation is not None else ():
        fired.setdefault(finding.item_id, set()).add(finding.rule_id)
    return fired


def _submission_date(offer: Offer) -> dt.date | None:
    first = offer.evaluations[0] if offer.evaluations else None
    return first.as_of if first is not None else None


def _offer_ids(statuses: tuple[str, ...]) -> Iterator[int]:
    last = 0
    while True:
        ids = list(
            db.session.scalars(
                sa.select(Offer.id)
                .where(Offer.status.in_(statuses), Offer.id > last)
                .order_by(Offer.id)
                .limit(BATCH_SIZE)
            )
        )
        if not ids:
            return
        yield from ids
        last = ids[-1]


@dataclass(frozen=True)
class Replay:
    """A stored evaluation run again with its own rule-set version: what differs, if anything."""

    reference: str
    version: str
    as_of: dt.date
    outcome: str
    queue: str | None
    differences: list[str]


def replay(reference: str) -> Replay:
    """Evaluate the offer's stored answers again with the rule-set version and date of its
    latest evaluation, and compare with what was stored."""
    offer = db.session.scalar(
        sa.select(Offer)
        .where(Offer.reference == reference.strip().upper())
        .options(selectinload(Offer.items), selectinload(Offer.evaluations))
    )
    if offer is None or offer.latest_evaluation is None:
        raise NotFound(f"No evaluated offer has the reference {reference}.")
    stored = offer.latest_evaluation
    try:
        ruleset = ruleset_for(stored.ruleset_version)
    except NotFound:
        raise NotFound(
            f"The rule set {stored.ruleset_version} that evaluated {offer.reference} is not stored."
        ) from None
    result = ruleset.evaluate(offer_body(offer), stored.as_of)
    differences = []
    if result.outcome != stored.outcome:
        differences.append(f"outcome: stored {stored.outcome}, replayed {result.outcome}")
    if result.queue != stored.queue_slug:
        differences.append(f"queue: stored {stored.queue_slug}, replayed {result.queue}")
    fired = _stored_rules(stored)
    for item in offer.items:
        new = {f.rule for f in result.items[item.position].findings}
        old = fired.get(item.id, set())
        if new != old:
            differences.append(
                f"item {item.position + 1}: stored {sorted(old)}, replayed {sorted(new)}"
            )
    return Replay(
        offer.reference,
        stored.ruleset_version,
        stored.as_of,
        result.outcome,
        result.queue,
        differences,
    )
