"""A reviewer signs in and out with the keyboard; the account pages pass axe-core."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_no_axe_violations
from tests.e2e.pages import SignInPage, focused_id

pytestmark = pytest.mark.e2e


@pytest.fixture
def app_config(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def test_sign_in_and_out_with_the_keyboard(live_server, page, make_reviewer):
    make_reviewer("rita@state.example.gov")
    sign_in = SignInPage(page, live_server)
    page.goto(live_server.url("/accessibility"))
    page.get_by_role("link", name="INL staff sign in").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/review/sign-in"))
    assert_no_axe_violations(page)

    sign_in.sign_in_with_keyboard("rita@state.example.gov", "not my password")
    page.wait_for_load_state()
    assert page.title().startswith("Error: Sign in")
    # The error summary takes focus and links to the field.
    assert focused_id(page) == "error-summary"
    assert_no_axe_violations(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused_id(page) == "email"

    page.get_by_label("E-mail address").fill("")
    sign_in.sign_in_with_keyboard("rita@state.example.gov")
    page.wait_for_url(re.compile(r"/review/?$"))
    sign_in.sign_out_with_keyboard()
    page.wait_for_url(re.compile(r"/review/sign-in"))
    assert "You have signed out." in page.content()
    page.goto(live_server.url("/review/account/password"))
    assert "/review/sign-in" in page.url


def test_empty_sign_in_form_errors_are_accessible(live_server, page):
    SignInPage(page, live_server).open().submit()
    assert page.locator("#error-summary a").count() == 2
    assert_no_axe_violations(page)


def change_password(page, current: str, new: str) -> None:
    page.get_by_label("Current password").fill(current)
    page.get_by_label("New password", exact=True).fill(new)
    page.get_by_label("Confirm new password").fill(new)
    with page.expect_navigation():
        page.get_by_role("button", name="Change password").click()


def test_change_password_page_is_accessible(live_server, page, make_reviewer):
    make_reviewer("rita@state.example.gov")
    page.goto(live_server.url("/review/account/password"))
    SignInPage(page, live_server).sign_in_with_keyboard("rita@state.example.gov")
    page.wait_for_url(re.compile(r"/review/account/password"))
    assert_no_axe_violations(page)
    change_password(page, PASSWORD, "short")
    assert page.title().startswith("Error: ")
    assert_no_axe_violations(page)
    change_password(page, PASSWORD, "a much better passphrase")
    assert "Your password has been changed." in page.content()


def test_admin_pages_are_accessible(live_server, page, make_reviewer):
    make_reviewer("ada@state.example.gov", role="admin")
    make_reviewer("rita@state.example.gov")
    SignInPage(page, live_server).open().sign_in_with_keyboard("ada@state.example.gov")
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
