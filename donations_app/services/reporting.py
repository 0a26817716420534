"""Numbers for the queues page and the leads' reports, computed in SQL on either database.

Weeks start on Monday (UTC). Counting is done by the database; only medians are taken in Python,
because SQLite has no median aggregate.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from donations_app.extensions import db
from donations_app.models import Item, Offer, Queue
from donations_app.models.vocabulary import FINAL_STATUSES, OFFER_OUTCOMES
from donations_app.services.workflow import DECIDED_STATUSES

# The statuses an offer in a queue can be in, in workflow order, as the queues page shows them.
QUEUE_STATUSES = (
    "queued",
    "in_review",
    "needs_info",
    "approved",
    "partially_approved",
    "declined",
    "withdrawn",
)

REPORT_WEEKS = (4, 12, 26, 52)


@dataclass
class QueueSummary:
    """One queue on the queues page: counts by status and its oldest unclaimed offer."""

    queue: Queue
    counts: dict[str, int]
    oldest_unclaimed_at: dt.datetime | None


def queue_overview() -> list[QueueSummary]:
    """Every queue in position order, with its counts by status and oldest unclaimed offer."""
    queues = db.session.scalars(sa.select(Queue).order_by(Queue.position, Queue.id)).all()
    counts: dict[int, dict[str, int]] = {q.id: dict.fromkeys(QUEUE_STATUSES, 0) for q in queues}
    by_status = (
        sa.select(Offer.queue_id, Offer.status, sa.func.count())
        .where(Offer.queue_id.is_not(None), Offer.status.in_(QUEUE_STATUSES))
        .group_by(Offer.queue_id, Offer.status)
    )
    for queue_id, status, count in db.session.execute(by_status):
        assert queue_id is not None  # the WHERE clause leaves out offers without a queue
        counts[queue_id][status] = count
    oldest_query = (
        sa.select(Offer.queue_id, sa.func.min(Offer.submitted_at))
        .where(Offer.queue_id.is_not(None), Offer.status == "queued", Offer.assignee_id.is_(None))
        .group_by(Offer.queue_id)
    )
    oldest = dict(db.session.execute(oldest_query).all())
    return [QueueSummary(q, counts[q.id], oldest.get(q.id)) for q in queues]


def describe_age(since: dt.datetime, now: dt.datetime) -> str:
    """A short, human age such as '3 days' or '5 hours'."""
    seconds = max(0, int((now - since).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            amount = seconds // size
            return f"{amount} {unit}{'' if amount == 1 else 's'}"
    return "less than a minute"


def week_start(day: dt.date) -> dt.date:
    """The Monday of the week that contains `day`."""
    return day - dt.timedelta(days=day.weekday())


@dataclass
class Period:
    """The whole weeks a report covers, oldest first, ending with the current week."""

    weeks: list[dt.date]
    now: dt.datetime

    @classmethod
    def last_weeks(cls, count: int, now: dt.datetime) -> Period:
        """The `count` weeks up to and including the week of `now`."""
        current = week_start(now.date())
        return cls([current - dt.timedelta(weeks=i) for i in range(count - 1, -1, -1)], now)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.weeks[0], dt.time.min, tzinfo=dt.UTC)

    @property
    def end(self) -> dt.datetime:
        last = self.weeks[-1] + dt.timedelta(days=7)
        return dt.datetime.combine(last, dt.time.min, tzinfo=dt.UTC)

    @property
    def last_day(self) -> dt.date:
        """The Sunday that ends the period."""
        return self.weeks[-1] + dt.timedelta(days=6)

    def week_end(self, week: dt.date) -> dt.datetime:
        """The moment a week's backlog is counted: its end, or now for the current week."""
        end = dt.datetime.combine(week + dt.timedelta(days=7), dt.time.min, tzinfo=dt.UTC)
        return min(end, self.now)


def _week_of(column: Any) -> Any:
    """SQL for the Monday (UTC) of a timestamp column, on SQLite and PostgreSQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.func.date_trunc("week", sa.func.timezone("UTC", column)), sa.Date)
    return sa.func.date(column, "weekday 0", "-6 days")


def _as_date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def offers_by_week_and_outcome(period: Period) -> dict[dt.date, dict[str, int]]:
    """Offers submitted each week, counted by their outcome."""
    week = _week_of(Offer.submitted_at).label("week")
    statement = (
        sa.select(week, Offer.outcome, sa.func.count())
        .where(Offer.submitted_at >= period.start, Offer.submitted_at < period.end)
        .group_by(week, Offer.outcome)
    )
    table = {w: dict.fromkeys(OFFER_OUTCOMES, 0) for w in period.weeks}
    for raw_week, outcome, count in db.session.execute(statement):
        table[_as_date(raw_week)][outcome] = count
    return table


@dataclass
class CategoryCount:
    """Item lines of one category in offers submitted in the period, and their decisions."""

    category: str
    lines: int
    quantity: int
    approved: int
    declined: int


def items_by_category(period: Period) -> list[CategoryCount]:
    """Item lines per category (most first) in offers submitted in the period."""
    statement = (
        sa.select(
            Item.category,
            sa.func.count(Item.id),
            sa.func.coalesce(sa.func.sum(Item.quantity), 0),
            sa.func.count(sa.case((Item.decision == "approved", 1))),
            sa.func.count(sa.case((Item.decision == "declined", 1))),
        )
        .join(Offer, Offer.id == Item.offer_id)
        .where(Offer.submitted_at >= period.start, Offer.submitted_at < period.end)
        .group_by(Item.category)
    )
    rows = [CategoryCount(*row) for row in db.session.execute(statement)]
    return sorted(rows, key=lambda row: (-row.lines, row.category))


@dataclass
class Acceptance:
    """Decisions taken in the period, per offer and per item line."""

    offers: dict[str, int]
    items_approved: int
    items_declined: int

    @property
    def offers_decided(self) -> int:
        return sum(self.offers.values())

    @property
    def offer_rate(self) -> float | None:
        """Share of decided offers with at least one approved item (approved or partially)."""
        decided = self.offers_decided
        if not decided:
            return None
        return (self.offers["approved"] + self.offers["partially_approved"]) / decided

    @property
    def item_rate(self) -> float | None:
        """Share of decided item lines that were approved."""
        decided = self.items_approved + self.items_declined
        return self.items_approved / decided if decided else None


def acceptance(period: Period) -> Acceptance:
    """Offers decided in the period by result, and the item decisions taken in it."""
    in_period = sa.and_(Offer.decided_at >= period.start, Offer.decided_at < period.end)
    offers = dict.fromkeys(DECIDED_STATUSES, 0)
    statement = (
        sa.select(Offer.status, sa.func.count())
        .where(in_period, Offer.status.in_(DECIDED_STATUSES))
        .group_by(Offer.status)
    )
    for status, count in db.session.execute(statement):
        offers[status] = count
    item_statement = (
        sa.select(Item.decision, sa.func.count())
        .where(
            Item.decided_at >= period.start,
            Item.decided_at < period.end,
            Item.decision.is_not(None),
        )
        .group_by(Item.decision)
    )
    items = dict(db.session.execute(item_statement).all())
    return Acceptance(offers, items.get("approved", 0), items.get("declined", 0))


@dataclass
class DecisionTimes:
    """Time from submission to decision of the offers decided in the period."""

    overall: dt.timedelta | None
    count: int
    by_week: dict[dt.date, tuple[dt.timedelta | None, int]] = field(default_factory=dict)


def _median(values: list[float]) -> dt.timedelta | None:
    return dt.timedelta(seconds=statistics.median(values)) if values else None


def decision_times(period: Period) -> DecisionTimes:
    """Median time to decision overall and per week of decision."""
    statement = sa.select(Offer.submitted_at, Offer.decided_at).where(
        Offer.decided_at >= period.start,
        Offer.decided_at < period.end,
        Offer.status.in_(DECIDED_STATUSES),
    )
    per_week: dict[dt.date, list[float]] = defaultdict(list)
    everything: list[float] = []
    for submitted_at, decided_at in db.session.execute(statement):
        assert decided_at is not None  # the WHERE clause compares it with the period
        seconds = (decided_at - submitted_at).total_seconds()
        everything.append(seconds)
        per_week[week_start(decided_at.date())].append(seconds)
    by_week = {w: (_median(per_week[w]), len(per_week[w])) for w in period.weeks}
    return DecisionTimes(_median(everything), len(everything), by_week)


def queue_backlog(period: Period) -> tuple[list[Queue], dict[dt.date, dict[str, int]]]:
    """Open offers per queue at the end of each week (by the offer's current queue).

    An offer is open from submission until it is decided, or until it reached another final
    status (withdrawn); such offers keep no decision time, so their last update stands for it.
    """
    closed_at = sa.func.coalesce(
        Offer.decided_at, sa.case((Offer.status.in_(FINAL_STATUSES), Offer.updated_at))
    )
    columns = []
    for index, week in enumerate(period.weeks):
        moment = period.week_end(week)
        is_open = sa.and_(
            Offer.submitted_at < moment, sa.or_(closed_at.is_(None), closed_at >= moment)
        )
        columns.append(sa.func.count(sa.case((is_open, 1))).label(f"w{index}"))
    statement = (
        sa.select(Offer.queue_id, *columns)
        .where(
            Offer.queue_id.is_not(None),
            Offer.submitted_at < period.end,
            sa.or_(closed_at.is_(None), closed_at >= period.start),
        )
        .group_by(Offer.queue_id)
    )
    queues = db.session.scalars(sa.select(Queue).order_by(Queue.position, Queue.id)).all()
    table = {w: {q.slug: 0 for q in queues} for w in period.weeks}
    slugs = {q.id: q.slug for q in queues}
    for queue_id, *weekly in db.session.execute(statement):
        assert queue_id is not None  # the WHERE clause leaves out offers without a queue
        for week, count in zip(period.weeks, weekly, strict=True):
            table[week][slugs[queue_id]] = count
    return list(queues), table
