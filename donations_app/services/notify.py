"""E-mail through the outbox: messages are rows written with the change they report, sent later.

`enqueue_mail` renders a plain-text template into an OutboxMessage in the caller's transaction,
so a mail outage never loses a message nor blocks a submission. `send_due_mail` (run by
`flask outbox send` or the in-app sender thread) claims due rows one at a time, sends them over
SMTP, and on failure retries with exponential backoff until OUTBOX_MAX_ATTEMPTS, then marks the
row "dead". A claim is one short transaction: on PostgreSQL `SELECT ... FOR UPDATE SKIP LOCKED`
picks the next due row no other sender is claiming (several senders, on several hosts, never
wait for each other nor take the same row), and a conditional UPDATE pushes its
`next_attempt_at` past a lease (SQLite has no row locks: the conditional UPDATE alone decides,
and a sender that loses the race takes the next row). A sender that dies mid-send leaves the
row due again after the lease.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import threading
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any, cast

import sqlalchemy as sa
from flask import Flask, current_app, render_template

from donations_app.extensions import db
from donations_app.mail_format import blocks
from donations_app.models import Offer, OutboxMessage, utcnow

log = logging.getLogger(__name__)

# Longer than any SMTP conversation (SMTP_TIMEOUT), so a claimed message is not claimed twice.
CLAIM_LEASE = dt.timedelta(minutes=10)
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 6 * 3600


def mail_values(
    kind: str, to: str, template: str, *, offer: Offer | None = None, **context: Any
) -> dict[str, Any]:
    """The outbox row of mail/<template>.txt ("Subject: ..." first) rendered for `to`."""
    rendered = render_template(f"mail/{template}.txt", offer=offer, **context)
    first, _, body = rendered.lstrip("\n").partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"mail/{template}.txt must start with a 'Subject: ...' line")
    # Header values never carry line breaks, whatever a donor typed into the fields they quote.
    subject = " ".join(first.removeprefix("Subject:").split())[:255]
    text = body.strip("\n") + "\n"
    if offer is not None and offer.id is None:
        db.session.flush()
    return {
        "kind": kind,
        "to_address": to,
        "subject": subject,
        "body_text": text,
        "offer_id": offer.id if offer is not None else None,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": utcnow(),
    }


def enqueue_mail(
    kind: str, to: str, template: str, *, offer: Offer | None = None, **context: Any
) -> OutboxMessage:
    """Render mail/<template>.txt into the outbox; the caller commits.

    The HTML part is laid out from the same text by the sender (message_html), outside the
    request, and stored with the message once it is sent.
    """
    message = OutboxMessage(**mail_values(kind, to, template, offer=offer, **context))
    db.session.add(message)
    return message


def html_part(subject: str, text: str) -> str:
    """The HTML alternative of a mail: its text's paragraphs, lists, quotes and links, laid out."""
    sender = parseaddr(current_app.config["MAIL_FROM"])[0] or "INL Donations"
    return render_template("mail/_layout.html", subject=subject, blocks=blocks(text), sender=sender)


def message_html(message: OutboxMessage) -> str:
    """The HTML part of a message: laid out from its text when it is sent (html_part)."""
    return message.body_html or html_part(message.subject, message.body_text)


def outbox_lag_seconds() -> float:
    """How long the oldest pending message that is due has waited (0 when none is)."""
    now = utcnow()
    oldest = db.session.scalar(
        sa.select(sa.func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now
        )
    )
    return max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0


def outbox_backlog() -> tuple[dict[str, int], float]:
    """The outbox's messages by status, and outbox_lag_seconds()."""
    depth = dict(
        db.session.execute(
            sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    return depth, outbox_lag_seconds()


def insert_mail(kind: str, to: str, template: str, *, offer: Offer, **context: Any) -> None:
    """Render mail/<template>.txt into the outbox with one INSERT now, in the caller's
    transaction, without adding an object to the session (the write path of a submission)."""
    values = mail_values(kind, to, template, offer=offer, **context)
    db.session.connection().execute(sa.insert(OutboxMessage), values)


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait before the next try after `attempts` failed ones."""
    seconds = BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, BACKOFF_MAX_SECONDS))


def _claim_next() -> OutboxMessage | None:
    """Take the next due message for this sender, or None when none is left."""
    while True:
        now = utcnow()
        message_id = db.session.scalar(
            sa.select(OutboxMessage.id)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)  # rendered by PostgreSQL; SQLite has no FOR UPDATE
        )
        if message_id is None:
            db.session.commit()
            return None
        result = db.session.execute(
            sa.update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == "pending",
                OutboxMessage.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + CLAIM_LEASE, attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        # An UPDATE answers a CursorResult, which counts rows; Session.execute is typed as Result.
        claimed = cast(sa.CursorResult, result).rowcount
        db.session.commit()
        if claimed == 1:
            return db.session.get(OutboxMessage, message_id, populate_existing=True)
        # Only on SQLite: another sender claimed it between the SELECT and the UPDATE.


def _record(message_id: int, **values: Any) -> None:
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _email(message: OutboxMessage, html: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}")
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body_text)
    email.add_alternative(html, subtype="html")
    return email


def _connect() -> smtplib.SMTP:
    config = current_app.config
    smtp = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"])
    if config.get("SMTP_STARTTLS"):
        smtp.starttls()
    if config.get("SMTP_USERNAME"):
        smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
    return smtp


def _permanent(error: Exception) -> bool:
    """A refusal of this message that a retry cannot change: a 5xx to its recipient or to its
    content. A 5xx at the greeting, HELO, MAIL FROM or login is about the server or the
    service's account with it, which an operator fixes, so that message is tried again."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500


def _connection_usable(error: Exception) -> bool:
    """After an SMTP answer about one message, the session goes on with the next message."""
    return isinstance(error, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused)


def send_due_mail(limit: int = 100) -> tuple[int, int]:
    """Send up to `limit` due messages; return (sent, failed)."""
    max_attempts = current_app.config["OUTBOX_MAX_ATTEMPTS"]
    sent = failed = 0
    smtp: smtplib.SMTP | None = None
    try:
        for _ in range(limit):
            message = _claim_next()
            if message is None:
                break
            html = message_html(message)
            try:
                smtp = smtp or _connect()
                smtp.send_message(_email(message, html))
            except (smtplib.SMTPException, OSError) as error:
                failed += 1
                dead = message.attempts >= max_attempts or _permanent(error)
                log.warning("mail %s to %s failed: %s", message.id, message.to_address, error)
                _record(
                    message.id,
                    status="dead" if dead else "pending",
                    next_attempt_at=utcnow() + backoff(message.attempts),
                    last_error=f"{type(error).__name__}: {error}"[:2000],
                )
                if smtp is not None and not _connection_usable(error):
                    smtp.close()
                    smtp = None
                if smtp is None:
                    # The server is unreachable: leave the rest for the next run, unclaimed.
                    break
                continue
            sent += 1
            # What was sent stays on record: the text and the HTML laid out from it.
            _record(message.id, status="sent", sent_at=utcnow(), last_error=None, body_html=html)
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
    return sent, failed


def run_sender(app: Flask, *, interval: float, limit: int, stop: threading.Event) -> None:
    """Drain the outbox every `interval` seconds until `stop` is set; errors are logged."""
    while not stop.is_set():
        with app.app_context():
            try:
                send_due_mail(limit)
            except Exception:
                log.exception("the outbox sender failed; it tries again shortly")
                db.session.rollback()
            finally:
                db.session.remove()
        stop.wait(interval)


def start_in_app_sender(app: Flask) -> threading.Thread:
    """Start the outbox sender thread of a development server (`make run`)."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_sender,
        kwargs={
            "app": app,
            "interval": app.config["OUTBOX_POLL_SECONDS"],
            "limit": 100,
            "stop": stop,
        },
        name="outbox-sender",
        daemon=True,
    )
    app.extensions["outbox_sender"] = (thread, stop)
    thread.start()
    return thread
