"""The donor's journey in headless Chromium: with JavaScript, by keyboard only, and axe-clean."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import assert_no_axe_violations

pytestmark = pytest.mark.e2e


def fill_offer_details(page) -> None:
    page.fill("#agency-name", "Springfield Police Department")
    page.select_option("#agency-type", "municipal_police")
    page.select_option("#agency-state", "IL")
    page.fill("#agency-city", "Springfield")
    page.fill("#contact-name", "Jordan Smith")
    page.fill("#contact-email", "j.smith@springfield-il.gov")
    page.click("label[for='recipient']")  # the first choice: SBGS
    page.click("label[for='authority_confirmed']")
    page.fill("#pickup-zip", "62704")


def test_journey_with_javascript(live_server, page) -> None:
    page.goto(live_server.url("/offer"))
    assert_no_axe_violations(page)
    page.evaluate("window.noReload = true")
    fill_offer_details(page)
    page.select_option("#items-0-category", "body_armor")
    # Only the body-armor questions are shown.
    assert page.is_visible("#items-0-protection_level")
    assert not page.is_visible("#items-0-voltage")
    page.fill("#items-0-description", "Patrol vests")
    page.fill("#items-0-quantity", "25")
    page.select_option("#items-0-condition", "good")
    page.select_option("#items-0-acquired_via", "own_funds")
    page.select_option("#items-0-protection_level", "IIIA")
    page.fill("#items-0-expires_on", "2031-05-01")
    page.click("label[for='items-0-damaged-1']")  # "No"
    live = page.locator("#items-0 [data-live-result]")
    live.get_by_text("Guideline EXPORT-ARMOR-EAR", exact=False).wait_for()
    assert live.get_attribute("aria-live") == "polite"
    assert "Needs a specialist review" in live.text_content()
    assert_no_axe_violations(page)

    # Add and remove happen in place (no page load) and move focus sensibly.
    page.click("text=Add another item")
    assert page.locator("[data-item]").count() == 2
    assert page.evaluate("document.activeElement.closest('[data-item]').dataset.index") == "1"
    page.select_option("#items-1-category", "radio")
    assert page.is_visible("#items-1-encrypted") and not page.is_visible("#items-1-damaged")
    page.click("#items-1 [data-remove-item]")
    assert page.locator("[data-item]").count() == 1
    assert page.evaluate("window.noReload") is True

    page.click("button.usa-button:has-text('Continue')")
    page.wait_for_url("**/offer/check")
    assert "EXPORT-ARMOR-EAR" in page.content()
    assert_no_axe_violations(page)
    page.click("text=Submit offer")
    page.wait_for_url("**/offer/confirmation")
    assert re.search(r"UA-\d{4}-\d{6}", page.inner_text("[data-reference]"))
    assert_no_axe_violations(page)

    page.click("[data-status-link]")
    page.wait_for_url("**/status/**")
    assert "Waiting for review" in page.inner_text("h1")
    assert_no_axe_violations(page)
    page.click("text=Withdraw this offer")
    assert_no_axe_violations(page)
    page.click("text=Yes, withdraw the offer")
    assert page.inner_text("h1") == "Withdrawn"


def test_error_summary_takes_focus_and_links_to_fields(live_server, page) -> None:
    page.goto(live_server.url("/offer"))
    page.fill("#items-0-quantity", "lots")
    page.click("button.usa-button:has-text('Continue')")
    page.wait_for_load_state()
    assert page.title().startswith("Error: ")
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert page.input_value("#items-0-quantity") == "lots"
    assert_no_axe_violations(page)
    page.click("[data-error-summary] a[href='#items-0-quantity']")
    assert page.evaluate("document.activeElement.id") == "items-0-quantity"


def test_needs_info_and_save_pages_are_accessible(live_server, page) -> None:
    page.goto(live_server.url("/offer"))
    fill_offer_details(page)
    page.select_option("#items-0-category", "medical")
    page.fill("#items-0-description", "First-aid kits")
    page.fill("#items-0-quantity", "40")
    page.select_option("#items-0-condition", "new")
    page.select_option("#items-0-acquired_via", "own_funds")
    page.click("text=Save and come back later")
    page.wait_for_url("**/offer/save")
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
    page.click("button.usa-button:has-text('Continue')")
    page.wait_for_url("**/offer/check")
    page.click("text=Submit offer")
    page.wait_for_url("**/offer/confirmation")
    page.click("[data-status-link]")
    page.wait_for_url("**/status/**")
    assert "Correct the items we asked about" in page.content()
    assert_no_axe_violations(page)
    page.fill("#items-0-expires_on", "")
    page.fill("#items-0-quantity", "0")
    page.click("text=Send the corrected answers")
    assert page.title().startswith("Error: ")
    assert_no_axe_violations(page)

    for path in ("/", "/guidelines", "/offer/draft/not-a-token"):
        page.goto(live_server.url(path))
        assert_no_axe_violations(page)


def tab_to(page, element_id: str, limit: int = 400) -> None:
    """Press Tab until the element with this id has focus."""
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} cannot be reached with the Tab key")


def type_into(page, element_id: str, text: str) -> None:
    tab_to(page, element_id)
    page.keyboard.type(text)


def test_keyboard_only_journey(live_server, page) -> None:
    page.goto(live_server.url("/"))
    tab_to(page, "")  # start from the top of the page
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Start now":
            break
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

    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Continue":
            break
    page.keyboard.press("Enter")
    page.wait_for_url("**/offer/check")
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Submit offer":
            break
    page.keyboard.press("Enter")
    page.wait_for_url("**/offer/confirmation")
    assert re.search(r"UA-\d{4}-\d{6}", page.inner_text("[data-reference]"))


def test_journey_without_javascript(live_server, no_js_page) -> None:
    # axe-core needs JavaScript, so these pages are checked by the tests above, not here.
    page = no_js_page
    page.goto(live_server.url("/offer"))
    # Continue with nothing filled in: the server answers with the error summary.
    page.click("button.usa-button:has-text('Continue')")
    assert page.title().startswith("Error: ")
    assert page.locator(".usa-alert--error a[href='#agency-name']").count() == 1

    # Add and remove round-trip through the server and keep what was typed.
    fill_offer_details(page)
    page.select_option("#items-0-category", "helmet")
    page.fill("#items-0-description", "ACH helmets")
    page.click("text=Add another item")
    assert page.locator("[data-item]").count() == 2
    assert page.input_value("#items-0-description") == "ACH helmets"
    assert page.input_value("#agency-name") == "Springfield Police Department"
    page.click("#items-1 [data-remove-item]")
    assert page.locator("[data-item]").count() == 1

    page.fill("#items-0-quantity", "20")
    page.select_option("#items-0-condition", "good")
    page.select_option("#items-0-acquired_via", "own_funds")
    page.select_option("#items-0-protection_level", "IIIA")
    page.fill("#items-0-expires_on", "2031-05-01")
    page.click("label[for='items-0-damaged-1']")
    page.click("button.usa-button:has-text('Continue')")
    page.wait_for_url("**/offer/check")
    page.click("button:has-text('Submit offer')")
    assert re.search(r"UA-\d{4}-\d{6}", page.content())


def test_answering_a_reviewers_question_is_accessible(live_server, page) -> None:
    from donations_app.services import accounts, triage
    from donations_app.services.offers import status_token, submit_offer
    from tests.review.triage_support import armor, offer_data

    with live_server.app.test_request_context():
        offer = submit_offer(offer_data([armor()]), source="web")
        reviewer = accounts.create_reviewer("rita@state.example.gov", "Rita", "a long passphrase 1")
        triage.request_info(
            offer, reviewer, "Which NIJ standard do the vests meet?", offer_version=offer.version
        )
        path = "/status/" + status_token(offer)

    page.goto(live_server.url(path))
    assert "Which NIJ standard do the vests meet?" in page.inner_text("[data-reviewer-question]")
    assert_no_axe_violations(page)
    page.click("button:has-text('Send your answer')")
    page.wait_for_url("**/info")
    assert page.title().startswith("Error: ")
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert_no_axe_violations(page)
    page.click("[data-error-summary] a[href='#answer']")
    assert page.evaluate("document.activeElement.id") == "answer"
    page.keyboard.type("NIJ 0101.06, level IIIA.")
    page.click("button:has-text('Send your answer')")
    page.wait_for_url(re.compile(r".*/status/[^/]+$"))
    assert page.inner_text("h1") == "Waiting for review"
    assert "NIJ 0101.06, level IIIA." in page.content()
    assert_no_axe_violations(page)
