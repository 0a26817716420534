"""What a person sees: the offer list fits a 1280 px screen and reads well on a phone; a refused
item shows one consistent piece of advice; the pages pass axe-core at both widths."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from donations_app.models import utcnow
from tests.e2e.conftest import assert_no_axe_violations
from tests.e2e.pages import OfferFormPage, OfferListPage, SignInPage
from tests.review.listing_builders import make_offer

pytestmark = pytest.mark.e2e

STATUSES = ("needs_info", "queued", "in_review", "partially_approved", "withdrawn")


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where screenshots go: E2E_SCREENSHOTS to keep them, else the test's temporary folder."""
    folder = Path(os.environ.get("E2E_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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


def test_the_offer_list_fits_1280_px_and_reads_on_a_phone(live_server, page, make_reviewer, shots):
    email = seed_list(live_server.app, make_reviewer)
    SignInPage(page, live_server).sign_in_as(email)
    OfferListPage(page, live_server).open()
    assert page.locator("tbody tr").count() == len(STATUSES)
    page.screenshot(path=str(shots / "offer-list-1280.png"), full_page=True)
    assert horizontal_overflow(page, "html") == [0]
    # The table is no wider than the main column holding it: nothing to scroll sideways.
    assert (
        page.evaluate(
            "() => { const t = document.querySelector('.app-offer-table');"
            " return t.scrollWidth - t.parentElement.clientWidth; }"
        )
        <= 0
    )
    # Labels, never codes, in the cells a reviewer reads.
    cells = page.locator("tbody").inner_text()
    assert "Waiting for review" in cells and "In review" in cells
    for code in ("needs_info", "in_review", "queued", "partially_approved"):
        assert code not in cells
    assert_no_axe_violations(page)

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.screenshot(path=str(shots / "offer-list-390.png"), full_page=True)
    assert horizontal_overflow(page, "html") == [0]
    # On a phone each offer is a card: its reference and status are visible without scrolling.
    first = page.locator("tbody tr").first
    box = first.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert first.locator("th a").is_visible()
    first.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "offer-list-390-card.png"))
    assert_no_axe_violations(page)


# Rifle plates whose warranty has ended: refused (ARMOR-WARRANTY) and export-controlled (ITAR).
EXPIRED_PLATES = {
    "description": "Rifle plates",
    "quantity": "40",
    "condition": "good",
    "acquired_via": "own_funds",
    "protection_level": "IV",
    "expires_on": "2020-01-01",
    "damaged": "no",
}
REVIEW_ADVICE = ("specialist will review", "No action needed", "export license")


def check_at_both_widths(page, shots, name: str) -> None:
    """axe-core at 1280 and 390 px, no sideways scrolling, a screenshot of each."""
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
        assert horizontal_overflow(page, "html") == [0], (name, width)
        assert_no_axe_violations(page)
    page.set_viewport_size({"width": 1280, "height": 900})


def assert_one_consistent_advice(page) -> None:
    text = page.inner_text("main")
    for advice in REVIEW_ADVICE:
        assert advice not in text
    assert page.locator("[data-advice-tag=reject]").count() == 1
    assert page.locator("[data-finding=EXPORT-ARMOR-ITAR]").count() == 0


def test_a_refused_item_reads_the_same_on_every_page(live_server, page, shots):
    form = OfferFormPage(page, live_server).open()
    form.fill_offer_details()
    form.fill_item(0, category="body_armor")
    form.fill_item(0, **EXPIRED_PLATES)
    live = form.live_result(0)
    live.get_by_text("Cannot be accepted").wait_for()
    # The live check shows the refusal, not the export-control review that also fired.
    assert "Armor needs at least 6 months of warranty left" in live.inner_text()
    for advice in REVIEW_ADVICE:
        assert advice not in live.inner_text()

    check = form.continue_to_check()
    warning = page.locator("[data-all-refused]")
    assert warning.is_visible() and "No item can be accepted" in warning.inner_text()
    assert_one_consistent_advice(page)
    assert "What you can do: Offer armor" in page.inner_text("main")
    check_at_both_widths(page, shots, "check-answers-refused")

    check.submit()
    assert_one_consistent_advice(page)
    main = page.inner_text("main")
    assert "Remove" not in main and "This item cannot go forward" in main
    check_at_both_widths(page, shots, "confirmation-refused")

    page.click("[data-status-link]")
    page.wait_for_url("**/status/**")
    assert_one_consistent_advice(page)
    assert "Remove" not in page.inner_text("main")
    check_at_both_widths(page, shots, "status-refused")
