"""The reviewers' offer list: every filter, sorting, pagination, bad values and the CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from donations_app.extensions import db
from tests.review.listing_builders import make_offer, reevaluate

D = dt.datetime


def utc(*args: int) -> dt.datetime:
    return D(*args, tzinfo=dt.UTC)


@pytest.fixture
def offers(app, client, auth, make_reviewer):
    """Five known offers and a signed-in reviewer."""
    with app.app_context():
        reviewer = make_reviewer()
        lead = make_reviewer("lena@state.example.gov", role="lead")
        make_offer(
            "UA-2026-000001",
            queue="sbgs-desk",
            agency="Springfield Police Department",
            submitted_at=utc(2026, 3, 2, 9),
            total_value="1500.00",
            items=[("body_armor", "Level IIIA vests"), ("medical", "Trauma kits")],
            rules=["EXPORT-ARMOR-EAR"],
        )
        make_offer(
            "UA-2026-000002",
            status="in_review",
            queue="export-control",
            recipient="npu",
            agency="Cook County Sheriff",
            submitted_at=utc(2026, 3, 5, 9),
            total_value="250000.00",
            assignee=lead,
            items=[("night_vision", "PVS-14 monoculars")],
            rules=["EXPORT-NIGHT-VISION"],
        )
        make_offer(
            "UA-2026-000003",
            status="approved",
            queue="npu-desk",
            recipient="npu",
            agency="Austin Police",
            state="TX",
            submitted_at=utc(2026, 2, 10, 9),
            decided_at=utc(2026, 2, 20, 9),
            items=[("computer", "Dell laptops 100% wiped"), ("phone", "Phones")],
            rules=["NEED-LIST"],
        )
        make_offer(
            "UA-2026-000004",
            status="rejected",
            outcome="rejected",
            queue=None,
            recipient="any",
            agency='=HYPERLINK("http://evil.example","x")',
            state="CA",
            submitted_at=utc(2026, 3, 10, 23, 59),
            items=[("firearm", "Glock 17 pistols")],
            rules=["ARMS"],
        )
        make_offer(
            "UA-2026-000005",
            status="needs_info",
            outcome="needs_info",
            queue=None,
            agency="Travis County Sheriff's Office",
            state="TX",
            submitted_at=utc(2026, 3, 17, 9),
            total_value="20.50",
            items=[("radio", "Motorola APX radios")],
            rules=["DATA-SANITIZE"],
        )
        auth.sign_in_as(reviewer)
    return client


def listed(response) -> list[str]:
    """The offer references in the list, in page order."""
    assert response.status_code == 200
    return [ref[-1] for ref in re.findall(r'href="/review/offers/(UA-\d{4}-\d{6})"', response.text)]


def test_the_list_shows_every_offer_newest_first_with_its_columns(offers):
    response = offers.get("/review/offers")
    assert listed(response) == ["5", "4", "2", "1", "3"]
    assert "Showing offers 1 to 5 of 5" in response.text
    row = re.search(r"UA-2026-000002</a></th>(.*?)</tr>", response.text, re.S).group(1)
    for text in ("Cook County Sheriff", "IL", "NPU", "In review", "Export control", "$250,000.00"):
        assert text in row
    assert ">Lena<" in row  # the assignee
    assert '2026-03-05 <span class="app-nowrap">09:00</span>' in row


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("queue=sbgs-desk", ["1"]),
        ("queue=export-control", ["2"]),
        ("status=approved", ["3"]),
        ("status=needs_info", ["5"]),
        ("outcome=rejected", ["4"]),
        ("recipient=npu", ["2", "3"]),
        ("category=medical", ["1"]),
        ("category=phone", ["3"]),
        ("rule=EXPORT-NIGHT-VISION", ["2"]),
        ("rule=ARMS", ["4"]),
        ("state=tx", ["5", "3"]),
        ("agency=SHERIFF", ["5", "2"]),
        ("from=2026-03-05&to=2026-03-10", ["4", "2"]),
        ("from=2026-03-11", ["5"]),
        ("to=2026-03-01", ["3"]),
        ("q=pvs-14", ["2"]),
        ("q=austin", ["3"]),
        ("q=%25", ["3"]),  # a literal percent sign, not a wildcard
        ("q=_", []),
        ("status=queued&queue=sbgs-desk", ["1"]),
        ("status=queued&queue=npu-desk", []),
        ("recipient=npu&category=night_vision&q=monocular", ["2"]),
    ],
)
def test_each_filter_narrows_the_list(offers, query, expected):
    response = offers.get(f"/review/offers?{query}")
    assert listed(response) == expected
    assert "could not be used" not in response.text
    if not expected:
        assert "No offers match these filters" in response.text


def test_the_rule_filter_reads_only_the_latest_evaluation(app, offers):
    with app.app_context():
        from donations_app.models import Offer

        offer = db.session.query(Offer).filter_by(reference="UA-2026-000001").one()
        reevaluate(offer, ["PROV-BVP"])
    assert listed(offers.get("/review/offers?rule=EXPORT-ARMOR-EAR")) == []
    assert listed(offers.get("/review/offers?rule=PROV-BVP")) == ["1"]


def test_filters_stay_in_the_form_and_in_the_links(offers):
    response = offers.get("/review/offers?status=queued&q=vests&from=2026-03-01&sort=agency")
    html = response.text
    assert re.search(r'<option value="queued" selected>', html)
    assert 'id="filter-q" name="q" type="text" value="vests"' in html
    assert 'value="2026-03-01"' in html
    assert (
        "/review/offers.csv?status=queued&amp;from=2026-03-01&amp;q=vests&amp;sort=agency" in html
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sort=reference&dir=asc", ["1", "2", "3", "4", "5"]),
        ("sort=reference", ["5", "4", "3", "2", "1"]),
        ("sort=agency&dir=asc", ["4", "3", "2", "1", "5"]),
        ("sort=status&dir=asc", ["3", "2", "5", "1", "4"]),
        ("sort=submitted&dir=asc", ["3", "1", "2", "4", "5"]),
        # offers without a value come last either way
        ("sort=value&dir=asc", ["5", "1", "2", "3", "4"]),
        ("sort=value&dir=desc", ["2", "1", "5", "4", "3"]),
    ],
)
def test_sorting(offers, query, expected):
    assert listed(offers.get(f"/review/offers?{query}")) == expected


def test_sort_links_say_which_column_is_sorted(offers):
    html = offers.get("/review/offers?sort=value&dir=asc").text
    assert '<th scope="col" aria-sort="ascending">' in html
    assert html.count("aria-sort=") == 1
    # the active column's link reverses the order (descending is the default, so no dir=)
    assert 'href="/review/offers?sort=value">Total value' in html
    assert 'href="/review/offers?sort=reference">Reference' in html


def test_the_table_and_form_are_accessible(offers):
    html = offers.get("/review/offers").text
    assert "<caption" in html and "Offers, page 1 of 1" in html
    assert '<th scope="col"' in html and '<th scope="row"' in html
    for key in ("q", "agency", "queue", "status", "outcome", "recipient", "category", "rule"):
        assert f'<label class="usa-label" for="filter-{key}">' in html
    for key in ("state", "from", "to", "sort", "dir", "per_page"):
        assert f'for="filter-{key}"' in html
    assert '<form method="get"' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=lost", "Status &#39;lost&#39; is not one we know"),
        ("queue=nowhere", "Queue &#39;nowhere&#39; is not one we know"),
        ("category=spaceship", "Category &#39;spaceship&#39; is not one we know"),
        ("rule=NO-SUCH-RULE", "Rule &#39;NO-SUCH-RULE&#39; is not one we know"),
        ("recipient=army", "Recipient &#39;army&#39; is not one we know"),
        ("state=ZZ", "State must be a two-letter USPS code"),
        ("from=2026-13-01", "Submitted from must be a date"),
        ("to=yesterday", "Submitted to must be a date"),
        ("from=2026-03-10&to=2026-03-01", "Submitted to must be on or after Submitted from"),
        ("sort=password_hash", "That sort order is not available"),
        ("dir=sideways", "Sort direction must be asc or desc"),
        ("per_page=1000", "Offers per page must be 25, 50 or 100"),
        ("page=-1", "The page number must be a whole number"),
        ("page=abc", "The page number must be a whole number"),
        ("q=" + "x" * 101, "Search text must be 100 characters or fewer"),
        ("agency=" + "x" * 101, "Agency must be 100 characters or fewer"),
    ],
)
def test_a_bad_filter_value_is_explained_and_ignored(offers, query, message):
    response = offers.get(f"/review/offers?{query}")
    assert response.status_code == 200
    assert message in response.text
    assert "Some filters could not be used" in response.text
    assert "<title>Error: " in response.text
    assert len(listed(response)) == 5  # the bad filter was ignored


def test_pagination_bounds(app, offers):
    with app.app_context():
        for number in range(6, 61):
            make_offer(
                f"UA-2026-{number:06d}", submitted_at=utc(2026, 1, 1) + dt.timedelta(hours=number)
            )
    first = offers.get("/review/offers?sort=reference&dir=asc")
    assert len(listed(first)) == 25
    assert "Showing offers 1 to 25 of 60" in first.text
    assert 'aria-label="Next page"' in first.text
    assert 'aria-label="Previous page"' not in first.text
    third = offers.get("/review/offers?sort=reference&dir=asc&page=3")
    assert listed(third) == [str(n)[-1] for n in range(51, 61)]
    assert "Showing offers 51 to 60 of 60" in third.text
    assert 'aria-label="Next page"' not in third.text
    beyond = offers.get("/review/offers?sort=reference&dir=asc&page=99")
    assert "Showing offers 51 to 60 of 60" in beyond.text
    fifty = offers.get("/review/offers?per_page=50&page=2")
    assert "Showing offers 51 to 60 of 60" in fifty.text
    hundred = offers.get("/review/offers?per_page=100")
    assert len(listed(hundred)) == 60
    assert 'class="usa-pagination"' not in hundred.text


def test_the_csv_export_has_every_matching_offer(app, offers):
    with app.app_context():
        for number in range(6, 60):
            make_offer(f"UA-2026-{number:06d}", queue="legal", submitted_at=utc(2026, 1, 5))
    response = offers.get("/review/offers.csv?queue=legal&sort=reference&dir=asc")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["Reference"] for r in rows] == [f"UA-2026-{n:06d}" for n in range(6, 60)]
    assert {r["Queue"] for r in rows} == {"Legal"}


def test_the_csv_rows_carry_the_list_columns_as_words(offers):
    rows = list(csv.DictReader(io.StringIO(offers.get("/review/offers.csv?recipient=npu").text)))
    assert rows == [
        {
            "Reference": "UA-2026-000002",
            "Agency": "Cook County Sheriff",
            "State": "IL",
            "Recipient": "National Police of Ukraine (NPU)",
            "Status": "In review",
            "Rule outcome": "Specialist review",
            "Queue": "Export control",
            "Items": "1",
            "Total value (USD)": "250000.00",
            "Submitted (UTC)": "2026-03-05T09:00:00+00:00",
            "Assignee": "Lena",
        },
        {
            "Reference": "UA-2026-000003",
            "Agency": "Austin Police",
            "State": "TX",
            "Recipient": "National Police of Ukraine (NPU)",
            "Status": "Approved",
            "Rule outcome": "Specialist review",
            "Queue": "NPU desk",
            "Items": "2",
            "Total value (USD)": "",
            "Submitted (UTC)": "2026-02-10T09:00:00+00:00",
            "Assignee": "",
        },
    ]


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_the_csv_export_defuses_spreadsheet_formulas(app, offers, start):
    with app.app_context():
        make_offer("UA-2026-000099", agency=f"{start}cmd|' /C calc'!A0", queue="logistics")
    rows = list(csv.reader(io.StringIO(offers.get("/review/offers.csv?queue=logistics").text)))
    assert rows[1][1] == f"'{start}cmd|' /C calc'!A0"
    formula = list(csv.reader(io.StringIO(offers.get("/review/offers.csv?outcome=rejected").text)))
    assert formula[1][1] == '\'=HYPERLINK("http://evil.example","x")'


def test_the_csv_export_refuses_bad_filters(offers):
    response = offers.get("/review/offers.csv?status=lost")
    assert response.status_code == 400
    assert "Status &#39;lost&#39; is not one we know" in response.text


def test_the_list_and_export_need_a_signed_in_reviewer(app, client):
    with app.app_context():
        make_offer("UA-2026-000001")
    for url in ("/review/offers", "/review/offers.csv", "/review/"):
        response = client.get(url)
        assert response.status_code in (302, 401)
        assert "UA-2026-000001" not in response.text
