"""Finding offers for reviewers: filters from the URL, sorting and pagination, as SQL.

The offer list, its CSV export and the benchmark all build their query here, so they agree on
what a filter means. Every filter is validated: a bad value is reported and ignored, never sent
to the database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql

from donations_app.extensions import db
from donations_app.models import Finding, Item, Offer, Queue, Reviewer
from donations_app.models.vocabulary import OFFER_OUTCOMES, OFFER_STATUSES, RECIPIENTS
from donations_app.parsing import whole_number
from donations_app.services.text_fold import fold

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


def _contains(column: Any, text: str, *, lower: bool = True) -> Any:
    """Case-insensitive substring match with the user's % and _ taken literally (with
    lower=False, the column and the text come already folded)."""
    if lower:
        text, column = text.lower(), sa.func.lower(column)
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{escaped}%", escape="\\")


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
        conditions.append(Offer.id.in_(_fired(filters.rule)))
    if filters.text:
        conditions.append(_text_match(filters.text))
    return conditions


def _offer_column_conditions(filters: OfferFilters, *, agency: bool = True) -> list[Any]:
    """The conditions on offers' own columns (without the agency text, with agency=False)."""
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
    if filters.agency and agency:
        conditions.append(_contains(Offer.agency_name, filters.agency))
    if filters.date_from:
        conditions.append(Offer.submitted_at >= _start_of(filters.date_from))
    if filters.date_to:
        conditions.append(Offer.submitted_at < _start_of(filters.date_to + dt.timedelta(days=1)))
    return conditions


def _fired(rule: str) -> sa.Select[Any]:
    """The offers whose current (latest) evaluation has a finding of this rule: one lookup in
    (rule_id, evaluation_id) per offer through offers.evaluation_id (migration 0013)."""
    return (
        sa.select(Offer.id)
        .join(Finding, Finding.evaluation_id == Offer.evaluation_id)
        .where(Finding.rule_id == rule)
    )


def _text_match(text: str) -> Any:
    """Offers whose reference, agency name or contact e-mail contains the text, or an item of
    which has it in its description or serial numbers: what people quote, in one box.

    Each table is searched on its own and the id lists are joined with UNION: an OR across
    offers and items (`... OR id IN (items ...)`) leaves no index usable. On PostgreSQL the
    `lower(column) LIKE` conditions use the trigram indexes of migration 0009; on SQLite the
    FTS5 trigram tables, for texts of three characters or more (a trigram index cannot find a
    shorter text: those are matched by scanning, as before)."""
    sources, _, _ = _text_search(text, db.session.get_bind().dialect.name)
    return Offer.id.in_(sa.union(*sources))


def _fts_rowids(table: str, phrase: str) -> sa.Select[Any]:
    """The rowids of an FTS5 table's rows that match the phrase."""
    match = sa.text(f"{table} MATCH :phrase").bindparams(phrase=phrase)
    return sa.select(sa.column("rowid")).select_from(sa.table(table)).where(match)


def _phrase(text: str) -> str:
    """The text as a quoted FTS5 phrase: its characters taken literally."""
    return '"' + text.replace('"', '""') + '"'


# How the list finds its matches when a filter needs another table or a text index ("rule
# fired", category, search text, agency). Sorting all matches to show 25 of them is what made a
# broad filter slow, and walking the list's order testing each offer is what makes a rare one
# slow. So each such filter is first probed: up to PROBE_FACTOR x (cap + 1) matching offer ids,
# read through its own index. If the probe ends before that limit, the ids are all the matches
# and the list is `id IN (those ids)`, sorted and counted from them. If not, matches are many:
# the list walks its sort order (an index on offers) and tests each offer on its own with a
# subquery that reads one index entry, stopping at the page's last row; and the count knows it
# is past the cap as soon as cap + 1 of the probed ids pass the other filters.
PROBE_FACTOR = 2

# The search text on a large PostgreSQL database. When its matches are many but gathered in one
# part of the item table (as a batch of similar offers is), neither way of probing is cheap:
# reading items in table order until the probe's limit reads everything before that part, and
# the trigram index reads the postings of every trigram of the text, common ones included
# (measured at a million offers: a phrase in 25,000 of them took 150-300 ms either way). So
# from TEXT_SAMPLE_FROM items on (the planner's estimate) the text is first looked for in a
# fixed random sample of the item table's blocks, about TEXT_SAMPLE_ROWS items (TABLESAMPLE
# SYSTEM ... REPEATABLE: the same blocks every time, 14 ms at 3 million items). When at least
# TEXT_SAMPLE_HITS offers match there, and that many scaled up from the sample's share of the
# table is ESTIMATE_MARGIN times the cap or more, matches are many: the list walks its order
# (its rows are exact), and when as many of the sampled offers pass the other filters too, the
# count "more than 1,000" is that estimate. Fewer offers than the cap would have to spread
# their items over thousands of blocks to show 30 times in 0.5% of them. Otherwise the probe
# follows, as on a smaller table.
TEXT_SAMPLE_FROM = 1_000_000
TEXT_SAMPLE_ROWS = 15_000
TEXT_SAMPLE_HITS = 30
ESTIMATE_MARGIN = 3


@dataclass(frozen=True)
class _Costly:
    """A filter that offers' own columns cannot answer: the statements that list the offer ids
    it matches (an id may come more than once) and the same test for one offer of the list."""

    sources: tuple[sa.Select[Any], ...]
    per_offer: Any
    agency: bool = False  # the agency filter (then not among the offers' column conditions)
    # Tried before the sources: matches among the first rows of the table. When it finds more
    # than the cap, matches are many, and the sources are not read at all.
    quick: sa.Select[Any] | None = None
    # Tried before the sources on a large database: the offer ids matched in a sample of this
    # percentage of the item table's blocks (see TEXT_SAMPLE_FROM).
    sampled: Callable[[float], sa.Select[Any]] | None = None


@dataclass(frozen=True)
class _Found:
    """Offer ids that a filter matches: all of them (complete), or some; `share` is the part
    of the table read to find them (1, or a random sample's share)."""

    ids: set[int]
    complete: bool
    share: float = 1.0


@dataclass
class _Plan:
    """The WHERE conditions of the list, and some offer ids known to match a filter of it (the
    probe that found too many to list), from which a broad count can stop early."""

    conditions: list[Any]
    sample: list[int] | None = None
    # What a sampled id must pass besides the filter that found it (nothing: all match).
    sample_conditions: list[Any] = field(default_factory=list)
    # The part of the table the sample was read from (below 1: a random sample's, scaled up).
    sample_share: float = 1.0
    # A plan that walks the list's order: the conditions on offers' own columns, and the tests
    # of each offer they let through (see WALK_TESTS_PER_ROW).
    walk: tuple[list[Any], list[Any]] | None = None


def _one_exists(statement: sa.Select[Any]) -> Any:
    """`(SELECT ... LIMIT 1) IS NOT NULL`: a test run once per offer that reads at most one
    index entry. A plain EXISTS would let the planner turn it into a join over every match,
    which is the scan this form avoids."""
    return statement.limit(1).scalar_subquery().is_not(None)


def _folded(column: Any) -> Any:
    """The column folded as SQLite's FTS5 trigram tables fold it (function `fts_fold`)."""
    return sa.func.fts_fold(column)


def _contains_folded(column: Any, text: str) -> Any:
    """What a quoted FTS5 trigram phrase matches, as one row's test: a substring in either
    case, folded by FTS5's own table (services/text_fold.py) on both sides."""
    return _contains(_folded(column), fold(text) or "", lower=False)


def _costly_filters(filters: OfferFilters, dialect: str) -> list[_Costly]:
    costly = []
    if filters.category:
        category = Item.category == filters.category
        costly.append(
            _Costly(
                (sa.select(Item.offer_id).where(category),),
                _one_exists(sa.select(Item.id).where(Item.offer_id == Offer.id, category)),
            )
        )
    if filters.rule:
        rule = Finding.rule_id == filters.rule
        in_current = Finding.evaluation_id == Offer.evaluation_id
        costly.append(
            _Costly(
                (_fired(filters.rule),),
                _one_exists(sa.select(Finding.id).where(in_current, rule)),
            )
        )
    if filters.agency and (dialect == "postgresql" or len(filters.agency) >= MIN_INDEXED_TEXT):
        costly.append(_agency_filter(filters.agency, dialect))
    if filters.text:
        costly.append(_text_filter(filters.text, dialect))
    return costly


# How many offers the agency filter's quick look reads on PostgreSQL (a sequential read), and
# from how many offers on (the planner's estimate) it is tried: below, the trigram index's
# posting lists are short enough to read at once (measured: 6 ms at 100,000 offers, 72 ms at a
# million, against about 15 ms for the quick look at either).
AGENCY_WINDOW = 100_000
AGENCY_WINDOW_FROM = 400_000


def _agency_filter(agency: str, dialect: str) -> _Costly:
    """The agency filter, probed. SQLite: the FTS5 table finds candidates (its folding
    accepts all that lower() LIKE accepts) and lower() LIKE keeps the filter's meaning exactly.
    PostgreSQL: the trigram index reads every posting of the text's trigrams, common ones
    ("state", "police") included, which at a million offers costs more than reading offers in
    table order until enough match: that quick look comes first, the index only after it."""
    matches = _contains(Offer.agency_name, agency)
    if dialect == "sqlite":
        found = _fts_rowids("search_offers", "agency_name : " + _phrase(agency)).subquery()
        source = sa.select(Offer.id).join(found, found.c.rowid == Offer.id).where(matches)
        return _Costly((source,), matches, agency=True)
    # No ORDER BY: the first rows of a sequential scan (a LIMIT is not pushed into a scan's
    # filter, and with no index holding both columns the planner reads the table itself).
    window = sa.select(Offer.id, Offer.agency_name).limit(AGENCY_WINDOW).subquery()
    quick = sa.select(window.c.id).where(_contains(window.c.agency_name, agency))
    return _Costly((sa.select(Offer.id).where(matches),), matches, agency=True, quick=quick)


def _text_search(
    text: str, dialect: str
) -> tuple[tuple[sa.Select[Any], ...], list[Any], list[Any]]:
    """The search text's statements of matching offer ids (one per table, an id may come more
    than once), and its tests of one offer's columns and of one item's."""
    offer_columns = (Offer.reference, Offer.agency_name, Offer.contact_email)
    item_columns = (Item.description, sa.cast(Item.serial_numbers, sa.Text))
    if dialect == "sqlite" and len(text) >= MIN_INDEXED_TEXT:
        phrase = _phrase(text)
        # A join, not IN: SQLite reads the FTS5 matches one by one and stops at a limit.
        found = _fts_rowids("search_items", phrase).subquery()
        in_items = sa.select(Item.offer_id).join(found, found.c.rowid == Item.id)
        offer_test = [_contains_folded(column, text) for column in offer_columns]
        item_test = [_contains_folded(column, text) for column in item_columns]
        return (_fts_rowids("search_offers", phrase), in_items), offer_test, item_test
    offer_test = [_contains(column, text) for column in offer_columns]
    item_test = [_contains(column, text) for column in item_columns]
    sources = (
        sa.select(Offer.id).where(sa.or_(*offer_test)),
        sa.select(Item.offer_id).where(sa.or_(*item_test)),
    )
    return sources, offer_test, item_test


def _text_filter(text: str, dialect: str) -> _Costly:
    sources, offer_test, item_test = _text_search(text, dialect)
    in_item = _one_exists(sa.select(Item.id).where(Item.offer_id == Offer.id, sa.or_(*item_test)))
    sampled = _sampled_items(text) if dialect == "postgresql" else None
    return _Costly(sources, sa.or_(*offer_test, in_item), sampled=sampled)


def _sampled_items(text: str) -> Callable[[float], sa.Select[Any]]:
    """The statement of the offer ids whose items have the text, in a fixed sample of the
    given percentage of the item table's blocks (PostgreSQL)."""

    def statement(percent: float) -> sa.Select[Any]:
        sample = sa.tablesample(
            Item.__table__, sa.func.system(percent), "sampled", seed=sa.literal(0)
        )
        columns = (sample.c.description, sa.cast(sample.c.serial_numbers, sa.Text))
        return sa.select(sample.c.offer_id).where(sa.or_(*(_contains(c, text) for c in columns)))

    return statement


def _id_in(ids: list[int]) -> Any:
    """`offers.id` among `ids`, as one bound value: a PostgreSQL array, a JSON array on SQLite
    (two thousand bound parameters cost more to render and plan than the lookup itself)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return Offer.id == sa.any_(sa.literal(ids, type_=postgresql.ARRAY(sa.Integer)))
    values = sa.func.json_each(json.dumps(ids)).table_valued("value")
    return Offer.id.in_(sa.select(values.c.value))


def _quick_look(costly: _Costly, cap: int) -> _Found | None:
    """The ids of the filter's quick look when it finds more than `cap` (never all), or None."""
    if costly.quick is None or _estimated_rows("offers") < AGENCY_WINDOW_FROM:
        return None
    ids = set(db.session.scalars(costly.quick.limit(cap + 1)))
    return _Found(ids, complete=False) if len(ids) > cap else None


def _sampled_look(costly: _Costly, cap: int) -> _Found | None:
    """The ids the filter matches in a sample of the item table when they show matches to be
    many (see TEXT_SAMPLE_FROM), or None."""
    if costly.sampled is None:
        return None
    items = _estimated_rows("items")
    if items < TEXT_SAMPLE_FROM:
        return None
    share = TEXT_SAMPLE_ROWS / items
    ids = set(db.session.scalars(costly.sampled(100 * share)))
    return _Found(ids, complete=False, share=share) if _shows_many(len(ids), share, cap) else None


def _shows_many(hits: int, share: float, cap: int) -> bool:
    """Whether `hits` matches in a random sample of `share` of a table stand for more than
    `cap` with a wide margin (see TEXT_SAMPLE_FROM)."""
    return share < 1 and hits >= max(TEXT_SAMPLE_HITS, ESTIMATE_MARGIN * (cap + 1) * share)


def _estimated_rows(table: str) -> float:
    """PostgreSQL's estimate of a table's rows (pg_class.reltuples, kept by ANALYZE)."""
    estimate = sa.text("SELECT reltuples FROM pg_class WHERE oid = CAST(:table AS regclass)")
    return float(db.session.scalar(estimate, {"table": table}) or 0)


def _probe(costly: _Costly, limit: int) -> _Found:
    """Up to `limit` rows of each source: the offer ids read, and whether they are all."""
    ids: set[int] = set()
    complete = True
    for source in costly.sources:
        found = list(db.session.scalars(source.limit(limit)))
        ids.update(found)
        complete = complete and len(found) < limit
    return _Found(ids, complete)


def _plan(filters: OfferFilters, cap: int) -> _Plan:
    """The list's conditions, after probing its costly filters (see PROBE_FACTOR above)."""
    dialect = db.session.get_bind().dialect.name
    costly = _costly_filters(filters, dialect)
    probed_agency = any(each.agency for each in costly)
    conditions = _offer_column_conditions(filters, agency=not probed_agency)
    if not costly:
        return _Plan(conditions)
    limit = PROBE_FACTOR * (cap + 1)
    known: set[int] | None = None
    sampled: tuple[_Costly, _Found] | None = None
    walked = []
    for each in costly:
        found = _quick_look(each, cap) or _sampled_look(each, cap) or _probe(each, limit)
        if found.complete:
            known = found.ids if known is None else known & found.ids
        else:
            walked.append(each)
            sampled = sampled or (each, found)
    tests = [each.per_offer for each in walked]
    if known is not None:
        # Few matches: the others' tests run on these offers only.
        return _Plan([*conditions, _id_in(sorted(known)), *tests])
    assert sampled is not None
    sampled_filter, sample = sampled
    others = [each.per_offer for each in walked if each is not sampled_filter]
    return _Plan(
        [*conditions, *tests],
        sorted(sample.ids),
        [*conditions, *others],
        sample.share,
        walk=(conditions, tests),
    )


# How far the walk of a broad filter goes on PostgreSQL (see PROBE_FACTOR; SQLite walks as far as
# it takes, and would sort a bounded walk's rows instead): it tests at most this many offers
# of the list's order per row the page needs (its rows and all the rows before it), that is,
# it gives up where fewer than 1 offer in 100 matches. Matches that are many but lie far down
# the order (gathered at one end of the table, the list sorted from the other end) are then read
# with the filters as plain conditions, through their indexes: measured at a million offers, a
# phrase in 25,000 offers, sorted by reference from the end where none are, took 1.8 s walking
# to them, 0.44 s plainly. Each test reads an offer and its items by index (15-30 us).
WALK_TESTS_PER_ROW = 100


# Settings for the list's queries on PostgreSQL, for its transaction only: no parallel workers
# (starting them cost more than these short queries), and every sequential scan starts at the
# table's first block. A probe that the planner reads sequentially stops at its limit; with
# synchronized scans it started wherever another scan of the table was, so the same probe took
# 36 ms or 1.2 s by chance when its matches are clustered (measured at a million offers).
LIST_SETTINGS = {"max_parallel_workers_per_gather": "0", "synchronize_seqscans": "off"}


@contextlib.contextmanager
def _serial_plans() -> Iterator[None]:
    """LIST_SETTINGS for the queries inside (SET LOCAL), the session's values again after."""
    if db.session.get_bind().dialect.name != "postgresql":
        yield
        return
    for name, value in LIST_SETTINGS.items():
        db.session.execute(sa.text(f"SET LOCAL {name} = {value}"))
    try:
        yield
    finally:
        for name in LIST_SETTINGS:
            db.session.execute(sa.text(f"SET LOCAL {name} TO DEFAULT"))


def reference_quoted(text: str | None) -> str | None:
    """The reference of the offer that `text` names whole ("UA-2026-000123", any case, with or
    without the "UA-" prefix), or None when it names none."""
    quoted = (text or "").strip().upper()
    if not REFERENCE_TEXT.fullmatch(quoted):
        return None
    reference = quoted if quoted.startswith("UA-") else f"UA-{quoted}"
    return db.session.scalar(sa.select(Offer.reference).where(Offer.reference == reference))


def _order_by(filters: OfferFilters) -> list[Any]:
    return _ordered(filters, SORTS[filters.sort], Offer.id)


def _ordered(filters: OfferFilters, column: Any, id_column: Any) -> list[Any]:
    """The list's ORDER BY on `column` (the sort's) and `id_column` (ties)."""
    key = column.asc() if filters.direction == "asc" else column.desc()
    if filters.sort == "value":
        # Offers without a value come after those with one either way, on both databases.
        key = key.nulls_last()
    tie_break = id_column.asc() if filters.direction == "asc" else id_column.desc()
    return [key, tie_break]


def list_statement(
    filters: OfferFilters,
    limit: int | None = None,
    offset: int = 0,
    conditions: list[Any] | None = None,
) -> sa.Select:
    """SELECT the list's columns for the filters, sorted: one query, no N+1.

    With a limit, the page's offer ids are found first and only those rows are joined and
    given an item count, so a deep page does not count the items of every skipped offer.
    `conditions` replaces the filters' own (those of a probed plan, see _plan).
    """
    if conditions is None:
        conditions = filter_conditions(filters)
    statement = _list_columns(filters)
    if limit is None:
        return statement.where(*conditions)
    page_ids = (
        sa.select(Offer.id)
        .where(*conditions)
        .order_by(*_order_by(filters))
        .limit(limit)
        .offset(offset)
    ).subquery()
    return statement.join(page_ids, page_ids.c.id == Offer.id)


def _list_columns(filters: OfferFilters) -> sa.Select:
    """The list's columns for every offer, sorted (list_statement and _walked_page narrow it)."""
    items_count = (
        sa.select(sa.func.count(Item.id))
        .where(Item.offer_id == Offer.id)
        .correlate(Offer)
        .scalar_subquery()
    )
    return (
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
        .order_by(*_order_by(filters))
    )


def count_cap() -> int:
    """How many matches the offer list counts at most (config OFFER_LIST_COUNT_CAP)."""
    return int(current_app.config["OFFER_LIST_COUNT_CAP"])


def count_offers(filters: OfferFilters, cap: int | None = None) -> int:
    """How many offers match the filters; with a cap, counting stops at cap + 1 (so a broad
    match costs reading cap + 1 ids, not all of them), through the same probes as the list."""
    if cap is None:
        return _count(filter_conditions(filters))
    with _serial_plans():
        return _count_planned(_plan(filters, cap), cap)


def _count(conditions: list[Any], cap: int | None = None) -> int:
    matching = sa.select(Offer.id).where(*conditions)
    if cap is not None:
        matching = matching.limit(cap + 1)
    statement = sa.select(sa.func.count()).select_from(matching.subquery())
    return db.session.execute(statement).scalar_one()


def _count_planned(plan: _Plan, cap: int) -> int:
    """The capped count of a plan: cap + 1 as soon as cap + 1 of the probe's sampled ids pass
    the other filters (a broad filter), or enough of a random sample's to stand for more than
    cap (see TEXT_SAMPLE_FROM); else by walking the matches."""
    if plan.sample:
        passed = len(plan.sample)
        if plan.sample_conditions:
            passed = _count([*plan.sample_conditions, _id_in(plan.sample)], cap)
        if passed > cap or _shows_many(passed, plan.sample_share, cap):
            return cap + 1
    return _count(plan.conditions, cap)


def _page_rows(
    filters: OfferFilters, plan: _Plan, page: int, limit: int, total: int | None = None
) -> list[sa.Row]:
    """Up to `limit` rows of the page; `total`, the exact number of matches when it is known,
    tells how many a walk must find to be done."""
    offset = (page - 1) * filters.per_page
    if plan.walk is None or db.session.get_bind().dialect.name != "postgresql":
        return list(db.session.execute(list_statement(filters, limit, offset, plan.conditions)))
    rows = list(db.session.execute(_walked_page(filters, plan.walk, limit, offset)))
    if len(rows) == (limit if total is None else min(limit, total - offset)):
        return rows
    # Not found within the walk's reach: the filters as plain conditions.
    return list(db.session.execute(list_statement(filters, limit, offset)))


def _walked_page(
    filters: OfferFilters, walk: tuple[list[Any], list[Any]], limit: int, offset: int
) -> sa.Select:
    """The page among the first WALK_TESTS_PER_ROW x (offset + limit) offers of the list's order
    that pass the column conditions (a subquery: the planner cannot trade the walk, which stops
    once the page is full, for reading them all and sorting), each tested in that order."""
    columns, tests = walk
    window = (
        sa.select(Offer.id, SORTS[filters.sort].label("key"))
        .where(*columns)
        .order_by(*_order_by(filters))
        .limit(WALK_TESTS_PER_ROW * (offset + limit))
        .subquery()
    )
    page_ids = (
        sa.select(window.c.id)
        .join(Offer, Offer.id == window.c.id)
        .where(*tests)
        .order_by(*_ordered(filters, window.c.key, window.c.id))
        .limit(limit)
        .offset(offset)
    ).subquery()
    return _list_columns(filters).join(page_ids, page_ids.c.id == Offer.id)


def list_offers(filters: OfferFilters) -> OfferPage:
    """One page of matching offers; a page past the end shows the last page.

    Pagination is by offset. The count is capped: past the cap, the page is read with one row
    more to know whether a next page exists, and the count is made exact only when the page
    asked for lies past the end (to show the last page instead). Filters on other tables or
    on text are probed first (see PROBE_FACTOR)."""
    cap = count_cap()
    with _serial_plans():
        plan = _plan(filters, cap)
        return _list_page(filters, plan, cap)


def _list_page(filters: OfferFilters, plan: _Plan, cap: int) -> OfferPage:
    total = _count_planned(plan, cap)
    if total > cap:
        rows = _page_rows(filters, plan, filters.page, filters.per_page + 1)
        if rows:
            has_next = len(rows) > filters.per_page
            rows = rows[: filters.per_page]
            if has_next:
                return OfferPage(rows, total, filters.page, filters.per_page, True, True)
            # The last page: the total is now known exactly.
            total = (filters.page - 1) * filters.per_page + len(rows)
            return OfferPage(rows, total, filters.page, filters.per_page)
        total = _count(plan.conditions)
    pages = max(1, math.ceil(total / filters.per_page))
    page = min(filters.page, pages)
    rows = _page_rows(filters, plan, page, filters.per_page, total)
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
