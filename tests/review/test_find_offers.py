"""Reviewers find an offer by what people quote: its reference (whole or partial, any case, with
or without the prefix), the agency, the contact's e-mail, an item's text or serial number."""

from __future__ import annotations

import re

import pytest

from donations_app.extensions import db
from tests.review.listing_builders import make_offer


@pytest.fixture
def offers(app, client, auth):
    with app.app_context():
        first = make_offer("UA-2026-000041", agency="Springfield Police Department")
        first.contact_email = "quartermaster@springfield.example.gov"
        second = make_offer("UA-2026-000042", agency="Cook County Sheriff")
        second.contact_email = "logistics@cookcounty.example.gov"
        second.items[0].serial_numbers = ["SN-77A1", "SN-77A2"]
        db.session.commit()
    auth.as_role("reviewer")
    return client


def listed(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return re.findall(r'href="/review/offers/(UA-\d{4}-\d{6})"', response.text)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("000042", ["UA-2026-000042"]),
        ("ua-2026-00004", ["UA-2026-000042", "UA-2026-000041"]),
        ("logistics@cookcounty", ["UA-2026-000042"]),
        ("QUARTERMASTER", ["UA-2026-000041"]),
        ("sn-77a2", ["UA-2026-000042"]),
        ("first-aid", ["UA-2026-000042", "UA-2026-000041"]),
        ("UA-2026-999999", []),
    ],
)
def test_one_box_finds_what_people_quote(offers, query, expected):
    assert listed(offers.get("/review/offers", query_string={"q": query})) == (
        sorted(expected, reverse=True)
    )


@pytest.mark.parametrize("typed", ["UA-2026-000042", "ua-2026-000042", " 2026-000042 "])
def test_a_whole_reference_in_the_header_search_opens_the_offer(offers, typed):
    response = offers.get("/review/offers", query_string={"q": typed})
    assert response.status_code == 302
    assert response.headers["Location"] == "/review/offers/UA-2026-000042"


def test_an_unknown_reference_lists_nothing_and_the_header_has_the_box(offers):
    response = offers.get("/review/offers", query_string={"q": "UA-2026-999999"})
    assert listed(response) == []
    assert 'id="header-search"' in response.text and 'role="search"' in response.text
