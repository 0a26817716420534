"""A reviewer finds offers in a real browser, with the keyboard; the list pages pass axe-core."""

from __future__ import annotations

import datetime as dt

import pytest

from donations_app.models import utcnow
from tests.e2e.conftest import assert_no_axe_violations
from tests.e2e.pages import OfferListPage, SignInPage
from tests.review.listing_builders import make_offer

pytestmark = pytest.mark.e2e


def seed(app, make_reviewer, role: str) -> str:
    """A few offers in several queues and a reviewer (member of npu-desk); return the e-mail."""
    now = utcnow()
    reviewer = make_reviewer("rita@state.example.gov", role=role, queues=("npu-desk",))
    with app.app_context():
        make_offer(
            "UA-2026-000001",
            queue="export-control",
            recipient="npu",
            agency="Cook County Sheriff",
            submitted_at=now - dt.timedelta(days=4),
            total_value="1200.00",
            items=[("night_vision", "PVS-14 monoculars")],
        )
        make_offer(
            "UA-2026-000002",
            queue="npu-desk",
            recipient="npu",
            status="in_review",
            agency="Austin Police",
            submitted_at=now - dt.timedelta(days=2),
            assignee=reviewer,
            items=[("medical", "Trauma kits")],
        )
        make_offer(
            "UA-2026-000003",
            queue="sbgs-desk",
            agency="Springfield Police",
            submitted_at=now - dt.timedelta(days=9),
            decided_at=now - dt.timedelta(days=1),
            status="approved",
            items=[("radio", "Handheld radios")],
            decisions=["approved"],
        )
        return reviewer.email


def test_a_reviewer_filters_the_offer_list_with_the_keyboard(live_server, page, make_reviewer):
    email = seed(live_server.app, make_reviewer, "reviewer")
    SignInPage(page, live_server).sign_in_as(email)

    page.goto(live_server.url("/review/"))
    assert page.locator("h2", has_text="My queues").count() == 1
    assert_no_axe_violations(page)

    offers = OfferListPage(page, live_server).open()
    assert page.get_by_text("Showing offers 1 to 3 of 3").count() == 1
    assert_no_axe_violations(page)

    # free text: type and press Enter in the search box
    offers.search_with_keyboard("monocular")
    assert "q=monocular" in page.url
    assert page.locator("tbody tr").count() == 1
    assert offers.references() == ["UA-2026-000001"]

    # replace it with a recipient filter chosen by keyboard, and sort by a column link
    offers.filter("q").fill("")
    offers.filter("recipient").focus()
    page.keyboard.press("ArrowDown")  # "Any" -> "SBGS" -> ...
    page.keyboard.press("ArrowDown")
    assert offers.filter("recipient").input_value() == "npu"
    offers.press_enter_on(page.locator("button", has_text="Apply filters"))
    assert "recipient=npu" in page.url
    assert offers.references() == ["UA-2026-000002", "UA-2026-000001"]
    offers.press_enter_on(page.locator("thead a", has_text="Reference"))
    header = page.locator("th[aria-sort]")
    assert header.get_attribute("aria-sort") == "descending"
    assert offers.references() == ["UA-2026-000002", "UA-2026-000001"]
    assert "recipient=npu" in page.url  # the filter survives sorting; the URL can be shared

    # a bad value in a shared link is explained, not a crash
    offers.open("status=lost&from=2026-02-30")
    assert page.title().startswith("Error: ")
    assert page.get_by_text("Some filters could not be used").count() == 1
    assert_no_axe_violations(page)


def test_the_reports_page_passes_axe_for_a_lead(live_server, page, make_reviewer):
    email = seed(live_server.app, make_reviewer, "lead")
    SignInPage(page, live_server).sign_in_as(email)
    page.goto(live_server.url("/review/reports"))
    assert page.locator("svg.app-chart[role=img]").count() == 5
    assert page.locator("table caption").count() == 5
    assert_no_axe_violations(page)
