"""What a rule change would do: stored offers re-evaluated under a candidate and a current rule
set, side by side, with every offer and item whose outcome or queue would change.

Offers are read in batches straight from their columns (no ORM objects), each evaluated at
its own submission date unless an `as_of` is given, so memory stays flat whatever the number of
offers. Nothing is written.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from donations_app.extensions import db
from donations_app.guidelines import Catalog, RuleSet
from donations_app.guidelines.engine import Evaluation
from donations_app.models import Item, Offer
from donations_app.models.vocabulary import FINAL_STATUSES
from donations_app.services.offer_body import line_from_values

BATCH_SIZE = 2000
STATUS_CHOICES = ("open", "decided", "all")


@dataclass(frozen=True)
class ItemChange:
    """One item whose outcome or fired rules differ between the two rule sets."""

    position: int
    category: str
    before: str
    after: str
    fired_before: tuple[str, ...]
    fired_after: tuple[str, ...]

    @property
    def added(self) -> list[str]:
        """The rules that fire on the item only under the candidate."""
        return sorted(set(self.fired_after) - set(self.fired_before))

    @property
    def removed(self) -> list[str]:
        """The rules that no longer fire on the item under the candidate."""
        return sorted(set(self.fired_before) - set(self.fired_after))


@dataclass(frozen=True)
class OfferChange:
    """One offer whose outcome, queue or items differ between the two rule sets."""

    reference: str
    status: str
    before: str
    after: str
    queue_before: str | None
    queue_after: str | None
    items: tuple[ItemChange, ...]
    problem: str = ""


@dataclass
class ImpactSummary:
    """Totals of an impact run, and per rule the offers and items it fires on differently."""

    offers: int = 0
    items: int = 0
    offers_changed: int = 0
    items_changed: int = 0
    outcome_changed: int = 0
    queue_changed: int = 0
    problems: int = 0
    rule_offers: Counter[str] = field(default_factory=Counter)
    rule_items: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly copy."""
        return {
            "offers": self.offers,
            "items": self.items,
            "offers_changed": self.offers_changed,
            "items_changed": self.items_changed,
            "outcome_changed": self.outcome_changed,
            "queue_changed": self.queue_changed,
            "problems": self.problems,
            "rules": {
                rule: {"offers": self.rule_offers[rule], "items": self.rule_items[rule]}
                for rule in sorted(self.rule_items)
            },
        }


def offer_count(status: str = "all", since: dt.date | None = None) -> int:
    """How many stored offers an impact run with these filters reads."""
    query = _filtered(sa.select(sa.func.count(Offer.id)), status, since)
    return int(db.session.scalar(query) or 0)


def preview_impact(
    candidate: RuleSet,
    current: RuleSet,
    *,
    status: str = "all",
    since: dt.date | None = None,
    as_of: dt.date | None = None,
    summary: ImpactSummary | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[OfferChange]:
    """Yield every offer that `candidate` would treat differently from `current`.

    `summary`, when given, is filled in as the offers are read; `progress` is called with the
    number of offers read after each batch.
    """
    summary = summary if summary is not None else ImpactSummary()
    for offers in _batches(status, since, candidate.catalog):
        for offer in offers:
            change = _compare(offer, candidate, current, as_of, summary)
            if change is not None:
                yield change
        if progress is not None:
            progress(len(offers))


def _filtered(query: sa.Select, status: str, since: dt.date | None) -> sa.Select:
    if status not in STATUS_CHOICES:
        raise ValueError(f"status must be one of {', '.join(STATUS_CHOICES)}")
    if status == "open":
        query = query.where(Offer.status.not_in(FINAL_STATUSES))
    elif status == "decided":
        query = query.where(Offer.status.in_(FINAL_STATUSES))
    if since is not None:
        start = dt.datetime.combine(since, dt.time.min, tzinfo=dt.UTC)
        query = query.where(Offer.submitted_at >= start)
    return query


def _batches(
    status: str, since: dt.date | None, catalog: Catalog
) -> Iterator[list[dict[str, Any]]]:
    """Offers as plain dicts with their item lines (answers typed by `catalog`), BATCH_SIZE at
    a time, by id."""
    plain = [name for name in Item.FIELDS if name != "serial_numbers"]
    # Core rows straight from the connection: the ORM's result processing is not needed here.
    connection = db.session.connection()
    last_id = 0
    while True:
        heads = connection.execute(
            _filtered(
                sa.select(
                    Offer.id, Offer.reference, Offer.status, Offer.recipient, Offer.submitted_at
                ),
                status,
                since,
            )
            .where(Offer.id > last_id)
            .order_by(Offer.id)
            .limit(BATCH_SIZE)
        ).all()
        if not heads:
            return
        offers = {
            head.id: {
                "reference": head.reference,
                "status": head.status,
                "recipient": head.recipient,
                "submitted": head.submitted_at.astimezone(dt.UTC).date(),
                "items": [],
            }
            for head in heads
        }
        # The items of the batch by id range (no list of ids to send and parse); the JSON
        # columns come as text and are decoded only when they hold something: most items have
        # no serial numbers and no extra answers, and decoding is much of the cost.
        rows = connection.execute(
            sa.select(
                Item.offer_id,
                sa.cast(Item.serial_numbers, sa.Text),
                sa.cast(Item.answers, sa.Text),
                *[getattr(Item, name) for name in plain],
            )
            .where(Item.offer_id > last_id, Item.offer_id <= heads[-1].id)
            .order_by(Item.offer_id, Item.position)
        )
        names = [*plain, "serial_numbers"]
        for offer_id, serials, answers, *values in rows:
            offer = offers.get(offer_id)
            if offer is None:  # in the id range, but not one of the offers asked for
                continue
            values.append(_decoded(serials, []))
            offer["items"].append(line_from_values(names, values, _decoded(answers, {}), catalog))
        last_id = heads[-1].id
        yield list(offers.values())


def _decoded(text: str | None, empty: Any) -> Any:
    return empty if text in (None, "", "[]", "{}", "null") else json.loads(text)


def _fired(evaluation: Evaluation) -> list[tuple[str, ...]]:
    return [tuple([f.rule for f in item.findings]) for item in evaluation.items]


def _compare(
    offer: dict[str, Any],
    candidate: RuleSet,
    current: RuleSet,
    as_of: dt.date | None,
    summary: ImpactSummary,
) -> OfferChange | None:
    summary.offers += 1
    summary.items += len(offer["items"])
    day = as_of or offer["submitted"]
    try:
        before = current.evaluate(offer, day)
        after = candidate.evaluate(offer, day)
    except ValueError as error:
        # A category one of the rule sets no longer knows: the offer cannot be compared.
        summary.problems += 1
        return OfferChange(
            offer["reference"], offer["status"], "", "", None, None, (), problem=str(error)
        )
    items = []
    rules_changed: set[str] = set()
    for old, new, fired_old, fired_new in zip(
        before.items, after.items, _fired(before), _fired(after), strict=True
    ):
        if old.outcome == new.outcome and fired_old == fired_new:
            continue
        items.append(
            ItemChange(old.index, old.category, old.outcome, new.outcome, fired_old, fired_new)
        )
        for rule in set(fired_old) ^ set(fired_new):
            summary.rule_items[rule] += 1
            rules_changed.add(rule)
    outcome_changed = before.outcome != after.outcome
    queue_changed = before.queue != after.queue
    if not (items or outcome_changed or queue_changed):
        return None
    summary.offers_changed += 1
    summary.items_changed += len(items)
    summary.outcome_changed += outcome_changed
    summary.queue_changed += queue_changed
    for rule in rules_changed:
        summary.rule_offers[rule] += 1
    return OfferChange(
        offer["reference"],
        offer["status"],
        before.outcome,
        after.outcome,
        before.queue,
        after.queue,
        tuple(items),
    )


@dataclass(frozen=True)
class ImpactPreview:
    """An impact run for a page: the totals and the first changed offers."""

    summary: ImpactSummary
    changes: list[OfferChange]
    more: int


def preview_page(
    candidate: RuleSet,
    current: RuleSet,
    *,
    status: str = "open",
    limit: int = 100,
    progress: Callable[[int], None] | None = None,
) -> ImpactPreview:
    """Run the whole comparison, keeping only the first `limit` changed offers."""
    summary = ImpactSummary()
    changes: list[OfferChange] = []
    more = 0
    for change in preview_impact(
        candidate, current, status=status, summary=summary, progress=progress
    ):
        if len(changes) < limit:
            changes.append(change)
        else:
            more += 1
    return ImpactPreview(summary, changes, more)
