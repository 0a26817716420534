"""The whole loop in a real browser, as a new donor and a new reviewer would go through it:
the donor submits the form; the reviewer finds the offer by its reference in the header search,
claims it and asks a question; the donor answers with a corrected item and a photo of its label;
the reviewer sees the answer, the diff and the photo on the offer page and decides; the donor
sees the decision. axe-core reports no WCAG 2.1 A/AA violation on any page of it, at 1280 px
and at 390 px, and each page is photographed at both widths (E2E_SCREENSHOTS, or the test's
temporary folder)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.attachments.files import photo
from tests.e2e.conftest import assert_no_axe_violations
from tests.e2e.pages import OfferFormPage, ReviewerOfferPage, SignInPage

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
QUESTION = "Which model are the vests exactly? Please send a photo of the NIJ label."
ANSWER = "They are the Alpha Elite II; the photo shows the label."
ARMOR = {
    "category": "body_armor",
    "description": "Patrol vests",
    "quantity": "25",
    "condition": "good",
    "acquired_via": "own_funds",
    "protection_level": "IIIA",
    "expires_on": "2031-05-01",
    "damaged": "no",
    "model": "Alpha Elite",
}


class Pages:
    """Checks every page at both widths and keeps a screenshot of each."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def check(self, page, name: str) -> None:
        self.count += 1
        for size in (DESKTOP, PHONE):
            page.set_viewport_size(size)
            assert_no_axe_violations(page)
            shot = self.folder / f"loop-{self.count:02d}-{name}-{size['width']}.png"
            page.screenshot(path=str(shot), full_page=True)
        page.set_viewport_size(DESKTOP)


def test_submit_find_ask_answer_with_a_photo_decide(
    live_server, page, browser, make_reviewer, tmp_path
) -> None:
    folder = Path(os.environ.get("E2E_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    pages = Pages(folder)
    make_reviewer("rita@state.example.gov", name="Rita Reviewer")
    label = tmp_path / "NIJ label.jpg"
    label.write_bytes(photo(size=(800, 600)))

    # The donor fills the form, checks the answers and submits.
    donor = browser.new_context(viewport=DESKTOP).new_page()
    form = OfferFormPage(donor, live_server).open()
    pages.check(donor, "form")
    form.fill_offer_details()
    form.fill_item(0, **ARMOR)
    check = form.continue_to_check()
    pages.check(donor, "check-answers")
    reference = check.submit()
    pages.check(donor, "confirmation")
    status = check.open_status()
    status_url = donor.url
    pages.check(donor, "status-submitted")

    # The reviewer types the reference, lower case and without its prefix, in the header search:
    # the list finds it; the whole reference opens the offer directly.
    SignInPage(page, live_server).sign_in_as("rita@state.example.gov")
    page.fill("#header-search", reference.lower().removeprefix("ua-"))
    with page.expect_navigation():
        page.press("#header-search", "Enter")
    assert reference in page.inner_text("main")
    pages.check(page, "list-found")
    page.fill("#header-search", reference)
    with page.expect_navigation():
        page.press("#header-search", "Enter")
    assert page.url.endswith(f"/review/offers/{reference}")
    offer_page = ReviewerOfferPage(page, live_server)
    offer_page.claim()
    page.get_by_label("Write to the donor (they read it)").fill(QUESTION)
    with page.expect_navigation():
        page.get_by_role("button", name="Ask and wait for the answer").click()
    assert QUESTION in page.inner_text("[data-thread]")
    pages.check(page, "reviewer-asked")

    # The donor answers: a corrected model, a message and a photo of the label for the item.
    donor.goto(status_url)
    assert QUESTION in status.question()
    pages.check(donor, "status-asked")
    status.correct_item(0, model="Alpha Elite II")
    donor.get_by_label("Your message").fill(ANSWER)
    donor.locator("#reply-file").set_input_files(str(label))
    donor.select_option("#reply-file-item", "0")
    with donor.expect_navigation():
        status.send_answer()
    thread = donor.locator("[data-thread]")
    assert ANSWER in thread.inner_text()
    assert thread.get_by_role("link", name="NIJ label.jpg").count() == 1
    pages.check(donor, "status-answered")

    # The reviewer sees the answer (new), the diff and the photo's thumbnail in the thread.
    offer_page.open(reference)
    newest = page.locator("[data-thread] [data-message]").first
    assert newest.get_attribute("data-unread") is not None
    assert ANSWER in newest.inner_text()
    change = newest.locator("[data-diff-field='model']")
    assert change.locator("del").inner_text() == "Alpha Elite"
    assert change.locator("ins").inner_text() == "Alpha Elite II"
    thumbnail = newest.locator("img[data-thumbnail]")
    assert thumbnail.count() == 1
    assert thumbnail.evaluate("img => img.complete && img.naturalWidth > 0")
    pages.check(page, "reviewer-sees-answer")

    # The reviewer approves the item; the donor sees the decision.
    offer_page.decide(1, "Approve")
    offer_page.save_decisions()
    assert page.get_by_text("Your decisions are saved.").count() == 1
    pages.check(page, "reviewer-decided")
    donor.goto(status_url)
    assert status.heading() == "Approved"
    assert donor.locator("[data-advice-tag]").text_content() == "Approved by INL"
    pages.check(donor, "status-decided")
    donor.context.close()
