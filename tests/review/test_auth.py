"""Signing in and out, backoff, rate limiting, session invalidation and password change."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from argon2 import extract_parameters

from donations_app.extensions import db
from donations_app.models import AuditEvent, Reviewer, utcnow
from donations_app.services import accounts, sign_in
from tests.conftest import PASSWORD, audit_actions, csrf_token

HASH_SETTINGS = (
    "PASSWORD_HASH_TIME_COST",
    "PASSWORD_HASH_MEMORY_COST",
    "PASSWORD_HASH_PARALLELISM",
)


@pytest.fixture
def app_config(app_config):
    # Real CSRF in these tests: every form must carry its token.
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def test_sign_in_page_has_form_with_csrf(client):
    response = client.get("/review/sign-in")
    assert response.status_code == 200
    assert 'name="csrf_token"' in response.text
    assert 'autocomplete="current-password"' in response.text


def test_sign_in_without_csrf_token_is_refused(client, app, make_reviewer):
    make_reviewer()
    response = client.post(
        "/review/sign-in", data={"email": "rita@state.example.gov", "password": PASSWORD}
    )
    assert response.status_code == 400
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_sign_in_success_redirects_and_audits(client, app, auth, make_reviewer):
    make_reviewer()
    response = auth.sign_in("Rita@State.Example.gov ", PASSWORD)
    assert response.status_code == 302
    assert client.get("/review/account/password").status_code == 200
    assert "signed_in" in audit_actions(app)
    with app.app_context():
        assert db.session.query(Reviewer).one().last_login_at is not None


def test_empty_form_shows_field_errors_and_error_title(client, auth):
    response = auth.sign_in("", "")
    assert response.status_code == 400
    assert "<title>Error: Sign in" in response.text
    assert "There is a problem" in response.text
    assert 'href="#email"' in response.text and "Enter your e-mail address." in response.text
    assert 'href="#password"' in response.text and "Enter your password." in response.text


def test_wrong_password_and_unknown_email_get_the_same_answer(client, app, auth, make_reviewer):
    make_reviewer()
    wrong = auth.sign_in("rita@state.example.gov", "not the password")
    unknown = auth.sign_in("nobody@state.example.gov", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    message = "The e-mail address or password is not correct"
    assert message in wrong.text and message in unknown.text
    # The value typed is kept, the password is not.
    assert 'value="nobody@state.example.gov"' in unknown.text
    assert "not the password" not in unknown.text


def test_five_wrong_passwords_start_the_backoff_and_it_is_audited(
    client, app, auth, make_reviewer, monkeypatch
):
    now = utcnow()
    monkeypatch.setattr(sign_in, "utcnow", lambda: now)
    make_reviewer()
    for _ in range(sign_in.MAX_FAILED_LOGINS):
        last = auth.sign_in("rita@state.example.gov", "wrong password!")
        assert last.status_code == 401
    assert "wait 1 second and try again" in last.text
    waiting = auth.sign_in("rita@state.example.gov", PASSWORD)
    assert waiting.status_code == 401
    assert "wait 1 second and try again" in waiting.text
    with app.app_context():
        reviewer = db.session.query(Reviewer).one()
        assert reviewer.locked_until == now + dt.timedelta(seconds=1)
        # The attempt made during the wait was refused without being counted.
        assert reviewer.failed_logins == sign_in.MAX_FAILED_LOGINS
        events = db.session.query(AuditEvent).filter_by(action="account_locked").all()
        assert len(events) == 1
        assert events[0].data["reviewer_id"] == reviewer.id
    assert audit_actions(app).count("sign_in_failed") == sign_in.MAX_FAILED_LOGINS


def test_an_unknown_address_is_slowed_down_like_an_account(app, auth, make_reviewer, monkeypatch):
    now = utcnow()
    monkeypatch.setattr(sign_in, "utcnow", lambda: now)
    make_reviewer()
    known, unknown = app.test_client(), app.test_client()
    known.environ_base["REMOTE_ADDR"] = "10.0.0.1"
    unknown.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    for _ in range(sign_in.MAX_FAILED_LOGINS):
        auth.sign_in("rita@state.example.gov", "wrong password!", client=known)
        auth.sign_in("nobody@state.example.gov", "wrong password!", client=unknown)
    locked = auth.sign_in("rita@state.example.gov", PASSWORD, client=known)
    nobody = auth.sign_in("nobody@state.example.gov", PASSWORD, client=unknown)
    # Waiting or unknown: the same words, so the page never tells that the account exists.
    strip = lambda text: re.sub(r'value="[^"]*"', "", text)  # noqa: E731
    assert locked.status_code == nobody.status_code == 401
    assert strip(locked.text) == strip(nobody.text)


def test_owner_signs_in_once_the_wait_is_over(client, app, auth, make_reviewer, monkeypatch):
    reviewer_id = make_reviewer().id
    with app.app_context():
        reviewer = db.session.get(Reviewer, reviewer_id)
        reviewer.failed_logins = sign_in.MAX_FAILED_LOGINS
        reviewer.locked_until = utcnow() - dt.timedelta(seconds=1)
        db.session.commit()
    assert auth.sign_in("rita@state.example.gov", PASSWORD).status_code == 302
    with app.app_context():
        reviewer = db.session.get(Reviewer, reviewer_id)
        assert reviewer.failed_logins == 0 and reviewer.locked_until is None


def test_sign_in_rate_limit_per_client(app_config, auth):
    from donations_app import create_app

    app_config["RATELIMIT_ENABLED"] = True
    app_config["LOGIN_RATE_LIMIT"] = "3 per minute"
    app = create_app(app_config)
    client = app.test_client()
    responses = [
        auth.sign_in("nobody@example.gov", "whatever it is", client=client) for _ in range(4)
    ]
    assert [r.status_code for r in responses] == [401, 401, 401, 429]
    assert "Too many requests" in responses[-1].text
    # Another client address is counted separately.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert auth.sign_in("nobody@example.gov", "whatever it is", client=other).status_code == 401
    # Showing the form is not limited.
    assert client.get("/review/sign-in").status_code == 200


def test_deactivated_account_cannot_sign_in(client, auth, make_reviewer):
    make_reviewer(active=False)
    response = auth.sign_in("rita@state.example.gov", PASSWORD)
    assert response.status_code == 401
    assert "The e-mail address or password is not correct" in response.text
    assert client.get("/review/account/password").status_code == 302


def test_deactivation_ends_existing_sessions(client, app, auth, make_reviewer):
    reviewer_id = make_reviewer().id
    assert auth.sign_in("rita@state.example.gov", PASSWORD).status_code == 302
    assert client.get("/review/account/password").status_code == 200
    with app.app_context():
        accounts.deactivate(db.session.get(Reviewer, reviewer_id))
        db.session.commit()
    response = client.get("/review/account/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/review/sign-in")


def test_session_is_cleared_on_sign_in(client, app, auth, make_reviewer):
    reviewer_id = make_reviewer().id
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    auth.sign_in("rita@state.example.gov", PASSWORD)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(f"{reviewer_id}:")


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/review/account/password", "/review/account/password"),
        ("https://evil.example/", None),
        ("//evil.example/", None),
        ("/\\evil.example", None),
        ("javascript:alert(1)", None),
    ],
)
def test_next_only_to_same_site_paths(client, app, next_url, expected, auth, make_reviewer):
    make_reviewer()
    response = auth.sign_in("rita@state.example.gov", PASSWORD, next_url=next_url)
    location = response.headers["Location"]
    if expected:
        assert location == expected
    else:
        assert "evil" not in location and "javascript" not in location
        assert location.startswith("/")


def test_anonymous_reviewer_page_redirects_to_sign_in_and_back(client, app, make_reviewer):
    make_reviewer()
    response = client.get("/review/account/password")
    assert response.status_code == 302
    assert response.headers["Location"] == "/review/sign-in?next=%2Freview%2Faccount%2Fpassword"
    page = client.get(response.headers["Location"])
    back = client.post(
        response.headers["Location"],
        data={
            "csrf_token": csrf_token(page.text),
            "email": "rita@state.example.gov",
            "password": PASSWORD,
        },
    )
    assert back.headers["Location"] == "/review/account/password"


def test_sign_out_is_a_post_with_csrf(client, app, auth, make_reviewer):
    make_reviewer()
    auth.sign_in("rita@state.example.gov", PASSWORD)
    assert client.get("/review/sign-out").status_code == 405
    assert client.post("/review/sign-out").status_code == 400  # no CSRF token
    page = client.get("/review/account/password")
    assert 'action="/review/sign-out"' in page.text
    response = client.post("/review/sign-out", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    assert client.get("/review/account/password").status_code == 302
    assert "signed_out" in audit_actions(app)


def change_password(client, current, new, confirm=None):
    page = client.get("/review/account/password")
    return client.post(
        "/review/account/password",
        data={
            "csrf_token": csrf_token(page.text),
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
        },
    )


def test_password_change_ends_other_sessions_but_keeps_this_one(app, auth, make_reviewer):
    make_reviewer()
    laptop, phone = app.test_client(), app.test_client()
    auth.sign_in("rita@state.example.gov", PASSWORD, client=laptop)
    auth.sign_in("rita@state.example.gov", PASSWORD, client=phone)
    response = change_password(laptop, PASSWORD, "a much better passphrase")
    assert response.status_code == 302
    assert laptop.get("/review/account/password").status_code == 200
    assert phone.get("/review/account/password").status_code == 302
    assert auth.sign_in("rita@state.example.gov", PASSWORD, client=phone).status_code == 401
    assert (
        auth.sign_in("rita@state.example.gov", "a much better passphrase", client=phone).status_code
        == 302
    )
    assert "password_changed" in audit_actions(app)


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("wrong current pw", "a much better passphrase", None, "current password is not correct"),
        (PASSWORD, "short", None, f"at least {accounts.MIN_PASSWORD_LENGTH} characters"),
        (PASSWORD, "a much better passphrase", "something different", "do not match"),
        (PASSWORD, PASSWORD, None, "differs from your current one"),
    ],
)
def test_password_change_errors(client, app, current, new, confirm, message, auth, make_reviewer):
    make_reviewer()
    auth.sign_in("rita@state.example.gov", PASSWORD)
    response = change_password(client, current, new, confirm)
    assert response.status_code == 400
    assert message in response.text
    assert "<title>Error: " in response.text
    assert "password_changed" not in audit_actions(app)
    with app.app_context():
        assert accounts.verify_password(db.session.query(Reviewer).one().password_hash, PASSWORD)


def test_production_hashes_are_strong_and_a_cheap_hash_is_upgraded_at_sign_in(
    app, app_config, auth, make_reviewer
):
    from donations_app import create_app
    from donations_app.config import ProductionConfig

    production = ProductionConfig()
    strong = {key: getattr(production, key) for key in HASH_SETTINGS}
    # At least the OWASP floor for argon2id: 19 MiB of memory and two passes.
    assert strong["PASSWORD_HASH_MEMORY_COST"] >= 19 * 1024
    assert strong["PASSWORD_HASH_TIME_COST"] >= 2
    reviewer_id = make_reviewer().id
    with app.app_context():
        cheap = db.session.get(Reviewer, reviewer_id).password_hash
    assert extract_parameters(cheap).memory_cost < strong["PASSWORD_HASH_MEMORY_COST"]

    strong_app = create_app({**app_config, **strong})
    client = strong_app.test_client()
    assert auth.sign_in("rita@state.example.gov", PASSWORD, client=client).status_code == 302
    with strong_app.app_context():
        stored = db.session.get(Reviewer, reviewer_id).password_hash
        assert not accounts.needs_rehash(stored)
        assert accounts.verify_password(stored, PASSWORD)
    upgraded = extract_parameters(stored)
    assert (upgraded.time_cost, upgraded.memory_cost, upgraded.parallelism) == (
        strong["PASSWORD_HASH_TIME_COST"],
        strong["PASSWORD_HASH_MEMORY_COST"],
        strong["PASSWORD_HASH_PARALLELISM"],
    )


def test_session_cookie_is_httponly_and_not_remembered(client, app, auth, make_reviewer):
    make_reviewer()
    response = auth.sign_in("rita@state.example.gov", PASSWORD)
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("session=") and "HttpOnly" in c for c in cookies)
    assert not any(c.startswith("remember_token=") for c in cookies)


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    from donations_app import create_app

    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    app = create_app(
        {
            "APP_ENV": "production",
            "PUBLIC_BASE_URL": "https://donations.example.gov",
            "RATELIMIT_STORAGE_URI": "memory://",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}",
            "INSTANCE_PATH": str(tmp_path),
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_nav_shows_sign_in_link_when_signed_out_and_sign_out_when_signed_in(
    client, app, auth, make_reviewer
):
    make_reviewer()
    assert "INL staff sign in" in client.get("/accessibility").text
    auth.sign_in("rita@state.example.gov", PASSWORD)
    page = client.get("/accessibility").text
    assert "INL staff sign in" not in page
    assert "Change password" in page and 'action="/review/sign-out"' in page
    assert "Audit log" not in page and "Accounts</a>" not in page


def test_a_copied_session_cookie_is_worthless_after_sign_out(app, auth, make_reviewer):
    make_reviewer()
    browser, thief = app.test_client(), app.test_client()
    auth.sign_in("rita@state.example.gov", PASSWORD, client=browser)
    thief.set_cookie("session", browser.get_cookie("session").value)
    assert thief.get("/review/account/password").status_code == 200
    auth.sign_out(client=browser)
    assert thief.get("/review/account/password").status_code == 302


def test_a_session_ends_after_its_lifetime_even_if_the_browser_keeps_the_cookie(
    client, app, monkeypatch, auth, make_reviewer
):
    from itsdangerous import TimestampSigner

    make_reviewer()
    auth.sign_in("rita@state.example.gov", PASSWORD)
    assert client.get("/review/").status_code == 200
    lifetime = int(app.permanent_session_lifetime.total_seconds())
    signed_at = TimestampSigner.get_timestamp
    monkeypatch.setattr(
        TimestampSigner, "get_timestamp", lambda self: signed_at(self) + lifetime + 60
    )
    response = client.get("/review/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/review/sign-in")
