"""`make run`'s mail server prints each e-mail decoded: a quoted-printable link arrives whole."""

from __future__ import annotations

import io
import smtplib
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from donations_app.devmail import PrintingHandler
from tests.conftest import free_port

LINK = "https://donations.example.gov/status/eyJvZmZlciI6MTIzNH0.Zm9vYmFyYmF6cXV4cXV1eA.c2lnbmF0dXJl?x=1"


@pytest.fixture
def printed() -> Iterator[tuple[int, io.StringIO]]:
    out = io.StringIO()
    controller = Controller(PrintingHandler(out), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, out
    finally:
        controller.stop()


def send(port: int, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(message)


def test_quoted_printable_text_is_printed_decoded_with_html_and_attachment_sizes(printed):
    port, out = printed
    text = f"Bonjour Zoë,\n\nYour offer's status page: {LINK}\nReference: UA-2026-000001 = ok\n"
    html = f'<p>Bonjour Zoë,</p><p><a href="{LINK}">Your offer\'s status page</a></p>\n'
    message = EmailMessage()
    message["From"] = "INL Donations <donations-noreply@state.example.gov>"
    message["To"] = "pat@springfield.example.gov"
    message["Subject"] = "Offer UA-2026-000001 reçue"
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    message.add_attachment(
        b"%PDF-1.4 x" * 10, maintype="application", subtype="pdf", filename="a.pdf"
    )
    raw = message.as_bytes()
    assert LINK.encode() not in raw  # on the wire, the link is broken by soft line breaks

    send(port, message)

    shown = out.getvalue()
    assert f"status page: {LINK}" in shown
    assert "Bonjour Zoë," in shown and "Reference: UA-2026-000001 = ok" in shown
    assert "Subject: Offer UA-2026-000001 reçue" in shown
    assert "To: pat@springfield.example.gov" in shown
    assert f"[HTML part: {len(html.encode())} bytes]" in shown
    assert "[attachment: a.pdf (application/pdf, 100 bytes)]" in shown
    assert "=\n" not in shown and "=3D" not in shown and "<p>" not in shown


def test_the_apps_own_mail_prints_its_status_link_whole(printed, app_config):
    from donations_app import create_app
    from donations_app.extensions import db
    from donations_app.models import OutboxMessage
    from donations_app.services.notify import send_due_mail

    port, out = printed
    app_config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    app = create_app(app_config)
    body = "Your offer UA-2026-000001 was received. " * 3 + f"\nFollow it here: {LINK}\n"
    with app.app_context():
        db.session.add(
            OutboxMessage(kind="test", to_address="pat@x.example.gov", subject="S", body_text=body)
        )
        db.session.commit()
        assert send_due_mail() == (1, 0)
    assert f"Follow it here: {LINK}" in out.getvalue()
