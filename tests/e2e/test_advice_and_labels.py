"""What a person sees: the offer list fits a 1280 px screen and reads well on a phone; a refused
item shows one consistent piece of advice; the pages pass axe-core at both widths."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from donations_app.models import utcnow
from tests.e2e.conftest import assert_no_axe_violations
from tests.e2e.pages import OfferListPage, SignInPage
from tests.review.listing_builders import make_offer

pytestmark = pytest.mark.e2e

SHOTS = Path(os.environ.get("E2E_SCREENSHOTS", "/tmp/e2e-screenshots"))
STATUSES = ("needs_info", "queued", "in_review", "partially_approved", "withdrawn")


def horizontal_overflow(page, selector: str) -> list[int]:
    """scrollWidth - clientWidth of each element the selector matches (0: no horizontal scroll)."""
    return page.eval_on_selector_all(selector, "els => els.map(e => e.scrollWidth - e.clientWidth)")


def seed_list(app, make_reviewer) -> str:
    now = utcnow()
    lead = make_reviewer("lena@state.example.gov", role="lead", queues=("npu-desk",))
    with app.app_context():
        for n, status in enumerate(STATUSES):
            make_offer(
                f"UA-2026-{n + 1:06d}",
                status=status,
                queue="export-control" if n % 2 else "sbgs-desk",
                recipient="npu" if n % 2 else "sbgs",
                agency="Metropolitan Nashville and Davidson County Sheriff's Office",
                submitted_at=now - dt.timedelta(days=n),
                total_value="1234567.00",
                assignee=lead if status == "in_review" else None,
            )
    return lead.email


def test_the_offer_list_fits_1280_px_and_reads_on_a_phone(live_server, page, make_reviewer):
    email = seed_list(live_server.app, make_reviewer)
    SignInPage(page, live_server).sign_in_as(email)
    OfferListPage(page, live_server).open()
    assert page.locator("tbody tr").count() == len(STATUSES)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "offer-list-1280.png"), full_page=True)
    assert horizontal_overflow(page, "html") == [0]
    # The table is no wider than the main column holding it: nothing to scroll sideways.
    assert page.evaluate(
        "() => { const t = document.querySelector('.app-offer-table');"
        " return t.scrollWidth - t.parentElement.clientWidth; }"
    ) <= 0
    # Labels, never codes, in the cells a reviewer reads.
    cells = page.locator("tbody").inner_text()
    assert "Waiting for review" in cells and "In review" in cells
    for code in ("needs_info", "in_review", "queued", "partially_approved"):
        assert code not in cells
    assert_no_axe_violations(page)

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.screenshot(path=str(SHOTS / "offer-list-390.png"), full_page=True)
    assert horizontal_overflow(page, "html") == [0]
    # On a phone each offer is a card: its reference and status are visible without scrolling.
    first = page.locator("tbody tr").first
    box = first.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert first.locator("th a").is_visible()
    first.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "offer-list-390-card.png"))
    assert_no_axe_violations(page)
