"""The search indexes of migration 0009 follow every write (insert, update, delete, privacy
erasure) in the same transaction; broad matches are counted up to a cap; the CSV export reads
in keyset batches. Runs on both databases (SQLite FTS5, PostgreSQL trigram indexes)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from donations_app.extensions import db
from donations_app.models import Item, Offer
from donations_app.services import personal_data, search
from tests.review.listing_builders import NOW, make_offer

ERASED_ADDRESS = "pat.private@springfield.example.gov"


def found(app, text: str) -> list[str]:
    """The references the search box finds for `text`, newest first, through the service."""
    with app.app_context():
        filters = search.OfferFilters(text=text, per_page=100)
        return [row.reference for row in search.list_offers(filters).rows]


def fts_rowids(app, table: str, text: str) -> list[int]:
    """On SQLite, the rows of an FTS5 table whose indexed text contains `text`."""
    with app.app_context():
        phrase = '"' + text.replace('"', '""') + '"'
        statement = sa.text(f"SELECT rowid FROM {table} WHERE {table} MATCH :phrase")
        return list(db.session.scalars(statement, {"phrase": phrase}))


@pytest.fixture
def stocked(app):
    with app.app_context():
        offer = make_offer(
            "UA-2026-000101",
            status="withdrawn",
            agency="Decatur Township Fire",
            items=[("medical", "Trauma shears"), ("radio", "Motorola XTS handsets")],
        )
        offer.contact_email = ERASED_ADDRESS
        offer.items[1].serial_numbers = ["XTS-9001", "XTS-9002"]
        make_offer("UA-2026-000102", agency="Peoria County Sheriff")
        db.session.commit()
    return app


def test_new_rows_are_searchable_at_once(stocked):
    assert found(stocked, "decatur township") == ["UA-2026-000101"]
    assert found(stocked, "XTS-9002") == ["UA-2026-000101"]
    assert found(stocked, "trauma SHEARS") == ["UA-2026-000101"]
    assert found(stocked, "pat.private@") == ["UA-2026-000101"]
    assert found(stocked, "2026-000102") == ["UA-2026-000102"]


def test_updates_replace_the_old_text_in_the_index(stocked):
    with stocked.app_context():
        offer = db.session.scalar(sa.select(Offer).filter_by(reference="UA-2026-000101"))
        offer.agency_name = "Macon County Emergency Management"
        offer.items[0].description = "Tourniquets"
        offer.items[1].serial_numbers = ["ABC-1234"]
        offer.status = "approved"  # a column the index does not hold: nothing to redo
        db.session.commit()
    assert found(stocked, "decatur") == []
    assert found(stocked, "macon county") == ["UA-2026-000101"]
    assert found(stocked, "trauma") == []
    assert found(stocked, "tourniquet") == ["UA-2026-000101"]
    assert found(stocked, "XTS-9001") == []
    assert found(stocked, "abc-1234") == ["UA-2026-000101"]


def test_deleted_rows_leave_the_index(stocked):
    with stocked.app_context():
        offer = db.session.scalar(sa.select(Offer).filter_by(reference="UA-2026-000101"))
        db.session.delete(offer.items[1])
        db.session.commit()
    assert found(stocked, "motorola") == []
    assert found(stocked, "shears") == ["UA-2026-000101"]


def test_erasure_removes_the_contact_address_from_the_index(stocked, backend):
    with stocked.app_context():
        personal_data.erase("UA-2026-000101", None)
    assert found(stocked, "pat.private") == []
    assert found(stocked, ERASED_ADDRESS) == []
    assert found(stocked, "decatur") == ["UA-2026-000101"]  # the offer itself stays
    if backend == "sqlite":
        assert fts_rowids(stocked, "search_offers", "pat.private") == []
        with stocked.app_context():
            # The index agrees with the rows it indexes (FTS5 raises an error otherwise).
            integrity = "INSERT INTO search_offers(search_offers) VALUES ('integrity-check')"
            db.session.execute(sa.text(integrity))
            db.session.rollback()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9001", ["UA-2026-000101"]),  # digits inside a serial number
        ("XT", ["UA-2026-000101"]),  # shorter than a trigram: scanned, same answer
        ("ty ", ["UA-2026-000102"]),  # a space is a character like any other
        ('a"b', []),
        ("100%", []),
        ("10_", []),
        ("OR", ["UA-2026-000102", "UA-2026-000101"]),  # "Peoria", "Motorola"
        ("NOT", []),  # not an FTS5 operator
        ("NEAR(", []),
    ],
)
def test_the_text_is_taken_literally(stocked, text, expected):
    assert found(stocked, text) == expected


def test_the_search_uses_one_query_form_per_table(stocked, backend):
    """The id lists of offers and items are joined with UNION (an OR across the two tables
    defeats every index); on SQLite a long enough text goes to the FTS5 tables."""
    with stocked.app_context():
        condition = search.filter_conditions(search.OfferFilters(text="motorola"))[0]
        sql = str(condition.compile(db.engine))
    assert "UNION" in sql
    assert ("MATCH" in sql) == (backend == "sqlite")


@pytest.fixture
def many(app):
    app.config["OFFER_LIST_COUNT_CAP"] = 10
    with app.app_context():
        for number in range(1, 31):
            make_offer(f"UA-2026-{number:06d}", submitted_at=NOW + dt.timedelta(hours=number))
    return app


def test_a_broad_match_shows_more_than_the_cap(many, client, auth):
    auth.as_role("reviewer")
    first = client.get("/review/offers?q=springfield&sort=reference&dir=asc")
    assert "Showing offers 1 to 25 of more than 10 matching the filters." in first.text
    assert "Download all matching offers as CSV" in first.text
    assert 'aria-label="Next page"' in first.text
    assert "Last page" not in first.text
    assert "Offers, page 1, sorted" in first.text
    second = client.get("/review/offers?q=springfield&sort=reference&dir=asc&page=2")
    refs = re.findall(r'href="/review/offers/(UA-\d{4}-\d{6})"', second.text)
    assert refs == [f"UA-2026-{n:06d}" for n in range(26, 31)]
    assert "Showing offers 26 to 30 of 30 matching" in second.text  # the last page is exact
    assert 'aria-label="Next page"' not in second.text
    beyond = client.get("/review/offers?q=springfield&sort=reference&dir=asc&page=9")
    assert "Showing offers 26 to 30 of 30 matching" in beyond.text


def test_a_count_within_the_cap_is_exact(many):
    with many.app_context():
        assert search.count_offers(search.OfferFilters(text="UA-2026-00001"), cap=10) == 10
        assert search.count_offers(search.OfferFilters(text="springfield"), cap=10) == 11
        assert search.count_offers(search.OfferFilters(text="springfield")) == 30
        page = search.list_offers(search.OfferFilters(text="00000"))
        assert (page.total, page.more, page.total_label) == (9, False, "9")


@pytest.mark.parametrize(
    ("sort", "direction"),
    [(sort, direction) for sort in search.SORTS for direction in search.DIRECTIONS],
)
def test_the_export_batches_follow_the_list_order(app, sort, direction):
    """Keyset batches of 3 rows give exactly the rows of one unbatched query, in its order,
    with ties on the sort column and offers without a value."""
    with app.app_context():
        for number in range(1, 12):
            make_offer(
                f"UA-2026-{number:06d}",
                status=("queued", "in_review")[number % 2],
                agency=f"Agency {number % 3}",
                total_value=None if number % 4 == 0 else f"{(number % 5) * 100}.00",
                submitted_at=NOW + dt.timedelta(hours=number % 6),
            )
        filters = search.OfferFilters(sort=sort, direction=direction)
        expected = [row.id for row in db.session.execute(search.list_statement(filters))]
        batched = [row.id for row in search.iter_offers(filters, batch_size=3)]
    assert batched == expected
    assert len(batched) == 11


def test_the_export_reads_in_batches_without_a_server_side_cursor(app, monkeypatch):
    with app.app_context():
        for number in range(1, 8):
            make_offer(f"UA-2026-{number:06d}")
        statements: list[str] = []

        def seen(conn, cursor, statement, *args):
            if "FROM offers" in statement:
                statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", seen)
        try:
            rows = list(search.iter_offers(search.OfferFilters(), batch_size=3))
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert len(rows) == 7
    # Per batch (3 + 3 + 1 rows): the next ids (LIMIT, after the last row), then their rows.
    assert len(statements) == 6
    assert ["LIMIT" in statement for statement in statements] == [True, False] * 3


def test_item_rows_of_an_offer_found_by_two_fields_count_once(stocked):
    with stocked.app_context():
        offer = db.session.scalar(sa.select(Offer).filter_by(reference="UA-2026-000102"))
        offer.items.append(
            Item(
                position=5,
                category="medical",
                description="Peoria first-aid kit",
                quantity=1,
                condition="new",
                acquired_via="own_funds",
                outcome="review",
            )
        )
        db.session.commit()
        page = search.list_offers(search.OfferFilters(text="peoria"))
    assert [row.reference for row in page.rows] == ["UA-2026-000102"]
    assert page.total == 1
