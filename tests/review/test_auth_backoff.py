"""Sign-in backoff: wrong passwords slow the attacker down, per account and per client address,
without locking the owner out for long; the owner can end the wait with an e-mailed link."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from donations_app.extensions import db
from donations_app.models import AuditEvent, OutboxMessage, Reviewer, utcnow
from donations_app.services import sign_in
from tests.conftest import PASSWORD, csrf_token

RITA = "rita@state.example.gov"


class Clock:
    """The sign-in service's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(sign_in, "utcnow", clock)
    return clock


def client_from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def account(app) -> Reviewer:
    with app.app_context():
        reviewer = db.session.query(Reviewer).filter_by(email=RITA).one()
        db.session.expunge(reviewer)
        return reviewer


def test_backoff_doubles_per_failure_and_stops_at_fifteen_minutes():
    waits = [sign_in.backoff_wait(n) for n in range(1, 25)]
    assert waits[:4] == [None] * 4
    assert [w.total_seconds() for w in waits[4:9]] == [1, 2, 4, 8, 16]
    assert max(waits[4:]) == dt.timedelta(minutes=15) == waits[-1]
    assert sign_in.describe_wait(dt.timedelta(seconds=0.2)) == "1 second"
    assert sign_in.describe_wait(dt.timedelta(seconds=61)) == "2 minutes"


def test_each_failure_after_the_fifth_waits_twice_as_long(app, auth, make_reviewer, clock):
    make_reviewer()
    attacker = client_from(app, "203.0.113.7")
    expected = []
    for failure in range(1, 13):
        response = auth.sign_in(RITA, "wrong password!", client=attacker)
        assert response.status_code == 401
        wait = account(app).locked_until
        expected.append(None if failure < 5 else 2 ** (failure - 5))
        assert (None if wait is None else (wait - clock.now).total_seconds()) == expected[-1]
        if wait is not None:
            assert f"wait {sign_in.describe_wait(wait - clock.now)} and try again" in response.text
            clock.advance((wait - clock.now).total_seconds())
    assert account(app).failed_logins == 12


def test_an_attacker_cannot_lock_the_owner_out_for_long(app, auth, make_reviewer, clock):
    make_reviewer()
    attacker = client_from(app, "203.0.113.7")
    for _ in range(40):  # as fast as it may: attempts during a wait are refused, not counted
        auth.sign_in(RITA, "wrong password!", client=attacker)
        clock.advance(1)
    reviewer = account(app)
    assert reviewer.locked_until - clock.now <= sign_in.MAX_WAIT
    owner = client_from(app, "198.51.100.20")
    refused = auth.sign_in(RITA, PASSWORD, client=owner)
    assert refused.status_code == 401
    assert re.search(r"wait \d+ (minutes?|seconds?) and try again", refused.text)
    clock.advance(sign_in.MAX_WAIT.total_seconds())
    assert auth.sign_in(RITA, PASSWORD, client=owner).status_code == 302
    assert account(app).failed_logins == 0


def test_one_client_address_is_slowed_down_across_accounts(app, auth, make_reviewer, clock):
    make_reviewer()
    sprayer = client_from(app, "203.0.113.9")
    for number in range(sign_in.CLIENT_FREE_FAILURES):
        auth.sign_in(f"guess{number}@state.example.gov", "wrong password!", client=sprayer)
    # Rita's account has no failure, but this address must wait...
    refused = auth.sign_in(RITA, PASSWORD, client=sprayer)
    assert refused.status_code == 401
    assert "wait 1 second and try again" in refused.text
    assert account(app).failed_logins == 0
    # ...while Rita signs in from her own address, and this one may try again after the wait.
    assert auth.sign_in(RITA, PASSWORD, client=client_from(app, "198.51.100.20")).status_code == 302
    clock.advance(1)
    assert auth.sign_in(RITA, PASSWORD, client=sprayer).status_code == 302


@pytest.fixture
def waiting_rita(app, auth, make_reviewer, clock):
    """Rita's account after six wrong passwords from an attacker's address: a 2-second wait."""
    make_reviewer()
    attacker = client_from(app, "203.0.113.7")
    for _ in range(6):
        auth.sign_in(RITA, "wrong password!", client=attacker)
        clock.advance(1)
    assert sign_in.is_locked(account(app), clock.now)
    return account(app)


def request_unlock(client, email: str):
    page = client.get("/review/sign-in/unlock")
    return client.post(
        "/review/sign-in/unlock", data={"csrf_token": csrf_token(page.text), "email": email}
    )


def unlock_mails(app) -> list[OutboxMessage]:
    with app.app_context():
        return db.session.query(OutboxMessage).filter_by(kind="account_unlock").all()


def test_the_unlock_request_answers_the_same_whether_the_account_exists(app, waiting_rita):
    owner = client_from(app, "198.51.100.20")
    known = request_unlock(owner, RITA)
    unknown = request_unlock(owner, "nobody@state.example.gov")
    assert known.status_code == unknown.status_code == 200
    strip = lambda text: re.sub(r"\S+@state\.example\.gov", "", text)  # noqa: E731
    assert strip(known.text) == strip(unknown.text)
    assert "If " in known.text and "we have sent it an unlock link" in known.text
    assert [m.to_address for m in unlock_mails(app)] == [RITA]


def test_the_unlock_link_ends_the_wait_once(app, auth, waiting_rita, clock):
    owner = client_from(app, "198.51.100.20")
    request_unlock(owner, RITA)
    (mail,) = unlock_mails(app)
    link = re.search(r"http://localhost(/review/sign-in/unlock/\S+)", mail.body_text).group(1)
    # Opening the link (as a mail scanner would) changes nothing: the button does.
    page = owner.get(link)
    assert page.status_code == 200 and "Unlock my account" in page.text
    assert sign_in.is_locked(account(app), clock.now)
    unlocked = owner.post(link, data={"csrf_token": csrf_token(page.text)})
    assert unlocked.status_code == 200 and "Your account is unlocked" in unlocked.text
    reviewer = account(app)
    assert reviewer.failed_logins == 0 and reviewer.locked_until is None
    with app.app_context():
        event = db.session.query(AuditEvent).filter_by(action="account_unlocked").one()
        assert event.data["via"] == "email" and event.actor_label == RITA
    assert auth.sign_in(RITA, PASSWORD, client=owner).status_code == 302
    # Single use: the same link no longer works.
    assert client_from(app, "198.51.100.21").get(link).status_code == 404


def test_an_old_or_forged_unlock_link_does_not_work(app, waiting_rita, monkeypatch):
    owner = client_from(app, "198.51.100.20")
    request_unlock(owner, RITA)
    link = re.search(r"http://localhost(\S+)", unlock_mails(app)[0].body_text).group(1)
    page = owner.get(link)
    assert owner.get(link[:-3] + "abc").status_code == 404
    monkeypatch.setattr(sign_in, "UNLOCK_LINK_LIFETIME", dt.timedelta(seconds=-1))
    assert owner.get(link).status_code == 404
    assert owner.post(link, data={"csrf_token": csrf_token(page.text)}).status_code == 404
    assert sign_in.is_locked(account(app), sign_in.utcnow())


def test_unlock_mails_are_rate_limited_per_account(app, waiting_rita, clock):
    owner = client_from(app, "198.51.100.20")
    for _ in range(3):
        assert request_unlock(owner, RITA).status_code == 200
    assert len(unlock_mails(app)) == 1
    clock.advance(sign_in.UNLOCK_MAIL_INTERVAL.total_seconds() + 1)
    request_unlock(owner, RITA)
    assert len(unlock_mails(app)) == 2


def test_no_unlock_mail_for_an_account_without_failures(app, make_reviewer):
    make_reviewer()
    assert request_unlock(app.test_client(), RITA).status_code == 200
    assert unlock_mails(app) == []


def test_unlock_requests_are_rate_limited_per_client(app_config):
    from donations_app import create_app

    app_config["RATELIMIT_ENABLED"] = True
    app_config["LOGIN_RATE_LIMIT"] = "2 per minute"
    client = create_app(app_config).test_client()
    statuses = [request_unlock(client, RITA).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
