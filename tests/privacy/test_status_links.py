"""Status links rotate (older links 404), expire after the final status, and stay out of logs.

Audit finding (low): status links never expired nor rotated, and sat in logs and the outbox.
"""

from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeSerializer

from donations_app.extensions import db
from donations_app.intake.status_views import PrivateLinkFilter
from donations_app.models import AuditEvent, OutboxMessage, utcnow
from donations_app.services import offers as offers_service
from tests.conftest import csrf_token
from tests.privacy.helpers import CONTACT, load, submit, withdraw


def link_mails(app, reference):
    with app.app_context():
        return db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.kind == "status_link", OutboxMessage.subject.contains(reference))
            .order_by(OutboxMessage.id)
        ).all()


def link_in(mail):
    (line,) = [line for line in mail.body_text.splitlines() if "/status/" in line]
    return urlsplit(line.strip()).path


def test_send_me_a_new_link_replaces_the_old_one(app, client):
    reference, old = submit(client)
    page = client.get(old)
    assert page.status_code == 200
    assert "Send me a new link" in page.text
    response = client.post(old + "/new-link", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    assert client.get(old).status_code == 404
    (mail,) = link_mails(app, reference)
    assert mail.to_address == CONTACT
    new = link_in(mail)
    assert new != old
    assert client.get(new).status_code == 200
    with app.app_context():
        event = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "status_link_rotated")
        ).one()
        assert CONTACT not in f"{event.actor_label} {event.reason} {event.data}"
        assert new.rsplit("/", 1)[1] not in str(event.data)


def test_links_mailed_before_rotation_existed_keep_working(app, client):
    reference, _ = submit(client)
    offer = load(app, reference)
    legacy = URLSafeSerializer(app.config["SECRET_KEY"], salt="offer-status").dumps(offer.public_id)
    assert client.get(f"/status/{legacy}").status_code == 200


def test_a_link_expires_after_the_final_status_and_a_new_one_can_be_asked_for(
    app, client, monkeypatch
):
    reference, link = submit(client)
    assert client.get(link).status_code == 200
    withdraw(app, reference)
    assert client.get(link).status_code == 200  # the period starts at the final status
    later = utcnow() + dt.timedelta(days=app.config["STATUS_LINK_DAYS_AFTER_DECISION"] + 1)
    monkeypatch.setattr(offers_service, "utcnow", lambda: later)

    expired = client.get(link)
    assert expired.status_code == 410
    assert "This status link has expired" in expired.text
    assert "Pickup" not in expired.text and CONTACT not in expired.text
    assert client.get(link, headers={"Accept": "application/json"}).status_code == 410
    assert client.get(link + "/withdraw").status_code == 410

    token = csrf_token(expired.text)
    wrong = client.post(
        "/status/new-link",
        data={"csrf_token": token, "reference": reference, "email": "someone@else.example"},
    )
    right = client.post(
        "/status/new-link",
        data={"csrf_token": token, "reference": reference.lower(), "email": CONTACT.upper()},
    )
    unknown = client.post(
        "/status/new-link",
        data={"csrf_token": token, "reference": "UA-1999-000001", "email": CONTACT},
    )
    assert wrong.status_code == right.status_code == unknown.status_code == 302
    assert wrong.location == right.location == unknown.location
    (mail,) = link_mails(app, reference)
    assert client.get(link_in(mail)).status_code == 200
    assert client.get(link).status_code == 404


def test_asking_for_a_link_without_answers_says_what_is_missing(client):
    page = client.get("/status/new-link")
    response = client.post("/status/new-link", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 400
    assert "Enter the offer&#39;s reference number" in response.text
    assert "Enter the contact e-mail address" in response.text


def test_new_link_requests_are_rate_limited(app_config):
    from donations_app import create_app

    app_config.update(RATELIMIT_ENABLED=True, STATUS_LINK_EMAIL_RATE_LIMIT="2 per hour")
    app = create_app(app_config)
    client = app.test_client()
    token = csrf_token(client.get("/status/new-link").text)
    answers = {"csrf_token": token, "reference": "UA-2026-000001", "email": "a@b.example"}
    codes = [client.post("/status/new-link", data=answers).status_code for _ in range(3)]
    assert codes == [302, 302, 429]


@pytest.mark.parametrize(
    "line",
    [
        '"GET /status/InRva2VuIg.abc HTTP/1.1" 200 -',
        '"POST /status/InRva2VuIg.abc/withdraw HTTP/1.1" 302 -',
        '"GET /offer/draft/InRva2VuIg.abc HTTP/1.1" 200 -',
    ],
)
def test_request_logs_hide_private_link_tokens(app, caplog, line):
    assert any(isinstance(f, PrivateLinkFilter) for f in logging.getLogger("werkzeug").filters)
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info("127.0.0.1 - - [date] %s %s %s", line, "200", "-")
    assert "InRva2VuIg.abc" not in caplog.text
    assert "[token]" in caplog.text
