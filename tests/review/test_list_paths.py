"""The offer list gives exactly the offers a plain reading of each filter gives, in the list's
order, whichever way services/search.py finds them: with few matches (the probed ids listed
with IN) and with many (each offer tested as the list's order is walked, the count stopped
early from the probe), for every filter and sort, alone and together."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import sqlite3
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from donations_app.extensions import db
from donations_app.models import Evaluation, Offer
from donations_app.services import search
from donations_app.services.text_fold import fold
from tests.review.listing_builders import NOW, make_offer, reevaluate

TOWNS = ["Riverside", "Springfield", "Salem", "Überlingen", "Dover"]
KINDS = ["State Police", "Police Department", "County Sheriff"]
WORDS = ["Radios", "radio chargers", "ACH helmets", "Tourniquets lot 4", "tourniquets lot 41"]
CATEGORIES = ["radio", "helmet", "medical", "drone"]
RULES = ["NEED-LIST", "MARKINGS", "EXPORT-DRONE"]


def build() -> None:
    """60 offers varied in every filtered and sorted column; some evaluated again with other
    rules (only the latest evaluation counts), ties on the submission time and the value."""
    for number in range(1, 61):
        items = [
            (CATEGORIES[(number + k) % 4], f"{WORDS[(number * 3 + k) % 5]} {number}-{k}")
            for k in range(1 + number % 3)
        ]
        offer = make_offer(
            f"UA-2026-{number:06d}",
            status=["queued", "in_review", "approved", "declined"][number % 4],
            outcome=["review", "accepted", "needs_info"][number % 3],
            queue=[None, "sbgs-desk", "npu-desk"][number % 3] if number % 4 != 2 else "sbgs-desk",
            recipient=["sbgs", "npu", "any"][number % 3],
            agency=f"{TOWNS[number % 5]} {KINDS[number % 3]}",
            state=["IL", "TX", "CA"][number % 3],
            submitted_at=NOW - dt.timedelta(days=number % 17, hours=number % 2),
            total_value=None if number % 7 == 0 else f"{(number % 9) * 250}.00",
            items=items,
            rules=[RULES[number % 3]] if number % 4 else [],
        )
        if number % 5 == 0:
            reevaluate(offer, [RULES[(number + 1) % 3]])
        if number % 11 == 0:
            offer.items[0].serial_numbers = [f"SN-{number}A", "SN-COMMON"]
            db.session.commit()


def ascii_lower(text: str) -> str:
    return "".join(c.lower() if "A" <= c <= "Z" else c for c in text)


def expected(filters: search.OfferFilters, backend: str) -> list[int]:
    """The matching offer ids in list order, computed in Python from the rows."""
    offers = db.session.scalars(sa.select(Offer)).all()
    latest_rules = {}
    for offer in offers:
        evaluation = max(offer.evaluations, key=lambda e: e.id)
        latest_rules[offer.id] = {finding.rule_id for finding in evaluation.findings}

    def text_found(offer: Offer, text: str) -> bool:
        folding = fold if backend == "sqlite" and len(text) >= 3 else ascii_lower
        hay = [offer.reference, offer.agency_name, offer.contact_email]
        for item in offer.items:
            hay += [item.description, " ".join(item.serial_numbers)]
        return any(folding(text) in folding(value) for value in hay)

    def matches(offer: Offer) -> bool:
        checks = [
            (filters.queue, lambda: offer.queue is not None and offer.queue.slug == filters.queue),
            (filters.status, lambda: offer.status == filters.status),
            (filters.outcome, lambda: offer.outcome == filters.outcome),
            (filters.recipient, lambda: offer.recipient == filters.recipient),
            (filters.state, lambda: offer.agency_state == filters.state),
            (
                filters.agency,
                lambda: ascii_lower(filters.agency) in ascii_lower(offer.agency_name),
            ),
            (filters.category, lambda: any(i.category == filters.category for i in offer.items)),
            (filters.rule, lambda: filters.rule in latest_rules[offer.id]),
            (filters.date_from, lambda: offer.submitted_at.date() >= filters.date_from),
            (filters.date_to, lambda: offer.submitted_at.date() <= filters.date_to),
            (filters.text, lambda: text_found(offer, filters.text)),
        ]
        return all(check() for wanted, check in checks if wanted)

    found = [offer for offer in offers if matches(offer)]
    attribute = search.SORT_ATTRIBUTES[filters.sort]
    descending = filters.direction == "desc"
    found.sort(key=lambda offer: offer.id, reverse=descending)
    with_value = [offer for offer in found if getattr(offer, attribute) is not None]
    without = [offer for offer in found if getattr(offer, attribute) is None]
    with_value.sort(key=lambda offer: _key(getattr(offer, attribute)), reverse=descending)
    return [offer.id for offer in with_value + without]  # no value: last either way


def _key(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value
    return Decimal(value) if isinstance(value, Decimal) else value


def listed(filters: search.OfferFilters) -> list[int]:
    """Every page of the list, in order."""
    ids: list[int] = []
    page = 1
    while True:
        result = search.list_offers(dataclasses.replace(filters, page=page))
        if result.page != page:  # past the end: the last page is shown again
            return ids
        ids += [row.id for row in result.rows]
        if len(result.rows) < filters.per_page or (not result.more and page >= result.pages):
            return ids
        page += 1


FILTERS: list[dict[str, Any]] = [
    {},
    {"queue": "sbgs-desk"},
    {"status": "queued", "queue": "sbgs-desk"},
    {"outcome": "needs_info"},
    {"recipient": "npu"},
    {"state": "TX"},
    {"state": "TX", "recipient": "npu"},
    {"agency": "riverside state"},
    {"agency": "RIVER"},
    {"agency": "ol"},
    {"agency": "nowhere"},
    {"category": "drone"},
    {"category": "helmet", "state": "CA"},
    {"rule": "MARKINGS"},
    {"rule": "EXPORT-DRONE", "outcome": "review"},
    {"rule": "NEED-LIST", "category": "radio", "text": "radio"},
    {"text": "radio"},  # broad: items and an agency-free word
    {"text": "tourniquets lot 41"},  # rare
    {"text": "TOURNIQUETS LOT 4"},
    {"text": "sn-common"},  # serial numbers
    {"text": "SN-22A"},
    {"text": "2026-00001"},  # part of references
    {"text": "springfield.example"},  # every contact e-mail
    {"text": "4"},  # shorter than a trigram
    {"text": "zeppelin"},
    {"text": "100%"},
    {"text": "ach_"},
    {"text": "radio", "state": "IL", "recipient": "sbgs", "category": "helmet"},
    {"date_from": NOW.date() - dt.timedelta(days=5), "date_to": NOW.date()},
    {"date_from": NOW.date() - dt.timedelta(days=3), "text": "police"},
    {"state": "TX", "recipient": "npu", "category": "radio"},
]
SORTED = [{}, {"text": "radio"}, {"category": "medical"}, {"rule": "MARKINGS", "state": "IL"}]


def cases(backend: str) -> list[search.OfferFilters]:
    chosen = [search.OfferFilters(**args) for args in FILTERS]
    if backend == "sqlite":
        # FTS5 folds case beyond ASCII (PostgreSQL's lower() depends on the server's locale).
        chosen += [search.OfferFilters(text="überlingen"), search.OfferFilters(text="ÜBERL")]
    else:
        chosen += [search.OfferFilters(text="Überlingen")]
    for args, sort, direction in itertools.product(SORTED, search.SORTS, search.DIRECTIONS):
        chosen.append(search.OfferFilters(**args, sort=sort, direction=direction))
    return chosen


@pytest.mark.parametrize(("cap", "reach"), [(2, 100), (2, 1), (1000, 100)])
def test_every_filter_and_sort_lists_what_a_plain_reading_finds(
    app, backend, monkeypatch, cap, reach
):
    """With a cap of 2 (probes of 6 ids) broad filters go the walking way; with 1000 every
    probe is complete and the list is read from its ids. With a reach of 1, PostgreSQL's walk
    gives up unless every offer it tests matches, and the page is read with plain conditions."""
    app.config["OFFER_LIST_COUNT_CAP"] = cap
    monkeypatch.setattr(search, "WALK_TESTS_PER_ROW", reach)
    with app.app_context():
        build()
        wrong = []
        for filters in cases(backend):
            want = expected(filters, backend)
            got = listed(filters)
            if got != want:
                wrong.append((filters, want, got))
            first = search.list_offers(filters)
            if len(want) > cap and len(want) > filters.per_page:
                assert first.total_label == f"more than {cap:,}", filters
            else:
                assert first.total == len(want), filters
        assert not wrong


def test_both_ways_of_the_probe_are_taken(app, backend):
    app.config["OFFER_LIST_COUNT_CAP"] = 2
    with app.app_context():
        build()
        broad = search._plan(search.OfferFilters(text="radio"), cap=2)
        rare = search._plan(search.OfferFilters(text="SN-22A"), cap=2)
        rare_sql = str(rare.conditions[-1].compile(db.engine))
    assert broad.sample  # many: the probe's ids are a sample for the count
    assert rare.sample is None  # few: listed from the probe's ids
    assert "IN" in rare_sql


def test_the_latest_evaluation_is_the_one_rule_fired_reads(app):
    """offers.evaluation_id is kept by the database: a re-evaluation moves it, with no
    statement of the application's."""
    with app.app_context():
        offer = make_offer("UA-2026-000001", rules=["MARKINGS"])
        first = db.session.scalar(sa.select(Offer.evaluation_id).filter_by(id=offer.id))
        reevaluate(offer, ["NEED-LIST"])
        latest = db.session.scalar(sa.select(sa.func.max(Evaluation.id)))
        assert latest != first
        assert db.session.scalar(sa.select(Offer.evaluation_id).filter_by(id=offer.id)) == latest
        assert search.list_offers(search.OfferFilters(rule="MARKINGS")).rows == []
        rows = search.list_offers(search.OfferFilters(rule="NEED-LIST")).rows
        assert [row.reference for row in rows] == ["UA-2026-000001"]


def test_the_folding_is_that_of_the_fts5_tables():
    """services/text_fold.py folds every character of the Basic Multilingual Plane as the
    trigram tokenizer of the SQLite in use does (read back through fts5vocab)."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    codes = [code for code in range(1, 0x10000) if not 0xD800 <= code <= 0xDFFF]
    conn.executemany("INSERT INTO t(rowid, x) VALUES (?, ?)", [(c, f"a{chr(c)}b") for c in codes])
    folded = dict(conn.execute("SELECT doc, substr(term, 2, 1) FROM v WHERE offset = 0"))
    assert {code: fold(chr(code)) for code in codes} == folded


@pytest.mark.postgres
@pytest.mark.parametrize("window", [5, 1000])
def test_the_agency_quick_look_lists_the_same_offers(app, backend, monkeypatch, window):
    """PostgreSQL's quick look at the first offers in table order (taken on large tables only),
    whether it finds more than the cap there (window 1000) or not (window 5)."""
    monkeypatch.setattr(search, "AGENCY_WINDOW_FROM", 0)
    monkeypatch.setattr(search, "AGENCY_WINDOW", window)
    app.config["OFFER_LIST_COUNT_CAP"] = 2
    with app.app_context():
        build()
        for args in [*FILTERS, {"agency": "police", "state": "TX"}, {"agency": "e"}]:
            if "agency" in args:
                filters = search.OfferFilters(**args)
                assert listed(filters) == expected(filters, backend), filters


@pytest.mark.postgres
@pytest.mark.parametrize("share", [0.3, 0.99])
def test_the_text_sample_lists_the_same_offers(app, backend, monkeypatch, share):
    """On a large PostgreSQL database the search text is first looked for in a sample of the
    item table's blocks (taken here on a small one): the rows are the plain reading's whichever
    way the sample goes, and the count says "more than" only for more than the cap."""
    app.config["OFFER_LIST_COUNT_CAP"] = 2
    with app.app_context():
        build()
        db.session.execute(sa.text("ANALYZE items"))
        items = db.session.scalar(sa.text("SELECT reltuples FROM pg_class WHERE relname = 'items'"))
        monkeypatch.setattr(search, "TEXT_SAMPLE_FROM", 1)
        monkeypatch.setattr(search, "TEXT_SAMPLE_ROWS", share * items)
        monkeypatch.setattr(search, "TEXT_SAMPLE_HITS", 1)
        for args in FILTERS:
            if "text" in args:
                filters = search.OfferFilters(**args)
                want = expected(filters, backend)
                assert listed(filters) == want, filters
                first = search.list_offers(filters)
                if len(want) > 2 and len(want) > filters.per_page:
                    assert first.total_label == "more than 2", filters
                else:
                    assert first.total == len(want), filters
        broad = search._plan(search.OfferFilters(text="radio"), cap=2)
        if share == 0.99:
            assert broad.sample_share == pytest.approx(0.99)  # many, from the sample
        monkeypatch.setattr(search, "TEXT_SAMPLE_FROM", items + 1)
        assert search._plan(search.OfferFilters(text="radio"), cap=2).sample_share == 1


def test_a_sample_stands_for_more_than_the_cap_only_with_a_margin():
    assert search._shows_many(30, 0.005, 1000)  # 6,000 estimated
    assert not search._shows_many(29, 0.005, 1000)  # too few to go by
    assert not search._shows_many(30, 0.02, 1000)  # 1,500 estimated: not three times the cap
    assert search._shows_many(61, 0.02, 1000)
    assert not search._shows_many(5000, 1.0, 1000)  # the whole table is no sample


@pytest.mark.postgres
def test_a_walk_that_finds_every_counted_match_reads_no_more(app, backend, monkeypatch):
    """With the count exact, a walk that found the page's rows is done: the plain reading
    after it is only for a walk that gave up."""
    app.config["OFFER_LIST_COUNT_CAP"] = 2
    plain = []
    statement = search.list_statement

    def recorded(filters, limit=None, offset=0, conditions=None):
        plain.append(conditions is None)
        return statement(filters, limit, offset, conditions)

    monkeypatch.setattr(search, "list_statement", recorded)
    with app.app_context():
        build()
        filters = search.OfferFilters(text="radio", state="IL", recipient="sbgs", category="helmet")
        assert search._plan(filters, cap=2).walk is not None
        result = search.list_offers(filters)
        assert not result.more and 0 < result.total <= 2
        assert [row.id for row in result.rows] == expected(filters, backend)
    assert plain == []
