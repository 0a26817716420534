"""Signing in: password, then a TOTP code where it is on, with backoff that slows guessing.

Wrong passwords and codes count per account (on the reviewer row, or for an e-mail address
without an account in `sign_in_backoffs`, so both are answered alike) and per client address.
From the MAX_FAILED_LOGINS-th failure of an account (CLIENT_FREE_FAILURES of a client address,
which an office may share) each further attempt waits 2^(n - free) seconds, at most MAX_WAIT:
an attacker is slowed down, but the owner is never locked out for long. Attempts made while a
wait runs are refused without being counted. The owner can end the wait of their account with
an unlock link sent by e-mail (signed, short-lived, single use), and an admin can end it too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from donations_app.extensions import db
from donations_app.links import external_url
from donations_app.models import Reviewer, SignInBackoff, utcnow
from donations_app.services import accounts
from donations_app.services.audit import record_event
from donations_app.services.notify import enqueue_mail
from donations_app.services.transaction import transactional

MAX_FAILED_LOGINS = 5
CLIENT_FREE_FAILURES = 10
MAX_WAIT = dt.timedelta(minutes=15)
# A client address (or unknown e-mail address) that has not failed for this long starts a new
# count: addresses change hands.
BACKOFF_MEMORY = dt.timedelta(days=1)
UNLOCK_LINK_LIFETIME = dt.timedelta(minutes=30)
# One unlock e-mail per account in this time, however often it is asked for.
UNLOCK_MAIL_INTERVAL = dt.timedelta(minutes=5)
_UNLOCK_SALT = "account-unlock"


@dataclass(frozen=True)
class SignInAttempt:
    """What a sign-in attempt came to.

    `reviewer` is set when the password was right; `code_needed` then says that a TOTP code
    must follow before the session may start. `wait` is set when the attempt was refused, or
    the next one will be, because of the backoff.
    """

    reviewer: Reviewer | None = None
    code_needed: bool = False
    wait: dt.timedelta | None = None


def backoff_wait(failures: int, free: int = MAX_FAILED_LOGINS) -> dt.timedelta | None:
    """How long the next attempt must wait after `failures` failures (None: it need not)."""
    if failures < free:
        return None
    return min(dt.timedelta(seconds=2 ** min(failures - free, 20)), MAX_WAIT)


def describe_wait(wait: dt.timedelta) -> str:
    """The wait in words, rounded up: "1 second", "8 seconds", "3 minutes" (never "0")."""
    seconds = max(1, int(-(-wait.total_seconds() // 1)))
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _key_hash(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value.strip().lower()}".encode()).hexdigest()


def _waiting_until(key_hash: str, now: dt.datetime) -> dt.datetime | None:
    until = db.session.scalar(
        sa.select(SignInBackoff.wait_until).where(SignInBackoff.key_hash == key_hash)
    )
    return until if until is not None and until > now else None


def _count_backoff_failure(key_hash: str, free: int, now: dt.datetime) -> int:
    """Add a failure under `key_hash` in the database (race-free) and return the new count."""
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    db.session.execute(
        insert(SignInBackoff)
        .values(key_hash=key_hash, failures=0, last_failure_at=now)
        .on_conflict_do_nothing(index_elements=["key_hash"])
    )
    forgotten = SignInBackoff.last_failure_at < now - BACKOFF_MEMORY
    failures = db.session.execute(
        sa.update(SignInBackoff)
        .where(SignInBackoff.key_hash == key_hash)
        .values(
            failures=sa.case((forgotten, 1), else_=SignInBackoff.failures + 1),
            last_failure_at=now,
        )
        .returning(SignInBackoff.failures)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    wait = backoff_wait(failures, free)
    if wait is not None:
        _extend(
            SignInBackoff, SignInBackoff.wait_until, SignInBackoff.key_hash == key_hash, now + wait
        )
    return failures


def _extend(
    model: type, column: sa.orm.InstrumentedAttribute, where: sa.ColumnElement, until: dt.datetime
) -> None:
    # Parallel failures each set a wait: the longest one stands.
    db.session.execute(
        sa.update(model)
        .where(where, sa.or_(column.is_(None), column < until))
        .values({column.key: until})
        .execution_options(synchronize_session=False)
    )


def _count_account_failure(reviewer: Reviewer, now: dt.datetime, reason: str) -> None:
    # One UPDATE adds the failure: a Python `failed_logins += 1` on the row loaded before the
    # (slow) password check would let parallel wrong passwords overwrite each other's count.
    failures = db.session.execute(
        sa.update(Reviewer)
        .where(Reviewer.id == reviewer.id)
        .values(failed_logins=Reviewer.failed_logins + 1)
        .returning(Reviewer.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    wait = backoff_wait(failures)
    if wait is not None:
        _extend(Reviewer, Reviewer.locked_until, Reviewer.id == reviewer.id, now + wait)
    db.session.refresh(reviewer, ["failed_logins", "locked_until"])
    record_event(
        "sign_in_failed",
        actor_type="system",
        actor_label=reviewer.email,
        data={"reviewer_id": reviewer.id, "failed_logins": failures, "reason": reason},
    )
    # The counts are unique, so parallel failures record the start of the backoff once.
    if failures == MAX_FAILED_LOGINS:
        record_event(
            "account_locked",
            actor_type="system",
            actor_label=reviewer.email,
            data={
                "reviewer_id": reviewer.id,
                "failed_logins": failures,
                "locked_until": (now + (wait or dt.timedelta())).isoformat(),
            },
        )


def is_locked(reviewer: Reviewer, now: dt.datetime | None = None) -> bool:
    """True while the reviewer's next sign-in attempt must wait."""
    return reviewer.locked_until is not None and reviewer.locked_until > (now or utcnow())


def _wait_left(
    reviewer: Reviewer | None, email: str, client_address: str, now: dt.datetime
) -> dt.timedelta | None:
    ends = [_waiting_until(_key_hash("client", client_address), now)]
    if reviewer is not None:
        ends.append(reviewer.locked_until if is_locked(reviewer, now) else None)
    else:
        ends.append(_waiting_until(_key_hash("email", email), now))
    latest = max((end for end in ends if end is not None), default=None)
    return latest - now if latest is not None else None


def _fail(
    reviewer: Reviewer | None, email: str, client_address: str, now: dt.datetime, reason: str
) -> SignInAttempt:
    _count_backoff_failure(_key_hash("client", client_address), CLIENT_FREE_FAILURES, now)
    if reviewer is not None:
        _count_account_failure(reviewer, now, reason)
    else:
        _count_backoff_failure(_key_hash("email", email), MAX_FAILED_LOGINS, now)
    return SignInAttempt(wait=_wait_left(reviewer, email, client_address, now))


def _finish(reviewer: Reviewer, client_address: str, now: dt.datetime) -> SignInAttempt:
    reviewer.failed_logins = 0
    reviewer.locked_until = None
    reviewer.last_login_at = now
    db.session.execute(
        sa.delete(SignInBackoff).where(
            SignInBackoff.key_hash == _key_hash("client", client_address)
        )
    )
    record_event("signed_in", actor=reviewer, data={"reviewer_id": reviewer.id})
    return SignInAttempt(reviewer=reviewer)


@transactional
def authenticate(email: str, password: str, client_address: str) -> SignInAttempt:
    """Check an e-mail address and password from `client_address`.

    A refusal never tells whether the e-mail address has an account: an unknown address costs
    the same hashing time and is slowed down the same way. A deactivated account is refused
    even with the right password. With TOTP on, the right password gives `code_needed` and the
    sign-in finishes in `check_code`.
    """
    now = utcnow()
    email = email.strip().lower()
    reviewer = (
        accounts.find_reviewer(email) if len(password) <= accounts.MAX_PASSWORD_LENGTH else None
    )
    stored = reviewer.password_hash if reviewer is not None else accounts.dummy_hash()
    correct = accounts.verify_password(stored, password) and reviewer is not None
    wait = _wait_left(reviewer, email, client_address, now)
    if wait is not None:
        if reviewer is not None:
            record_event(
                "sign_in_refused",
                actor_type="system",
                actor_label=reviewer.email,
                data={"reviewer_id": reviewer.id, "reason": "waiting"},
            )
        return SignInAttempt(wait=wait)
    if reviewer is None or not correct:
        return _fail(reviewer, email, client_address, now, "password")
    if not reviewer.active:
        record_event(
            "sign_in_refused",
            actor_type="system",
            actor_label=reviewer.email,
            data={"reviewer_id": reviewer.id, "reason": "deactivated"},
        )
        return SignInAttempt()
    if accounts.needs_rehash(reviewer.password_hash):
        reviewer.password_hash = accounts.hash_password(password)
    if reviewer.totp_enabled:
        return SignInAttempt(reviewer=reviewer, code_needed=True)
    return _finish(reviewer, client_address, now)


@transactional
def check_code(
    reviewer_id: int, session_token: str, code: str, client_address: str
) -> SignInAttempt:
    """The second step: the TOTP code of a reviewer whose password was right.

    A wrong code counts like a wrong password; a code already used is refused (no replay).
    """
    now = utcnow()
    reviewer = accounts.reviewer_for_session(reviewer_id, session_token)
    if reviewer is None or not reviewer.totp_enabled:
        return SignInAttempt()
    wait = _wait_left(reviewer, reviewer.email, client_address, now)
    if wait is not None:
        return SignInAttempt(wait=wait)
    assert reviewer.totp_secret is not None
    step = accounts.totp_step(reviewer.totp_secret, code, now)
    if step is None or (reviewer.totp_last_step is not None and step <= reviewer.totp_last_step):
        return _fail(reviewer, reviewer.email, client_address, now, "code")
    reviewer.totp_last_step = step
    return _finish(reviewer, client_address, now)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_UNLOCK_SALT)


@transactional
def send_unlock_link(email: str) -> None:
    """E-mail an unlock link to the account's owner, if there is an account that waits.

    Nothing tells the asker whether a message went out. Each new link replaces the last one.
    """
    reviewer = accounts.find_reviewer(email)
    now = utcnow()
    if reviewer is None or not reviewer.active or reviewer.failed_logins == 0:
        return
    if reviewer.unlock_sent_at is not None and reviewer.unlock_sent_at > now - UNLOCK_MAIL_INTERVAL:
        return
    reviewer.unlock_nonce = secrets.token_urlsafe(16)
    reviewer.unlock_sent_at = now
    token = _serializer().dumps({"reviewer": reviewer.id, "nonce": reviewer.unlock_nonce})
    enqueue_mail(
        "account_unlock",
        reviewer.email,
        "account_unlock",
        reviewer=reviewer,
        link=external_url("review.unlock_account", token=token),
        minutes=int(UNLOCK_LINK_LIFETIME.total_seconds() // 60),
    )
    record_event(
        "unlock_link_sent",
        actor_type="system",
        actor_label=reviewer.email,
        data={"reviewer_id": reviewer.id},
    )


def unlock_link_reviewer(token: str) -> Reviewer | None:
    """The account an unlock link is for, while the link is valid, unused and the newest."""
    try:
        payload = _serializer().loads(token, max_age=int(UNLOCK_LINK_LIFETIME.total_seconds()))
    except BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    reviewer_id, nonce = payload.get("reviewer"), payload.get("nonce")
    if not isinstance(reviewer_id, int) or not isinstance(nonce, str):
        return None
    reviewer = db.session.get(Reviewer, reviewer_id)
    if reviewer is None or not reviewer.active or reviewer.unlock_nonce is None:
        return None
    if not secrets.compare_digest(reviewer.unlock_nonce, nonce):
        return None
    return reviewer


@transactional
def use_unlock_link(token: str, client_address: str) -> Reviewer | None:
    """Unlock the account of a valid link (which then stops working), and the owner's address."""
    reviewer = unlock_link_reviewer(token)
    if reviewer is None:
        return None
    used = db.session.execute(
        sa.update(Reviewer)
        .where(Reviewer.id == reviewer.id, Reviewer.unlock_nonce == reviewer.unlock_nonce)
        .values(unlock_nonce=None)
        .returning(Reviewer.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if used is None:  # a parallel request used the link first
        return None
    set_committed_value(reviewer, "unlock_nonce", None)
    accounts.unlock(reviewer, via="email")
    db.session.execute(
        sa.delete(SignInBackoff).where(
            SignInBackoff.key_hash == _key_hash("client", client_address)
        )
    )
    return reviewer
