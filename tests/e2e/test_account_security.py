"""In the browser: a lead turns on two-step sign-in and signs in with a code; a reviewer whose
sign-in waits after wrong passwords unlocks it by e-mail. Every new page passes axe-core."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from donations_app.extensions import db
from donations_app.models import OutboxMessage
from tests.e2e.conftest import assert_no_axe_violations
from tests.e2e.pages import SignInCodePage, SignInPage, TwoStepSetupPage, UnlockRequestPage

pytestmark = pytest.mark.e2e


@pytest.fixture
def app_config(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def test_a_lead_turns_on_two_step_sign_in_and_signs_in_with_a_code(
    live_server, page, make_reviewer
):
    make_reviewer("lena@state.example.gov", role="lead")
    sign_in = SignInPage(page, live_server)
    sign_in.sign_in_as("lena@state.example.gov")

    setup = TwoStepSetupPage(page, live_server).open_from_nav()
    assert page.locator("figure[role=img] svg").is_visible()
    assert_no_axe_violations(page)
    setup.confirm("000000")
    assert page.title().startswith("Error: Two-step sign-in")
    assert_no_axe_violations(page)
    totp = pyotp.TOTP(setup.key())
    setup.confirm(totp.now())
    assert "Two-step sign-in is on" in page.content()
    assert page.locator("#totp-key").count() == 0
    assert_no_axe_violations(page)

    sign_in.sign_out_with_keyboard()
    sign_in.open().sign_in_with_keyboard("lena@state.example.gov")
    page.wait_for_url(re.compile(r"/review/sign-in/code$"))
    assert_no_axe_violations(page)
    code_page = SignInCodePage(page, live_server)
    code_page.enter_code_with_keyboard("999999")
    assert page.title().startswith("Error: Enter your sign-in code")
    assert_no_axe_violations(page)
    # The set-up used this time step's code; the app's next one is accepted (clock drift).
    code_page.enter_code_with_keyboard(totp.at(time.time() + totp.interval))
    page.wait_for_url(re.compile(r"/review/?$"))
    assert page.get_by_role("button", name=re.compile("Sign out")).is_visible()


def test_a_reviewer_unlocks_their_sign_in_by_e_mail(live_server, page, make_reviewer):
    make_reviewer("rita@state.example.gov")
    sign_in = SignInPage(page, live_server).open()
    for _ in range(5):
        sign_in.sign_in_with_keyboard("rita@state.example.gov", "not my password")
        page.get_by_label("E-mail address").fill("")
    assert "Too many failed attempts: wait" in page.content()

    unlock = UnlockRequestPage(page, live_server).open_from_sign_in()
    assert_no_axe_violations(page)
    unlock.request("rita@state.example.gov")
    assert "we have sent it an unlock link" in page.content()
    assert_no_axe_violations(page)

    with live_server.app.app_context():
        body = db.session.query(OutboxMessage).filter_by(kind="account_unlock").one().body_text
    page.goto(re.search(r"http://\S+/review/sign-in/unlock/\S+", body).group(0))
    assert_no_axe_violations(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Unlock my account").click()
    assert "Your account is unlocked" in page.content()
    assert_no_axe_violations(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Sign in").last.click()
    sign_in.sign_in_with_keyboard("rita@state.example.gov")
    page.wait_for_url(re.compile(r"/review/?$"))
