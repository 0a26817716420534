"""The mail server refuses (4xx, 5xx, a refusal at the greeting) or hangs past SMTP_TIMEOUT:
offers are stored and acknowledged meanwhile, a sender never waits longer than the timeout,
and once the server works again every message is delivered exactly once.

tests/services/test_outbox.py covers a server that is not listening at all; these are the
servers that answer badly, or not at all."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from donations_app import create_app
from donations_app.extensions import db
from donations_app.models import Offer, OutboxMessage
from donations_app.services.notify import send_due_mail
from tests.api.bodies import offer_body
from tests.conftest import MailCollector, free_port
from tests.services.test_outbox import later

OUTBOX_ID = re.compile(r"outbox-(\d+)")


class RefusingCollector(MailCollector):
    """Collects mail, or refuses it with `refusal` at DATA, or refuses the recipients listed in
    `refused_recipients` at RCPT TO."""

    def __init__(self) -> None:
        super().__init__()
        self.refusal: str | None = None
        self.refused_recipients: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refused_recipients:
            return self.refused_recipients[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refusal:
            return self.refusal
        return await super().handle_DATA(server, session, envelope)


class SilentServer:
    """A TCP server that accepts connections and never says a word (a hung mail server), or
    with `greeting`, says that one line and then nothing more."""

    def __init__(self, port: int, greeting: bytes = b"") -> None:
        self.greeting = greeting
        self.listener = socket.create_server(("127.0.0.1", port))
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            if self.greeting:
                connection.sendall(self.greeting)
            self.connections.append(connection)

    def close(self) -> None:
        # shutdown() wakes the thread blocked in accept(); close() alone would not.
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for connection in self.connections:
            connection.close()
        self.thread.join(timeout=5)


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def mail_app(app_config, port):
    app_config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TIMEOUT=1)
    app = create_app(app_config)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def refusing_server(port) -> Iterator[RefusingCollector]:
    collector = RefusingCollector()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    yield collector
    controller.stop()


def submit(app, count: int) -> list[str]:
    """Submit `count` offers through the API; every one must be acknowledged."""
    client = app.test_client()
    references = []
    for n in range(count):
        response = client.post("/api/v1/offers", json=offer_body())
        assert response.status_code == 201, n
        references.append(response.get_json()["reference"])
    return references


def outbox_state() -> Counter:
    db.session.expire_all()
    return Counter(db.session.scalars(sa.select(OutboxMessage.status)))


def assert_each_delivered_once(collector: MailCollector, app, references: list[str]) -> None:
    """Every outbox row went out once (by the outbox id in its Message-ID), each offer's
    confirmation once (by subject), and nothing else."""
    with app.app_context():
        ids = set(db.session.scalars(sa.select(OutboxMessage.id)))
        stored = db.session.scalar(sa.select(sa.func.count()).select_from(Offer))
    assert stored == len(references)
    sent = Counter(int(OUTBOX_ID.search(str(m["Message-ID"])).group(1)) for m in collector.messages)
    assert set(sent) == ids and set(sent.values()) == {1}, sent
    subjects = [str(m["Subject"]) for m in collector.messages]
    assert all(sum(ref in s for s in subjects) == 1 for ref in references)


def test_temporary_refusal_4xx_keeps_every_message_for_a_retry(
    mail_app, refusing_server, monkeypatch
):
    refusing_server.refusal = "451 4.3.0 Mailbox temporarily unavailable, try later"
    references = submit(mail_app, 6)
    with mail_app.app_context():
        # A 4xx is about this moment: every message was tried on the one connection, none lost.
        assert send_due_mail() == (0, 6)
        assert outbox_state() == {"pending": 6}
        message = db.session.scalars(sa.select(OutboxMessage)).first()
        assert message.attempts == 1 and "451" in message.last_error
        assert send_due_mail() == (0, 0)  # each waits for its retry time

        refusing_server.refusal = None
        later(monkeypatch, 1)
        assert send_due_mail() == (6, 0)
        assert send_due_mail() == (0, 0)
        assert outbox_state() == {"sent": 6}
    assert_each_delivered_once(refusing_server, mail_app, references)


def test_permanent_refusal_5xx_of_one_address_is_final_and_holds_up_nothing(
    mail_app, refusing_server, monkeypatch
):
    references = submit(mail_app, 3)
    refused = "nobody@springfield.example.gov"
    refusing_server.refused_recipients[refused] = "550 5.1.1 No such user"
    with mail_app.app_context():
        bad = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).first()
        bad.to_address = refused
        db.session.commit()
        assert send_due_mail() == (2, 1)
        later(monkeypatch, 100)
        assert send_due_mail() == (0, 0)  # a retry cannot change a 5xx: it is not retried
        assert outbox_state() == {"sent": 2, "dead": 1}
        bad = db.session.get(OutboxMessage, bad.id)
        assert bad.attempts == 1 and "550" in bad.last_error
    recipients = Counter(str(m["To"]) for m in refusing_server.messages)
    assert recipients == {"pat@springfield.example.gov": 2}
    assert len(references) == 3


def test_server_refusing_service_at_the_greeting_loses_no_mail(mail_app, port, monkeypatch):
    references = submit(mail_app, 4)
    # A 554 greeting says "no service here now" about the server, not about any one message.
    refusing = SilentServer(port, greeting=b"554 5.3.2 Service not available\r\n")
    try:
        with mail_app.app_context():
            for hours in (0, 1, 2):
                later(monkeypatch, hours)
                assert send_due_mail() == (0, 1)
            assert outbox_state() == {"pending": 4}
    finally:
        refusing.close()
    collector = MailCollector()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with mail_app.app_context():
            later(monkeypatch, 24)
            assert send_due_mail() == (4, 0)
            assert send_due_mail() == (0, 0)
    finally:
        controller.stop()
    assert_each_delivered_once(collector, mail_app, references)


def test_hung_server_times_out_and_submissions_go_on_meanwhile(mail_app, port, monkeypatch):
    # Long enough for three submissions on a busy machine, short enough for the suite.
    mail_app.config["SMTP_TIMEOUT"] = 3
    submit(mail_app, 2)
    hung = SilentServer(port)
    results: list[tuple[int, int]] = []

    def sender() -> None:
        with mail_app.app_context():
            results.append(send_due_mail())
            db.session.remove()

    started = time.monotonic()
    stuck = threading.Thread(target=sender)
    stuck.start()
    try:
        # While the sender waits for the silent server, donors' offers are still acknowledged.
        while not hung.connections:
            time.sleep(0.01)
        references = submit(mail_app, 3)
        assert stuck.is_alive(), "the submissions waited for the mail server"
        stuck.join(timeout=10)
        elapsed = time.monotonic() - started
    finally:
        hung.close()
    assert results == [(0, 1)]
    assert 3 <= elapsed < 10  # the sender gave up after SMTP_TIMEOUT, it did not hang
    with mail_app.app_context():
        assert outbox_state() == {"pending": 5}
        timed_out = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.attempts == 1)
        ).one()
        assert "timed out" in timed_out.last_error

    collector = MailCollector()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with mail_app.app_context():
            later(monkeypatch, 1)
            assert send_due_mail() == (5, 0)
            assert send_due_mail() == (0, 0)
    finally:
        controller.stop()
    with mail_app.app_context():
        all_references = list(db.session.scalars(sa.select(Offer.reference)))
    assert len(all_references) == 5 and set(references) <= set(all_references)
    assert_each_delivered_once(collector, mail_app, all_references)
