"""A reviewer signs in and out with the keyboard; the account pages pass axe-core."""

from __future__ import annotations

import re

import pytest

from donations_app.extensions import db
from donations_app.services import accounts
from tests.e2e.conftest import assert_no_axe_violations

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery"


@pytest.fixture
def app_config(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def add_account(live_server, email, role):
    with live_server.app.app_context():
        accounts.create_reviewer(email, email.split("@")[0].title(), PASSWORD, role=role)
        db.session.commit()


def sign_in_with_keyboard(page, email, password):
    page.get_by_label("E-mail address").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_sign_in_and_out_with_the_keyboard(live_server, page):
    add_account(live_server, "rita@state.example.gov", "reviewer")
    page.goto(live_server.url("/accessibility"))
    page.get_by_role("link", name="INL staff sign in").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/review/sign-in"))
    assert_no_axe_violations(page)

    sign_in_with_keyboard(page, "rita@state.example.gov", "not my password")
    page.wait_for_load_state()
    assert page.title().startswith("Error: Sign in")
    # The error summary takes focus and links to the field.
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert_no_axe_violations(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "email"

    page.get_by_label("E-mail address").fill("")
    sign_in_with_keyboard(page, "rita@state.example.gov", PASSWORD)
    page.wait_for_url(re.compile(r"/review/?$"))
    sign_out = page.get_by_role("button", name=re.compile("Sign out"))
    sign_out.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/review/sign-in"))
    assert "You have signed out." in page.content()
    page.goto(live_server.url("/review/account/password"))
    assert "/review/sign-in" in page.url


def test_empty_sign_in_form_errors_are_accessible(live_server, page):
    page.goto(live_server.url("/review/sign-in"))
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert page.locator("#error-summary a").count() == 2
    assert_no_axe_violations(page)


def test_change_password_page_is_accessible(live_server, page):
    add_account(live_server, "rita@state.example.gov", "reviewer")
    page.goto(live_server.url("/review/account/password"))
    sign_in_with_keyboard(page, "rita@state.example.gov", PASSWORD)
    page.wait_for_url(re.compile(r"/review/account/password"))
    assert_no_axe_violations(page)
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("Confirm new password").fill("short")
    with page.expect_navigation():
        page.get_by_role("button", name="Change password").click()
    assert page.title().startswith("Error: ")
    assert_no_axe_violations(page)
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("a much better passphrase")
    page.get_by_label("Confirm new password").fill("a much better passphrase")
    with page.expect_navigation():
        page.get_by_role("button", name="Change password").click()
    assert "Your password has been changed." in page.content()


def test_admin_pages_are_accessible(live_server, page):
    add_account(live_server, "ada@state.example.gov", "admin")
    add_account(live_server, "rita@state.example.gov", "reviewer")
    page.goto(live_server.url("/review/sign-in"))
    sign_in_with_keyboard(page, "ada@state.example.gov", PASSWORD)
    page.wait_for_load_state()
    page.get_by_role("link", name="Accounts").click()
    page.wait_for_url(re.compile(r"/review/admin/accounts$"))
    assert_no_axe_violations(page)

    with page.expect_navigation():
        page.get_by_role("link", name="Create an account").click()
    assert_no_axe_violations(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Create account").click()
    assert page.title().startswith("Error: ")
    assert_no_axe_violations(page)
    page.get_by_label("Full name").fill("Leo Lead")
    page.get_by_label("E-mail address").fill("leo@state.example.gov")
    # USWDS hides the native inputs off-screen; a person clicks the label.
    page.locator("label[for=role-lead]").click()
    page.locator("label[for=queues-legal]").click()
    assert page.locator("#role-lead").is_checked() and page.locator("#queues-legal").is_checked()
    with page.expect_navigation():
        page.get_by_role("button", name="Create account").click()
    assert page.locator("#one-time-password").inner_text()
    assert_no_axe_violations(page)

    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("Go to the account")).click()
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Audit log").click()
    page.wait_for_url(re.compile(r"/review/admin/audit"))
    assert "account_created" in page.content()
    assert_no_axe_violations(page)
    page.goto(live_server.url("/review/admin/audit?date_from=not-a-date"))
    assert page.title().startswith("Error: ")
    assert_no_axe_violations(page)
