"""The conversation in a real browser: a reviewer asks, the donor replies with a corrected item,
the reviewer sees the thread, the diff and the evaluation history. axe-core on every page of it,
at desktop width and at 390 px."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from donations_app.extensions import db
from donations_app.models import Offer
from donations_app.services.offers import status_token
from tests.e2e.conftest import assert_no_axe_violations
from tests.e2e.pages import ReviewerOfferPage, SignInPage, StatusPage
from tests.review.triage_support import armor, make_offer

pytestmark = pytest.mark.e2e

QUESTION = "Which model are the vests? The label photo says Alpha Elite II."
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def check_both_widths(page, shots: Path, name: str) -> None:
    """axe-core at desktop width and at 390 px, with a screenshot of the conversation at each
    (in the test's temporary folder, to look at)."""
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        assert_no_axe_violations(page)
        page.locator("#conversation").screenshot(path=str(shots / f"{name}-{size['width']}.png"))
    page.set_viewport_size(DESKTOP)


def status_path(app, reference: str) -> str:
    with app.test_request_context():
        offer = db.session.scalar(sa.select(Offer).filter_by(reference=reference))
        path = "/status/" + status_token(offer)
        db.session.remove()
        return path


def test_question_reply_with_a_corrected_item_and_the_diff(
    live_server, page, make_reviewer, tmp_path
):
    app = live_server.app
    shots = tmp_path
    make_reviewer("rita@state.example.gov", name="Rita Reviewer")
    reference = make_offer(app, [armor(), armor(description="Vest carriers")])

    # The reviewer claims the offer and asks the donor a question.
    SignInPage(page, live_server).sign_in_as("rita@state.example.gov")
    offer_page = ReviewerOfferPage(page, live_server).open(reference)
    offer_page.claim()
    page.get_by_label("Write to the donor (they read it)").fill(QUESTION)
    with page.expect_navigation():
        page.get_by_role("button", name="Ask and wait for the answer").click()
    assert page.locator("[data-waiting]").count() == 1
    assert QUESTION in page.inner_text("[data-thread]")
    check_both_widths(page, shots, "reviewer-asked")

    # The donor reads it on the status page and replies with a corrected item.
    donor = page.context.browser.new_context(viewport=DESKTOP)
    donor_page = donor.new_page()
    donor_page.goto(live_server.url(status_path(app, reference)))
    status = StatusPage(donor_page)
    assert QUESTION in status.question()
    check_both_widths(donor_page, shots, "donor-asked")
    status.correct_item(0, model="Alpha Elite II")
    donor_page.get_by_label("Your message").fill("You are right: they are Alpha Elite II.")
    with donor_page.expect_navigation():
        status.send_answer()
    assert status.heading() == "Being reviewed"
    assert "they are Alpha Elite II" in donor_page.inner_text("[data-thread]")
    check_both_widths(donor_page, shots, "donor-replied")
    donor.close()

    # The reviewer sees the reply marked new, the change as a diff and both evaluations.
    offer_page.open(reference)
    thread = page.locator("[data-thread]")
    assert "(1 new)" in page.inner_text("#conversation-heading")
    newest = thread.locator("[data-message]").first
    assert newest.get_attribute("data-unread") is not None
    assert "they are Alpha Elite II" in newest.inner_text()
    change = newest.locator("[data-diff-field='model']")
    assert change.locator("del").inner_text() == "Alpha Elite"
    assert change.locator("ins").inner_text() == "Alpha Elite II"
    assert page.locator("[data-evaluation]").count() == 2
    check_both_widths(page, shots, "reviewer-reply")
    offer_page.open(reference)
    assert page.locator("[data-unread]").count() == 0  # read now
