"""Page objects for the browser tests: what a donor or a reviewer does on each page, so the
tests read as the journey and each selector lives in one place."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page

from tests.conftest import PASSWORD
from tests.e2e.conftest import LiveServer

REFERENCE = re.compile(r"UA-\d{4}-\d{6}")


def focused_id(page: Page) -> str:
    """The id of the element that has keyboard focus."""
    return page.evaluate("document.activeElement && document.activeElement.id")


def tab_to(page: Page, element_id: str, limit: int = 400) -> None:
    """Press Tab until the element with this id has focus."""
    for _ in range(limit):
        if focused_id(page) == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} cannot be reached with the Tab key")


def tab_to_text(page: Page, text: str, limit: int = 200) -> None:
    """Press Tab until the control that reads `text` has focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == text:
            return
    raise AssertionError(f"{text!r} cannot be reached with the Tab key")


def error_summary_link(page: Page, field_id: str) -> Locator:
    """The error summary's link to a field."""
    return page.locator(f"[data-error-summary] a[href='#{field_id}']")


def answer_item(page: Page, index: int, **answers: str) -> None:
    """Answer an item line's questions, in order: a select is chosen, a text field is typed
    into, and a radio button is chosen by clicking its label, as a person does. A question
    inside a closed disclosure ("More details") is reached by opening it first."""
    for name, value in answers.items():
        radio = page.locator(f"input[type=radio][name='items-{index}-{name}']")
        field = page.locator(f"#items-{index}-{name}")
        if not radio.count() and not field.is_visible():
            summary = field.locator("xpath=ancestor::details[not(@open)][1]/summary")
            if summary.count():
                summary.click()
        if radio.count():
            option = radio.and_(page.locator(f"[value='{value}']"))
            page.click(f"label[for='{option.get_attribute('id')}']")
        elif field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


class ServedPage:
    """A page of the app the live server serves, opened by its path."""

    def __init__(self, page: Page, live_server: LiveServer) -> None:
        self.page = page
        self.live_server = live_server

    def goto(self, path: str) -> None:
        self.page.goto(self.live_server.url(path))


class SignInPage(ServedPage):
    """The reviewers' sign-in page."""

    def open(self) -> SignInPage:
        self.goto("/review/sign-in")
        return self

    def sign_in_with_keyboard(self, email: str, password: str = PASSWORD) -> None:
        """Type the e-mail address, Tab to the password, type it and press Enter."""
        self.page.get_by_label("E-mail address").focus()
        self.page.keyboard.type(email)
        self.page.keyboard.press("Tab")
        assert focused_id(self.page) == "password"
        self.page.keyboard.type(password)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")

    def sign_in_as(self, email: str) -> None:
        """Open the page and sign in with the keyboard; it must succeed."""
        self.open().sign_in_with_keyboard(email)
        assert "/review/sign-in" not in self.page.url

    def submit(self) -> None:
        """Press the "Sign in" button with the mouse."""
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Sign in").click()

    def sign_out_with_keyboard(self) -> None:
        """Focus "Sign out" in the header and press Enter."""
        self.page.get_by_role("button", name=re.compile("Sign out")).focus()
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")


class OfferFormPage(ServedPage):
    """The donor's offer form: the agency, the contact, the pickup and the item lines."""

    def open(self) -> OfferFormPage:
        self.goto("/offer")
        return self

    def fill_offer_details(self) -> None:
        """Agency, contact, recipient (SBGS), authority and pickup: everything but the items."""
        page = self.page
        page.fill("#agency-name", "Springfield Police Department")
        page.select_option("#agency-type", "municipal_police")
        page.select_option("#agency-state", "IL")
        page.fill("#agency-city", "Springfield")
        page.fill("#contact-name", "Jordan Smith")
        page.fill("#contact-email", "j.smith@springfield-il.gov")
        page.click("label[for='recipient']")  # the first choice: SBGS
        page.click("label[for='authority_confirmed']")
        page.fill("#pickup-zip", "62704")

    def field(self, index: int, name: str) -> Locator:
        return self.page.locator(f"#items-{index}-{name}")

    def fill_item(self, index: int, **answers: str) -> None:
        answer_item(self.page, index, **answers)

    def item_count(self) -> int:
        return self.page.locator("[data-item]").count()

    def live_result(self, index: int) -> Locator:
        """The guidelines' verdict on an item line, announced as the donor types."""
        return self.page.locator(f"#items-{index} [data-live-result]")

    def add_item(self) -> None:
        self.page.click("text=Add another item")

    def remove_item(self, index: int) -> None:
        self.page.click(f"#items-{index} [data-remove-item]")

    def press_continue(self) -> None:
        self.page.click("button.usa-button:has-text('Continue')")

    def continue_to_check(self) -> CheckAnswersPage:
        self.press_continue()
        self.page.wait_for_url("**/offer/check")
        return CheckAnswersPage(self.page)

    def save_and_come_back_later(self) -> None:
        self.page.click("text=Save and come back later")
        self.page.wait_for_url("**/offer/save")


class CheckAnswersPage:
    """Check your answers, then submit the offer."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def submit(self) -> str:
        """Submit the offer and return the reference the confirmation page shows."""
        self.page.click("button:has-text('Submit offer')")
        self.page.wait_for_url("**/offer/confirmation")
        return self.reference()

    def reference(self) -> str:
        match = REFERENCE.search(self.page.inner_text("[data-reference]"))
        assert match, "the confirmation page shows no reference"
        return match.group(0)

    def open_status(self) -> StatusPage:
        """Follow the confirmation page's private status link."""
        self.page.click("[data-status-link]")
        self.page.wait_for_url("**/status/**")
        return StatusPage(self.page)


class StatusPage:
    """The donor's private status page: where the offer is, questions to answer, withdrawal."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def heading(self) -> str:
        return self.page.inner_text("h1")

    def question(self) -> str:
        return self.page.inner_text("[data-reviewer-question]")

    def send_answer(self) -> None:
        """Press the reply form's button ("Send your reply", or "Send your message")."""
        self.page.click("#info-form button[type=submit]")

    def correct_item(self, index: int, **answers: str) -> None:
        """Open the reply form's item `index` (its "Correct item" section) and change answers."""
        section = self.page.locator("#info-form details[data-correct-item]").nth(index)
        if not section.evaluate("element => element.open"):
            section.locator(":scope > summary").click()
        answer_item(self.page, index, **answers)

    def send_corrected_answers(self) -> None:
        self.send_answer()

    def withdraw(self) -> None:
        """Ask to withdraw, and stop on the confirmation question."""
        self.page.click("text=Withdraw this offer")

    def confirm_withdrawal(self) -> None:
        self.page.click("text=Yes, withdraw the offer")


class ReviewerOfferPage(ServedPage):
    """One offer as a reviewer sees it: claim it, decide its items, save."""

    def open(self, reference: str) -> ReviewerOfferPage:
        self.goto(f"/review/offers/{reference}")
        return self

    def claim(self) -> None:
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Claim this offer").click()

    def decide(self, item: int, decision: str, reason: str | None = None) -> None:
        """Choose Approve or Decline for item `item` (1-based) by its label, with a reason."""
        if reason is not None:
            self.page.get_by_label(f"Reason for item {item}").fill(reason)
        group = self.page.get_by_role("group", name=f"Your decision on item {item}")
        group.locator("label", has_text=decision).click()

    def save_decisions(self) -> None:
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Save decisions").click()

    def conflict(self) -> Locator:
        """The message shown when a colleague decided first."""
        return self.page.locator("#conflict")


class OfferListPage(ServedPage):
    """The reviewers' offer list: filters, sorting and the table of offers."""

    def open(self, query: str = "") -> OfferListPage:
        self.goto("/review/offers" + (f"?{query}" if query else ""))
        return self

    def references(self) -> list[str]:
        """The offer references in the table, in page order."""
        return self.page.locator("tbody tr th a").all_inner_texts()

    def filter(self, key: str) -> Locator:
        return self.page.locator(f"#filter-{key}")

    def apply_filters(self) -> None:
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Apply filters").click()

    def press_enter_on(self, target: Locator) -> None:
        """Focus a control and press Enter, as a keyboard user does."""
        target.focus()
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")

    def search_with_keyboard(self, text: str) -> None:
        """Type into the search box and press Enter."""
        self.filter("q").focus()
        self.page.keyboard.type(text)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")


class TwoStepSetupPage(ServedPage):
    """A lead's or admin's page to turn on two-step sign-in: a QR code, its key and a code."""

    def open_from_nav(self) -> TwoStepSetupPage:
        with self.page.expect_navigation():
            self.page.get_by_role("link", name="Two-step sign-in").click()
        return self

    def key(self) -> str:
        """The key the QR code holds, shown for typing into an app by hand."""
        return self.page.locator("#totp-key").inner_text()

    def confirm(self, code: str) -> None:
        """Type the app's code and turn two-step sign-in on."""
        self.page.get_by_label("Code from your authenticator app").fill(code)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Turn on two-step sign-in").click()


class SignInCodePage(ServedPage):
    """The second step of signing in: the code from the authenticator app."""

    def enter_code_with_keyboard(self, code: str) -> None:
        """Type the code into the (emptied) field and press Enter."""
        field = self.page.get_by_label("Code from your authenticator app")
        field.fill("")
        field.focus()
        self.page.keyboard.type(code)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")


class UnlockRequestPage(ServedPage):
    """The page where a reviewer asks for an unlock link by e-mail."""

    def open_from_sign_in(self) -> UnlockRequestPage:
        with self.page.expect_navigation():
            self.page.get_by_role("link", name="get an unlock link by e-mail").click()
        return self

    def request(self, email: str) -> None:
        self.page.get_by_label("E-mail address of your account").fill(email)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Send an unlock link").click()
