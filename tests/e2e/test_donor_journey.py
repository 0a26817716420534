"""The donor's journey in headless Chromium: with JavaScript, by keyboard only, and axe-clean."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import assert_no_axe_violations
from tests.e2e.pages import (
    REFERENCE,
    CheckAnswersPage,
    OfferFormPage,
    StatusPage,
    error_summary_link,
    focused_id,
    tab_to,
    tab_to_text,
)

pytestmark = pytest.mark.e2e
# The answers that make body armor or a helmet acceptable apart from export control.
ARMOR_ANSWERS = {
    "condition": "good",
    "acquired_via": "own_funds",
    "protection_level": "IIIA",
    "expires_on": "2031-05-01",
    "damaged": "no",
}


def test_journey_with_javascript(live_server, page) -> None:
    form = OfferFormPage(page, live_server).open()
    assert_no_axe_violations(page)
    page.evaluate("window.noReload = true")
    form.fill_offer_details()
    form.fill_item(0, category="body_armor")
    # Only the body-armor questions are shown.
    assert form.field(0, "protection_level").is_visible()
    assert not form.field(0, "voltage").is_visible()
    form.fill_item(0, description="Patrol vests", quantity="25", **ARMOR_ANSWERS)
    live = form.live_result(0)
    live.get_by_text("Guideline EXPORT-ARMOR-EAR", exact=False).wait_for()
    assert live.get_attribute("aria-live") == "polite"
    assert "Needs a specialist review" in live.text_content()
    assert_no_axe_violations(page)

    # Add and remove happen in place (no page load) and move focus sensibly.
    form.add_item()
    assert form.item_count() == 2
    assert page.evaluate("document.activeElement.closest('[data-item]').dataset.index") == "1"
    form.fill_item(1, category="radio")
    assert form.field(1, "encrypted").is_visible() and not form.field(1, "damaged").is_visible()
    form.remove_item(1)
    assert form.item_count() == 1
    assert page.evaluate("window.noReload") is True

    check = form.continue_to_check()
    assert "EXPORT-ARMOR-EAR" in page.content()
    assert_no_axe_violations(page)
    check.submit()
    assert_no_axe_violations(page)

    status = check.open_status()
    assert "Waiting for review" in status.heading()
    assert_no_axe_violations(page)
    status.withdraw()
    assert_no_axe_violations(page)
    status.confirm_withdrawal()
    assert status.heading() == "Withdrawn"


def test_error_summary_takes_focus_and_links_to_fields(live_server, page) -> None:
    form = OfferFormPage(page, live_server).open()
    form.fill_item(0, quantity="lots")
    form.press_continue()
    page.wait_for_load_state()
    assert page.title().startswith("Error: ")
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert form.field(0, "quantity").input_value() == "lots"
    assert_no_axe_violations(page)
    error_summary_link(page, "items-0-quantity").click()
    assert focused_id(page) == "items-0-quantity"


def test_needs_info_and_save_pages_are_accessible(live_server, page) -> None:
    form = OfferFormPage(page, live_server).open()
    form.fill_offer_details()
    form.fill_item(
        0,
        category="medical",
        description="First-aid kits",
        quantity="40",
        condition="new",
        acquired_via="own_funds",
    )
    form.save_and_come_back_later()
    assert_no_axe_violations(page)
    page.fill("#email", "not an address")
    page.click("text=Send the link")
    assert page.title().startswith("Error: ")
    assert_no_axe_violations(page)
    page.fill("#email", "j.smith@springfield-il.gov")
    page.click("text=Send the link")
    page.wait_for_url("**/offer/saved")
    assert_no_axe_violations(page)

    page.click("text=Carry on with your offer now")
    check = form.continue_to_check()
    check.submit()
    status = check.open_status()
    assert "Correct the items we asked about" in page.content()
    assert_no_axe_violations(page)
    status.correct_item(0, expires_on="", quantity="0")
    status.send_corrected_answers()
    assert page.title().startswith("Error: ")
    assert_no_axe_violations(page)

    for path in ("/", "/guidelines", "/offer/draft/not-a-token"):
        page.goto(live_server.url(path))
        assert_no_axe_violations(page)


def type_into(page, element_id: str, text: str) -> None:
    tab_to(page, element_id)
    page.keyboard.type(text)


def test_keyboard_only_journey(live_server, page) -> None:
    page.goto(live_server.url("/"))
    tab_to_text(page, "Start now", limit=60)
    page.keyboard.press("Enter")
    page.wait_for_url("**/offer")

    type_into(page, "agency-name", "Springfield Police Department")
    type_into(page, "agency-type", "Sheriff")
    type_into(page, "agency-state", "Illinois")
    type_into(page, "agency-city", "Springfield")
    type_into(page, "contact-name", "Jordan Smith")
    type_into(page, "contact-email", "j.smith@springfield-il.gov")
    tab_to(page, "recipient")
    page.keyboard.press("Space")
    tab_to(page, "authority_confirmed")
    page.keyboard.press("Space")
    type_into(page, "pickup-zip", "62704")
    type_into(page, "items-0-category", "Handcuffs")
    type_into(page, "items-0-description", "Hinged handcuffs")
    type_into(page, "items-0-quantity", "100")
    type_into(page, "items-0-condition", "Good")
    type_into(page, "items-0-acquired_via", "Bought with the agency")
    assert page.input_value("#items-0-category") == "restraints"
    assert page.input_value("#items-0-condition") == "good"
    assert page.input_value("#items-0-acquired_via") == "own_funds"

    tab_to_text(page, "Continue")
    page.keyboard.press("Enter")
    page.wait_for_url("**/offer/check")
    tab_to_text(page, "Submit offer")
    page.keyboard.press("Enter")
    page.wait_for_url("**/offer/confirmation")
    assert REFERENCE.fullmatch(CheckAnswersPage(page).reference())


def test_journey_without_javascript(live_server, no_js_page) -> None:
    # axe-core needs JavaScript, so these pages are checked by the tests above, not here.
    page = no_js_page
    form = OfferFormPage(page, live_server).open()
    # Continue with nothing filled in: the server answers with the error summary.
    form.press_continue()
    assert page.title().startswith("Error: ")
    assert page.locator(".usa-alert--error a[href='#agency-name']").count() == 1

    # Add and remove round-trip through the server and keep what was typed.
    form.fill_offer_details()
    form.fill_item(0, category="helmet", description="ACH helmets")
    form.add_item()
    assert form.item_count() == 2
    assert form.field(0, "description").input_value() == "ACH helmets"
    assert page.input_value("#agency-name") == "Springfield Police Department"
    form.remove_item(1)
    assert form.item_count() == 1

    form.fill_item(0, quantity="20", **ARMOR_ANSWERS)
    assert REFERENCE.fullmatch(form.continue_to_check().submit())


def test_answering_a_reviewers_question_is_accessible(live_server, page, make_reviewer) -> None:
    from donations_app.extensions import db
    from donations_app.models import Reviewer
    from donations_app.services import triage
    from donations_app.services.offers import status_token, submit_offer
    from tests.review.triage_support import armor, offer_data

    rita = make_reviewer()
    with live_server.app.test_request_context():
        offer = submit_offer(offer_data([armor()]), source="web")
        reviewer = db.session.get(Reviewer, rita.id)
        triage.request_info(
            offer, reviewer, "Which NIJ standard do the vests meet?", offer_version=offer.version
        )
        path = "/status/" + status_token(offer)

    page.goto(live_server.url(path))
    status = StatusPage(page)
    assert "Which NIJ standard do the vests meet?" in status.question()
    assert_no_axe_violations(page)
    status.send_answer()
    page.wait_for_url("**/info")
    assert page.title().startswith("Error: ")
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert_no_axe_violations(page)
    error_summary_link(page, "answer").click()
    assert focused_id(page) == "answer"
    page.keyboard.type("NIJ 0101.06, level IIIA.")
    status.send_answer()
    page.wait_for_url(re.compile(r".*/status/[^/]+$"))
    assert status.heading() == "Waiting for review"
    assert "NIJ 0101.06, level IIIA." in page.content()
    assert_no_axe_violations(page)
