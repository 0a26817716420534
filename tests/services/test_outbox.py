"""E-mail through the outbox: a mail outage delays mail and loses nothing; every message is
delivered exactly once, with retries and backoff, even with two senders at once."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from donations_app import create_app
from donations_app.extensions import db
from donations_app.models import Offer, OutboxMessage, utcnow
from donations_app.services import notify
from donations_app.services.notify import backoff, enqueue_mail, send_due_mail
from tests.api.bodies import offer_body
from tests.conftest import MailCollector, free_port, mail_text


def outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def later(monkeypatch, hours: float) -> None:
    """Let time pass for the outbox, so messages waiting for a retry are due."""
    moved = utcnow() + dt.timedelta(hours=hours)
    monkeypatch.setattr(notify, "utcnow", lambda: moved)


def test_smtp_down_during_submissions_then_every_mail_delivered_once(app_config, monkeypatch):
    port = free_port()  # nothing listens here yet: the mail server is down
    app_config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TIMEOUT=2)
    app = create_app(app_config)
    client = app.test_client()
    references = []
    for n in range(12):
        response = client.post("/api/v1/offers", json=offer_body(recipient="npu"))
        assert response.status_code == 201, n
        references.append(response.get_json()["reference"])
    with app.app_context():
        assert send_due_mail() == (0, 1)
        assert send_due_mail() == (0, 1)  # the next due message; the first waits for its retry
        messages = outbox()
        assert len(messages) == 12 and {m.status for m in messages} == {"pending"}
        assert messages[0].attempts == 1 and "Connection" in messages[0].last_error
        assert messages[0].next_attempt_at > utcnow()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Offer)) == 12

        collector = MailCollector()
        server = Controller(collector, hostname="127.0.0.1", port=port)
        server.start()
        try:
            later(monkeypatch, 1)
            assert send_due_mail() == (12, 0)
            assert send_due_mail() == (0, 0)
        finally:
            server.stop()
        db.session.expire_all()
        assert {m.status for m in outbox()} == {"sent"}
    subjects = sorted(str(message["Subject"]) for message in collector.messages)
    assert len(subjects) == 12
    assert all(sum(ref in s for s in subjects) == 1 for ref in references)
    first = collector.messages[0]
    assert first["To"] == "pat@springfield.example.gov"
    assert "/status/" in mail_text(first)


def test_two_senders_at_once_send_each_message_once(smtp_server, app):
    with app.app_context():
        for n in range(40):
            enqueue_mail(
                "test",
                f"donor{n}@example.gov",
                "offer_withdrawn",
                offer=None,
                reason="",
                status_url="https://example.gov/status/x",
            )
        db.session.commit()
    results = []

    def sender() -> None:
        with app.app_context():
            results.append(send_due_mail(limit=100))
            db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(sent for sent, _ in results) == 40
    recipients = [str(m["To"]) for m in smtp_server.wait_for(40)]
    assert sorted(recipients) == sorted(f"donor{n}@example.gov" for n in range(40))
    with app.app_context():
        assert {m.status for m in outbox()} == {"sent"}


def test_message_is_dead_after_the_last_attempt(app_config, monkeypatch):
    app_config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), OUTBOX_MAX_ATTEMPTS=3)
    app = create_app(app_config)
    with app.test_request_context():
        enqueue_mail("test", "donor@example.gov", "offer_withdrawn", reason="", status_url="u")
        db.session.commit()
        waits = []
        for hours in (0, 1, 2):
            later(monkeypatch, hours)
            before = notify.utcnow()
            assert send_due_mail() == (0, 1)
            (message,) = outbox()
            waits.append(message.next_attempt_at - before)
        assert message.status == "dead" and message.attempts == 3
        later(monkeypatch, 100)
        assert send_due_mail() == (0, 0)
    assert waits[0] < waits[1]


def test_backoff_doubles_and_is_capped():
    assert backoff(1) == dt.timedelta(seconds=30)
    assert backoff(2) == dt.timedelta(seconds=60)
    assert backoff(3) == dt.timedelta(seconds=120)
    assert backoff(50) == dt.timedelta(hours=6)


def test_subject_line_never_carries_a_line_break(app):
    with app.test_request_context():
        client = app.test_client()
        body = offer_body()
        response = client.post("/api/v1/offers", json=body)
        assert response.status_code == 201
        (message,) = outbox()
        assert "\n" not in message.subject and message.subject.startswith("Your donation offer")


def test_cli_outbox_send(smtp_server, app, runner):
    with app.app_context():
        enqueue_mail("test", "donor@example.gov", "offer_withdrawn", reason="", status_url="u")
        db.session.commit()
    result = runner.invoke(args=["outbox", "send", "--limit", "10"])
    assert result.exit_code == 0, result.output
    assert "sent 1, failed 0" in result.output
    assert [str(m["To"]) for m in smtp_server.wait_for(1)] == ["donor@example.gov"]


@pytest.mark.parametrize("enabled", [True, False])
def test_in_app_sender_delivers_mail_while_the_server_runs(smtp_server, app_config, enabled):
    app_config.update(TESTING=False, OUTBOX_IN_APP_SENDER=enabled, OUTBOX_POLL_SECONDS=1)
    app = create_app(app_config)
    response = app.test_client().post("/api/v1/offers", json=offer_body())
    assert response.status_code == 201
    try:
        if enabled:
            (message,) = smtp_server.wait_for(1)
            assert response.get_json()["reference"] in str(message["Subject"])
        else:
            time.sleep(1.5)
            assert smtp_server.messages == []
            assert "outbox_sender" not in app.extensions
    finally:
        if "outbox_sender" in app.extensions:
            thread, stop = app.extensions["outbox_sender"]
            stop.set()
            thread.join(timeout=10)


def enqueue_many(app, count: int) -> None:
    with app.test_request_context():
        for n in range(count):
            enqueue_mail(
                "test", f"donor{n}@example.gov", "offer_withdrawn", reason="", status_url="u"
            )
        db.session.commit()


@pytest.mark.postgres
def test_a_sender_skips_the_row_another_sender_is_claiming(smtp_server, app_config):
    """FOR UPDATE SKIP LOCKED: a row locked by another sender's claim is passed over at once
    (with a plain SELECT the UPDATE would wait for the lock, and fail after lock_timeout)."""
    app_config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"options": "-c lock_timeout=3000"}}
    app = create_app(app_config)
    enqueue_many(app, 5)
    with app.app_context():
        first = db.session.scalar(sa.select(sa.func.min(OutboxMessage.id)))
        other = db.engine.connect()
        try:
            other.execute(
                sa.select(OutboxMessage.id).where(OutboxMessage.id == first).with_for_update()
            )
            assert send_due_mail() == (4, 0)
        finally:
            other.close()
        statuses = {m.id: m.status for m in outbox()}
        assert statuses.pop(first) == "pending" and set(statuses.values()) == {"sent"}
        assert send_due_mail() == (1, 0)
        db.engine.dispose()
    assert len(smtp_server.wait_for(5)) == 5


@pytest.mark.postgres
def test_two_sender_processes_send_each_message_exactly_once(smtp_server, app, app_config):
    """Two `flask outbox send` processes, as two worker hosts would run them, at the same time."""
    enqueue_many(app, 150)
    env = {
        **{k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "PYTHONPATH"}},
        # The testing config pins SMTP_PORT to 0; development reads it from the environment.
        "APP_ENV": "development",
        "RULES_WATCH": "false",
        "SECRET_KEY": "x" * 48,
        "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
        "INSTANCE_PATH": app_config["INSTANCE_PATH"],
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(app_config["SMTP_PORT"]),
    }
    flask = [str(Path(sys.executable).parent / "flask"), "--app", "donations_app"]
    senders = [
        subprocess.Popen(
            [*flask, "outbox", "send", "--limit", "1000"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [sender.communicate(timeout=120)[0] for sender in senders]
    assert all(sender.returncode == 0 for sender in senders), outputs
    found = [re.search(r"sent (\d+), failed 0", out) for out in outputs]
    assert all(found), outputs
    counts = [int(match.group(1)) for match in found if match]
    assert sum(counts) == 150
    recipients = [str(m["To"]) for m in smtp_server.wait_for(150)]
    assert sorted(recipients) == sorted(f"donor{n}@example.gov" for n in range(150))
    with app.app_context():
        assert {m.status for m in outbox()} == {"sent"}
        assert {m.attempts for m in outbox()} == {1}
