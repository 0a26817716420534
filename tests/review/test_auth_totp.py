"""Two-step sign-in (TOTP) for leads and admins: set-up, the code step, and an admin's reset."""

from __future__ import annotations

import html
import re
import time

import pyotp
import pytest

from donations_app.extensions import db
from donations_app.models import AuditEvent, Reviewer
from donations_app.review import auth_views
from donations_app.services import sign_in
from tests.conftest import PASSWORD, audit_actions, csrf_token

LENA = "lena@state.example.gov"


@pytest.fixture
def app_config(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def post_code(client, url: str, code: str):
    page = client.get(url)
    return client.post(url, data={"csrf_token": csrf_token(page.text), "code": code})


def turn_on(client) -> pyotp.TOTP:
    """Set up two-step sign-in on the signed-in client's account; return the app's TOTP with
    the code used for it as `used_code`."""
    page = client.get("/review/account/two-step")
    key = html.unescape(re.search(r'id="totp-key">([A-Z2-7]+)<', page.text).group(1))
    totp = pyotp.TOTP(key)
    totp.used_code = totp.now()
    response = client.post(
        "/review/account/two-step",
        data={"csrf_token": csrf_token(page.text), "code": totp.used_code},
    )
    assert response.status_code == 302, response.text
    return totp


def next_code(totp: pyotp.TOTP) -> str:
    # The code of the set-up's time step is used up (no replay): take the next step's, which
    # the service accepts for clock drift.
    return totp.at(time.time() + totp.interval)


def stored_secret(app, email: str) -> str | None:
    with app.app_context():
        return db.session.query(Reviewer).filter_by(email=email).one().totp_secret


def test_setup_page_shows_an_inline_svg_qr_code_and_the_key(auth):
    auth.as_role("lead")
    page = auth.client.get("/review/account/two-step")
    assert page.status_code == 200
    assert re.search(r'<figure[^>]*role="img"[^>]*aria-label="QR code', page.text)
    figure = re.search(r"<figure.*?</figure>", page.text, re.S).group(0)
    assert "<svg" in figure and "<script" not in figure
    assert re.search(r'id="totp-key">[A-Z2-7]{32}<', page.text)


def test_a_wrong_code_does_not_turn_it_on(app, auth):
    auth.as_role("lead")
    response = post_code(auth.client, "/review/account/two-step", "000000")
    assert response.status_code == 400
    assert "That code is not right" in response.text
    assert stored_secret(app, LENA) is None


def test_sign_in_asks_for_the_code_once_it_is_on(app, auth, make_reviewer):
    auth.as_role("lead")
    totp = turn_on(auth.client)
    assert "totp_enabled" in audit_actions(app)
    # The key is not shown again.
    page = auth.client.get("/review/account/two-step")
    assert "Two-step sign-in is on" in page.text
    assert stored_secret(app, LENA) not in page.text
    auth.sign_out()

    client = app.test_client()
    first = auth.sign_in(LENA, PASSWORD, client=client)
    assert first.status_code == 302 and first.headers["Location"].endswith("/review/sign-in/code")
    # Not signed in until the code is right.
    assert client.get("/review/offers").status_code == 302
    assert "signed_in" not in audit_actions(app)[-1:]
    wrong = post_code(client, "/review/sign-in/code", "123456")
    assert wrong.status_code == 401 and "That code is not right" in wrong.text
    assert client.get("/review/offers").status_code == 302
    right = post_code(client, "/review/sign-in/code", next_code(totp))
    assert right.status_code == 302
    assert client.get("/review/offers").status_code == 200
    with app.app_context():
        reviewer = db.session.query(Reviewer).filter_by(email=LENA).one()
        assert reviewer.failed_logins == 0
        failed = db.session.query(AuditEvent).filter_by(action="sign_in_failed").one()
        assert failed.data["reason"] == "code"


def test_a_code_cannot_be_used_twice(app, auth):
    auth.as_role("lead")
    totp = turn_on(auth.client)
    auth.sign_out()
    client = app.test_client()
    auth.sign_in(LENA, PASSWORD, client=client)
    assert post_code(client, "/review/sign-in/code", totp.used_code).status_code == 401


def test_wrong_codes_count_towards_the_backoff(app, auth):
    auth.as_role("lead")
    turn_on(auth.client)
    auth.sign_out()
    client = app.test_client()
    auth.sign_in(LENA, PASSWORD, client=client)
    for _ in range(sign_in.MAX_FAILED_LOGINS):
        response = post_code(client, "/review/sign-in/code", "000000")
    assert "Too many failed attempts: wait" in response.text
    with app.app_context():
        reviewer = db.session.query(Reviewer).filter_by(email=LENA).one()
        assert reviewer.failed_logins == sign_in.MAX_FAILED_LOGINS
        assert sign_in.is_locked(reviewer)


def test_the_code_step_expires(app, auth, monkeypatch):
    auth.as_role("lead")
    turn_on(auth.client)
    auth.sign_out()
    client = app.test_client()
    auth.sign_in(LENA, PASSWORD, client=client)
    with monkeypatch.context() as later:
        later.setattr(auth_views, "PENDING_SIGN_IN_SECONDS", -1)
        page = client.get("/review/sign-in/code")
    assert page.status_code == 302 and page.headers["Location"].endswith("/review/sign-in")
    # The password step is forgotten: the code page does not come back.
    assert client.get("/review/sign-in/code").status_code == 302
    assert client.get("/review/offers").status_code == 302


def test_reviewers_cannot_turn_it_on(app, auth):
    auth.as_role("reviewer")
    assert auth.client.get("/review/account/two-step").status_code == 403
    assert "Two-step sign-in" not in auth.client.get("/review/account/password").text


def test_an_admin_can_turn_off_another_accounts_two_step_sign_in(app, auth, make_reviewer):
    lena_client = app.test_client()
    lena = make_reviewer(role="lead")
    auth.sign_in_as(lena, client=lena_client)
    turn_on(lena_client)
    auth.as_role("admin")
    url = f"/review/admin/accounts/{lena.id}"
    page = auth.client.get(url)
    assert "Turn off two-step sign-in" in page.text
    response = auth.client.post(f"{url}/two-step-reset", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    assert stored_secret(app, LENA) is None
    # Lena's sessions ended; she signs in with her password alone.
    assert lena_client.get("/review/offers").status_code == 302
    assert auth.sign_in(LENA, PASSWORD, client=lena_client).headers["Location"].endswith("/review/")
    with app.app_context():
        event = db.session.query(AuditEvent).filter_by(action="totp_reset").one()
        assert event.actor_label == "ada@state.example.gov"
