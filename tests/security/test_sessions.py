"""Reviewer sessions: an absolute lifetime, and dropped when the browser or address changes.

Audit findings (low): the 8-hour session slid forward on every request, and
session_protection="strong" had no effect on the (permanent) session cookie.
"""

from __future__ import annotations

import time

import pytest

from donations_app import auth as auth_module


@pytest.fixture
def signed_in(auth, client):
    auth.as_role("reviewer")
    assert client.get("/review/account/password").status_code == 200
    return client


def test_a_session_ends_at_its_lifetime_however_often_it_is_used(app, signed_in, monkeypatch):
    lifetime = app.permanent_session_lifetime.total_seconds()
    start = time.time()
    for elapsed in (lifetime * 0.5, lifetime * 0.9, lifetime - 60):
        monkeypatch.setattr(auth_module.time, "time", lambda e=elapsed: start + e)
        assert signed_in.get("/review/account/password").status_code == 200
    monkeypatch.setattr(auth_module.time, "time", lambda: start + lifetime + 60)
    response = signed_in.get("/review/account/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/review/sign-in")


def test_the_session_cookie_is_not_kept_after_the_browser_closes(signed_in):
    cookie = signed_in.get_cookie("session")
    assert cookie is not None and cookie.expires is None


def test_a_session_copied_to_another_browser_is_dropped(signed_in):
    other = {"User-Agent": "Mozilla/5.0 (a different browser)"}
    response = signed_in.get("/review/account/password", headers=other)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/review/sign-in")
    # the session is gone for good, not only for that request
    assert signed_in.get("/review/account/password").status_code == 302
