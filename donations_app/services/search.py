"""Finding offers for reviewers: filters from the URL, sorting and pagination, as SQL.

The offer list, its CSV export and the benchmark all build their query here, so they agree on
what a filter means. Every filter is validated: a bad value is reported and ignored, never sent
to the database.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from flask import current_app

from donations_app.extensions import db
from donations_app.models import Evaluation, Finding, Item, Offer, Queue, Reviewer
from donations_app.models.vocabulary import OFFER_OUTCOMES, OFFER_STATUSES, RECIPIENTS
from donations_app.parsing import whole_number

PAGE_SIZES = (25, 50, 100)
SORTS = {
    "submitted": Offer.submitted_at,
    "reference": Offer.reference,
    "agency": Offer.agency_name,
    "status": Offer.status,
    "value": Offer.total_value_usd,
}
SORT_LABELS = {
    "submitted": "Submitted",
    "reference": "Reference",
    "agency": "Agency",
    "status": "Status",
    "value": "Total value",
}
DIRECTIONS = ("asc", "desc")
MAX_TEXT = 100
# The deepest page any list serves (the offer list and the audit log share it).
MAX_PAGE = 1_000_000
# Filter dates outside this range cannot match an offer; refusing them also keeps
# `day + 1 day` far from date.max.
# A whole reference number as people type it: UA-2026-000123, ua-2026-000123 or 2026-000123.
REFERENCE_TEXT = re.compile(r"(UA-)?\d{4}-\d{6}")
# Trigram indexes (pg_trgm, FTS5) find texts of at least three characters.
MIN_INDEXED_TEXT = 3
EARLIEST_DAY = dt.date(2000, 1, 1)
LATEST_DAY = dt.date(2100, 12, 31)


@dataclass(frozen=True)
class OfferFilters:
    """What the reviewer asked for: every field optional; sort, direction and page validated."""

    queue: str | None = None
    status: str | None = None
    outcome: str | None = None
    recipient: str | None = None
    category: str | None = None
    rule: str | None = None
    state: str | None = None
    agency: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    text: str | None = None
    sort: str = "submitted"
    direction: str = "desc"
    page: int = 1
    per_page: int = 25

    # Any, not str: url_for(**args) would otherwise be checked against its own _external etc.
    def query_args(self, **changes: Any) -> dict[str, Any]:
        """The URL query string that reproduces these filters (with `changes` applied)."""
        chosen = replace(self, **changes)
        args = {
            "queue": chosen.queue,
            "status": chosen.status,
            "outcome": chosen.outcome,
            "recipient": chosen.recipient,
            "category": chosen.category,
            "rule": chosen.rule,
            "state": chosen.state,
            "agency": chosen.agency,
            "from": chosen.date_from.isoformat() if chosen.date_from else None,
            "to": chosen.date_to.isoformat() if chosen.date_to else None,
            "q": chosen.text,
            "sort": chosen.sort if chosen.sort != "submitted" else None,
            "dir": chosen.direction if chosen.direction != "desc" else None,
            "page": str(chosen.page) if chosen.page != 1 else None,
            "per_page": str(chosen.per_page) if chosen.per_page != 25 else None,
        }
        return {key: value for key, value in args.items() if value}

    @property
    def active(self) -> bool:
        """True when at least one filter (not sort or page) narrows the list."""
        return any(
            (
                self.queue,
                self.status,
                self.outcome,
                self.recipient,
                self.category,
                self.rule,
                self.state,
                self.agency,
                self.date_from,
                self.date_to,
                self.text,
            )
        )


@dataclass
class FilterChoices:
    """The values a filter may take, for validation and for the form's select lists."""

    queues: dict[str, str]
    categories: dict[str, str]
    rules: list[str]
    states: dict[str, str]
    statuses: tuple[str, ...] = OFFER_STATUSES
    outcomes: tuple[str, ...] = OFFER_OUTCOMES
    recipients: tuple[str, ...] = RECIPIENTS


@dataclass
class OfferPage:
    """One page of the filtered list, with the number of matching offers.

    Counting stops at the configured cap: past it, `total` is only a lower bound (`more` is
    True) and the pages run to the one after this page as long as this page is full.
    """

    rows: list[sa.Row]
    total: int
    page: int
    per_page: int
    more: bool = False
    has_next: bool = False

    @property
    def pages(self) -> int:
        """The number of pages (at least one, so an empty list still has page 1); with a capped
        count, the pages known so far."""
        if self.more:
            return self.page + 1 if self.has_next else self.page
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def total_label(self) -> str:
        """The number of matches as shown: "1,234", or "more than 1,000" past the cap."""
        return f"more than {self.total - 1:,}" if self.more else f"{self.total:,}"

    @property
    def first_index(self) -> int:
        """The 1-based position of the first row shown (0 when nothing matches)."""
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        """The 1-based position of the last row shown."""
        return (self.page - 1) * self.per_page + len(self.rows)


def filter_choices(ruleset: Any) -> FilterChoices:
    """The valid filter values: the queues, the catalog's categories, the active rule ids."""
    queues = {
        slug: name
        for slug, name in db.session.execute(
            sa.select(Queue.slug, Queue.name).order_by(Queue.position, Queue.id)
        )
    }
    categories = {category.id: category.label for category in ruleset.catalog.categories}
    rules = sorted(rule.id for rule in ruleset.rules)
    states = dict(ruleset.catalog.enums["state"])
    return FilterChoices(queues=queues, categories=categories, rules=rules, states=states)


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def page_number(text: object) -> int | None:
    """A page number from a URL (1 to MAX_PAGE), or None when the text is not one."""
    return whole_number(text, minimum=1, maximum=MAX_PAGE)


def _date(args: Mapping[str, str], key: str, label: str, errors: dict[str, str]) -> dt.date | None:
    raw = _text(args.get(key))
    if raw is None:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is None or not EARLIEST_DAY <= day <= LATEST_DAY:
        errors[key] = (
            f"{label} must be a date like 2026-03-31, from {EARLIEST_DAY.isoformat()} "
            f"to {LATEST_DAY.isoformat()}; the filter was ignored."
        )
        return None
    return day


def parse_filters(
    args: Mapping[str, str], choices: FilterChoices
) -> tuple[OfferFilters, dict[str, str]]:
    """Read filters from a query string; return them and a message per bad field (ignored)."""
    errors: dict[str, str] = {}

    def pick(key: str, allowed: Any, label: str) -> str | None:
        raw = _text(args.get(key))
        if raw is None:
            return None
        if raw not in allowed:
            errors[key] = f"{label} '{raw[:MAX_TEXT]}' is not one we know; the filter was ignored."
            return None
        return raw

    state = _state(args, choices, errors)
    agency = _short_text(args, "agency", "Agency", errors)
    text = _short_text(args, "q", "Search text", errors)
    date_from, date_to = _date_range(args, errors)
    sort, direction = _sort_order(args, errors)
    per_page = _page_size(args, errors)
    page = _page(args, errors)
    filters = OfferFilters(
        queue=pick("queue", choices.queues, "Queue"),
        status=pick("status", choices.statuses, "Status"),
        outcome=pick("outcome", choices.outcomes, "Outcome"),
        recipient=pick("recipient", choices.recipients, "Recipient"),
        category=pick("category", choices.categories, "Category"),
        rule=pick("rule", choices.rules, "Rule"),
        state=state,
        agency=agency,
        date_from=date_from,
        date_to=date_to,
        text=text,
        sort=sort,
        direction=direction,
        page=page,
        per_page=per_page,
    )
    return filters, errors


# The readers below put a message in `errors` for each value they ignore.


def _state(args: Mapping[str, str], choices: FilterChoices, errors: dict[str, str]) -> str | None:
    state = _text(args.get("state"))
    if state is None:
        return None
    state = state.upper()
    if state not in choices.states:
        errors["state"] = "State must be a two-letter USPS code such as IL; it was ignored."
        return None
    return state


def _short_text(
    args: Mapping[str, str], key: str, label: str, errors: dict[str, str]
) -> str | None:
    text = _text(args.get(key))
    if text is not None and len(text) > MAX_TEXT:
        errors[key] = f"{label} must be {MAX_TEXT} characters or fewer; it was ignored."
        return None
    return text


def _date_range(
    args: Mapping[str, str], errors: dict[str, str]
) -> tuple[dt.date | None, dt.date | None]:
    date_from = _date(args, "from", "Submitted from", errors)
    date_to = _date(args, "to", "Submitted to", errors)
    if date_from and date_to and date_from > date_to:
        errors["to"] = "Submitted to must be on or after Submitted from; the dates were ignored."
        return None, None
    return date_from, date_to


def _sort_order(args: Mapping[str, str], errors: dict[str, str]) -> tuple[str, str]:
    sort = _text(args.get("sort")) or "submitted"
    if sort not in SORTS:
        errors["sort"] = "That sort order is not available; the list is sorted by submission date."
        sort = "submitted"
    direction = _text(args.get("dir")) or "desc"
    if direction not in DIRECTIONS:
        errors["dir"] = "Sort direction must be asc or desc; newest first was used."
        direction = "desc"
    return sort, direction


def _page_size(args: Mapping[str, str], errors: dict[str, str]) -> int:
    raw_size = _text(args.get("per_page"))
    if raw_size is None:
        return 25
    size = whole_number(raw_size, maximum=max(PAGE_SIZES))
    if size in PAGE_SIZES:
        return size
    errors["per_page"] = "Offers per page must be 25, 50 or 100; 25 was used."
    return 25


def _page(args: Mapping[str, str], errors: dict[str, str]) -> int:
    raw_page = _text(args.get("page"))
    if raw_page is None:
        return 1
    number = page_number(raw_page)
    if number is not None:
        return number
    errors["page"] = (
        f"The page number must be a whole number from 1 to {MAX_PAGE:,}; page 1 is shown."
    )
    return 1


def _contains(column: Any, text: str) -> Any:
    """Case-insensitive substring match with the user's % and _ taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return sa.func.lower(column).like(f"%{escaped}%", escape="\\")


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def filter_conditions(filters: OfferFilters) -> list[Any]:
    """The WHERE conditions on offers for the given filters."""
    conditions = _offer_column_conditions(filters)
    if filters.category:
        conditions.append(
            sa.exists().where(Item.offer_id == Offer.id, Item.category == filters.category)
        )
    if filters.rule:
        conditions.append(_fired(filters.rule))
    if filters.text:
        conditions.append(_text_match(filters.text))
    return conditions


def _offer_column_conditions(filters: OfferFilters) -> list[Any]:
    conditions: list[Any] = []
    if filters.queue:
        queue_id = sa.select(Queue.id).where(Queue.slug == filters.queue).scalar_subquery()
        conditions.append(Offer.queue_id == queue_id)
    if filters.status:
        conditions.append(Offer.status == filters.status)
    if filters.outcome:
        conditions.append(Offer.outcome == filters.outcome)
    if filters.recipient:
        conditions.append(Offer.recipient == filters.recipient)
    if filters.state:
        conditions.append(Offer.agency_state == filters.state)
    if filters.agency:
        conditions.append(_contains(Offer.agency_name, filters.agency))
    if filters.date_from:
        conditions.append(Offer.submitted_at >= _start_of(filters.date_from))
    if filters.date_to:
        conditions.append(Offer.submitted_at < _start_of(filters.date_to + dt.timedelta(days=1)))
    return conditions


def _fired(rule: str) -> Any:
    """Offers whose latest evaluation has a finding of this rule."""
    # The latest evaluation is the one no newer evaluation of the same offer follows.
    newer = sa.orm.aliased(Evaluation)
    fired = (
        sa.select(Evaluation.offer_id)
        .join(Finding, Finding.evaluation_id == Evaluation.id)
        .where(
            Finding.rule_id == rule,
            ~sa.exists().where(newer.offer_id == Evaluation.offer_id, newer.id > Evaluation.id),
        )
    )
    return Offer.id.in_(fired)


def _text_match(text: str) -> Any:
    """Offers whose reference, agency name or contact e-mail contains the text, or an item of
    which has it in its description or serial numbers: what people quote, in one box.

    Each table is searched on its own and the two id lists are joined with UNION: an OR across
    offers and items (`... OR id IN (items ...)`) leaves no index usable. On PostgreSQL the
    `lower(column) LIKE` conditions use the trigram indexes of migration 0009; on SQLite the
    FTS5 trigram tables, for texts of three characters or more (a trigram index cannot find a
    shorter text: those are matched by scanning, as before)."""
    if db.session.get_bind().dialect.name == "sqlite" and len(text) >= MIN_INDEXED_TEXT:
        return Offer.id.in_(_fts_matches(text))
    in_offers = sa.select(Offer.id).where(
        sa.or_(
            _contains(Offer.reference, text),
            _contains(Offer.agency_name, text),
            _contains(Offer.contact_email, text),
        )
    )
    in_items = sa.select(Item.offer_id).where(
        sa.or_(
            _contains(Item.description, text),
            _contains(sa.cast(Item.serial_numbers, sa.Text), text),
        )
    )
    return Offer.id.in_(sa.union(in_offers, in_items))


def _fts_rowids(table: str, phrase: str) -> sa.Select[Any]:
    """The rowids of an FTS5 table's rows that match the phrase."""
    match = sa.text(f"{table} MATCH :phrase").bindparams(phrase=phrase)
    return sa.select(sa.column("rowid")).select_from(sa.table(table)).where(match)


def _fts_matches(text: str) -> sa.CompoundSelect:
    """The ids of offers whose FTS5 rows (SQLite, migration 0009) contain the text: a quoted
    FTS5 phrase of trigrams is a case-insensitive substring match, the user's characters
    taken literally."""
    phrase = '"' + text.replace('"', '""') + '"'
    in_items = sa.select(Item.offer_id).where(Item.id.in_(_fts_rowids("search_items", phrase)))
    return sa.union(_fts_rowids("search_offers", phrase), in_items)


def reference_quoted(text: str | None) -> str | None:
    """The reference of the offer that `text` names whole ("UA-2026-000123", any case, with or
    without the "UA-" prefix), or None when it names none."""
    quoted = (text or "").strip().upper()
    if not REFERENCE_TEXT.fullmatch(quoted):
        return None
    reference = quoted if quoted.startswith("UA-") else f"UA-{quoted}"
    return db.session.scalar(sa.select(Offer.reference).where(Offer.reference == reference))


def _order_by(filters: OfferFilters) -> list[Any]:
    column = SORTS[filters.sort]
    key = column.asc() if filters.direction == "asc" else column.desc()
    if filters.sort == "value":
        # Offers without a value come after those with one either way, on both databases.
        key = key.nulls_last()
    tie_break = Offer.id.asc() if filters.direction == "asc" else Offer.id.desc()
    return [key, tie_break]


def list_statement(filters: OfferFilters, limit: int | None = None, offset: int = 0) -> sa.Select:
    """SELECT the list's columns for the filters, sorted: one query, no N+1.

    With a limit, the page's offer ids are found first and only those rows are joined and
    given an item count, so a deep page does not count the items of every skipped offer.
    """
    conditions = filter_conditions(filters)
    order = _order_by(filters)
    items_count = (
        sa.select(sa.func.count(Item.id))
        .where(Item.offer_id == Offer.id)
        .correlate(Offer)
        .scalar_subquery()
    )
    statement = (
        sa.select(
            Offer.id,
            Offer.reference,
            Offer.agency_name,
            Offer.agency_state,
            Offer.recipient,
            Offer.status,
            Offer.outcome,
            Offer.total_value_usd,
            Offer.submitted_at,
            Queue.slug.label("queue_slug"),
            Queue.name.label("queue_name"),
            Reviewer.name.label("assignee_name"),
            items_count.label("items_count"),
        )
        .outerjoin(Queue, Queue.id == Offer.queue_id)
        .outerjoin(Reviewer, Reviewer.id == Offer.assignee_id)
        .order_by(*order)
    )
    if limit is None:
        return statement.where(*conditions)
    page_ids = (
        sa.select(Offer.id).where(*conditions).order_by(*order).limit(limit).offset(offset)
    ).subquery()
    return statement.join(page_ids, page_ids.c.id == Offer.id)


def count_cap() -> int:
    """How many matches the offer list counts at most (config OFFER_LIST_COUNT_CAP)."""
    return int(current_app.config["OFFER_LIST_COUNT_CAP"])


def count_offers(filters: OfferFilters, cap: int | None = None) -> int:
    """How many offers match the filters; with a cap, counting stops at cap + 1 (so a broad
    match costs reading cap + 1 ids, not all of them)."""
    matching = sa.select(Offer.id).where(*filter_conditions(filters))
    if cap is not None:
        matching = matching.limit(cap + 1)
    statement = sa.select(sa.func.count()).select_from(matching.subquery())
    return db.session.execute(statement).scalar_one()


def _page_rows(filters: OfferFilters, page: int, limit: int) -> list[sa.Row]:
    statement = list_statement(filters, limit, (page - 1) * filters.per_page)
    return list(db.session.execute(statement))


def list_offers(filters: OfferFilters) -> OfferPage:
    """One page of matching offers; a page past the end shows the last page.

    Pagination is by offset. The count is capped: past the cap, the page is read with one row
    more to know whether a next page exists, and the count is made exact only when the page
    asked for lies past the end (to show the last page instead)."""
    cap = count_cap()
    total = count_offers(filters, cap)
    if total > cap:
        rows = _page_rows(filters, filters.page, filters.per_page + 1)
        if rows:
            has_next = len(rows) > filters.per_page
            rows = rows[: filters.per_page]
            if has_next:
                return OfferPage(rows, total, filters.page, filters.per_page, True, True)
            # The last page: the total is now known exactly.
            total = (filters.page - 1) * filters.per_page + len(rows)
            return OfferPage(rows, total, filters.page, filters.per_page)
        total = count_offers(filters)
    pages = max(1, math.ceil(total / filters.per_page))
    page = min(filters.page, pages)
    rows = _page_rows(filters, page, filters.per_page)
    return OfferPage(rows=rows, total=total, page=page, per_page=filters.per_page)


# The row attribute holding each sort column (list_statement's labels).
SORT_ATTRIBUTES = {
    "submitted": "submitted_at",
    "reference": "reference",
    "agency": "agency_name",
    "status": "status",
    "value": "total_value_usd",
}


def _after(filters: OfferFilters, row: sa.Row) -> Any:
    """The condition for rows after `row` in list order (keyset pagination)."""
    column = SORTS[filters.sort]
    value = getattr(row, SORT_ATTRIBUTES[filters.sort])
    ascending = filters.direction == "asc"
    later_id = Offer.id > row.id if ascending else Offer.id < row.id
    if value is None:
        # Only the value sort has NULLs; they come last in both directions.
        return sa.and_(column.is_(None), later_id)
    later = column > value if ascending else column < value
    after = sa.or_(later, sa.and_(column == value, later_id))
    if filters.sort == "value":
        return sa.or_(after, column.is_(None))
    # The same bound again as a plain range, which an index on the column can start from (the
    # OR above cannot): without it each batch reads the list again from its first row.
    return sa.and_(column >= value if ascending else column <= value, after)


def iter_offers(filters: OfferFilters, batch_size: int = 1000) -> Iterator[sa.Row]:
    """Every matching offer in list order, for the CSV export: batches of `batch_size` ids, each
    read by an ordinary query that starts after the last row of the one before (keyset), then
    those offers' rows by primary key; no server-side cursor is held open and no batch skips
    rows with OFFSET."""
    conditions = filter_conditions(filters)
    order = _order_by(filters)
    by_id = list_statement(OfferFilters(sort=filters.sort, direction=filters.direction))
    after: list[Any] = []
    while True:
        batch = sa.select(Offer.id).where(*conditions, *after).order_by(*order)
        ids = list(db.session.scalars(batch.limit(batch_size)))
        if not ids:
            return
        rows = list(db.session.execute(by_id.where(Offer.id.in_(ids))))
        yield from rows
        if len(ids) < batch_size:
            return
        after = [_after(filters, rows[-1])]


def format_value(value: Decimal | None) -> str:
    """A dollar amount for display, or an empty string when the offer gave no values."""
    return "" if value is None else f"${value:,.2f}"
