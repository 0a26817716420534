"""Reviewer accounts: argon2 passwords, sign-in with lockout, and every change an admin makes.

Every function that changes an account is one transaction with its audit event, and commits it.
Changing `session_token` ends every session of that reviewer at once.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Iterable

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy.orm.attributes import set_committed_value

from donations_app.extensions import db
from donations_app.models import Queue, Reviewer, utcnow
from donations_app.models.vocabulary import ROLES
from donations_app.services.audit import record_event
from donations_app.services.transaction import NotFound, transactional

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
MAX_FAILED_LOGINS = 5
LOCKOUT_PERIOD = dt.timedelta(minutes=15)


@functools.cache
def _hasher_with(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def _hasher() -> PasswordHasher:
    """The argon2 hasher with the app's PASSWORD_HASH_* parameters."""
    config = current_app.config
    return _hasher_with(
        config["PASSWORD_HASH_TIME_COST"],
        config["PASSWORD_HASH_MEMORY_COST"],
        config["PASSWORD_HASH_PARALLELISM"],
    )


@functools.cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    # Verified against an unknown e-mail so that a wrong address costs as long as a wrong password.
    return hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A reviewer account request that cannot be carried out (the message says why)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the stored argon2 hash."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher().check_needs_rehash(password_hash)


def generate_password() -> str:
    """A random one-time password, long enough for MIN_PASSWORD_LENGTH."""
    return secrets.token_urlsafe(18)


def new_session_token() -> str:
    """A fresh session token; storing it on a reviewer ends their other sessions."""
    return secrets.token_hex(16)


def check_password_strength(password: str) -> None:
    """Refuse passwords shorter than MIN_PASSWORD_LENGTH (or absurdly long) characters."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.", "password"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(
            f"The password must be {MAX_PASSWORD_LENGTH} characters or fewer.", "password"
        )


def find_reviewer(email: str) -> Reviewer | None:
    """The reviewer with this e-mail address (case-insensitive), or None."""
    return db.session.query(Reviewer).filter_by(email=email.strip().lower()).one_or_none()


def get_reviewer(reviewer_id: int) -> Reviewer:
    """The reviewer with this id; NotFound when there is none."""
    reviewer = db.session.get(Reviewer, reviewer_id)
    if reviewer is None:
        raise NotFound("There is no account with that number.")
    return reviewer


def all_reviewers() -> list[Reviewer]:
    """Every account, active ones first, by e-mail address."""
    return list(
        db.session.scalars(sa.select(Reviewer).order_by(Reviewer.active.desc(), Reviewer.email))
    )


def active_reviewers() -> list[Reviewer]:
    """The accounts that can be given work, by name."""
    return list(
        db.session.scalars(sa.select(Reviewer).filter_by(active=True).order_by(Reviewer.name))
    )


def reviewer_for_session(reviewer_id: int, session_token: str) -> Reviewer | None:
    """The active reviewer whose id and session token match a session cookie, or None."""
    reviewer = db.session.get(Reviewer, reviewer_id)
    if reviewer is None or not reviewer.active or reviewer.session_token != session_token:
        return None
    return reviewer


def queues_by_slug(slugs: Iterable[str]) -> list[Queue]:
    """The queues named by `slugs`; an unknown slug is an AccountError."""
    wanted = list(dict.fromkeys(slugs))
    if not wanted:
        return []
    found = {q.slug: q for q in db.session.query(Queue).filter(Queue.slug.in_(wanted))}
    unknown = [slug for slug in wanted if slug not in found]
    if unknown:
        raise AccountError(f"No such queue: {', '.join(unknown)}.", "queues")
    return [found[slug] for slug in wanted]


def _actor_fields(actor: Reviewer | None) -> dict:
    return {"actor": actor, "actor_type": "reviewer" if actor else "system"}


@transactional
def create_reviewer(
    email: str,
    name: str,
    password: str,
    role: str = "reviewer",
    actor: Reviewer | None = None,
    queues: Iterable[Queue] = (),
) -> Reviewer:
    """Create a reviewer account and audit it."""
    email = email.strip().lower()
    if not email or "@" not in email:
        raise AccountError("Enter an e-mail address, like name@state.gov.", "email")
    if not name.strip():
        raise AccountError("Enter the reviewer's full name.", "name")
    if role not in ROLES:
        raise AccountError(f"The role must be one of: {', '.join(ROLES)}.", "role")
    check_password_strength(password)
    if find_reviewer(email) is not None:
        raise AccountError(f"An account for {email} already exists.", "email")
    reviewer = Reviewer(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        role=role,
        active=True,
        failed_logins=0,
        session_token=new_session_token(),
        queues=list(queues),
    )
    db.session.add(reviewer)
    db.session.flush()
    record_event(
        "account_created",
        **_actor_fields(actor),
        data={
            "reviewer_id": reviewer.id,
            "email": email,
            "role": role,
            "queues": [q.slug for q in reviewer.queues],
        },
    )
    return reviewer


@transactional
def bootstrap_admin() -> tuple[str, str] | None:
    """On a database without reviewers, create an admin and return (email, password) once."""
    if db.session.query(Reviewer.id).first() is not None:
        return None
    email = "admin@inl.example.gov"
    password = generate_password()
    create_reviewer(email, "Administrator", password, role="admin")
    return email, password


def is_locked(reviewer: Reviewer, now: dt.datetime | None = None) -> bool:
    """True while the reviewer's lockout period runs."""
    return reviewer.locked_until is not None and reviewer.locked_until > (now or utcnow())


@transactional
def authenticate(email: str, password: str) -> Reviewer | None:
    """Check a sign-in attempt; return the reviewer, or None whatever the reason.

    Failed attempts count towards a lockout of LOCKOUT_PERIOD after MAX_FAILED_LOGINS; a locked
    or deactivated account is refused even with the right password. The caller must
    answer every refusal the same way so the answer never tells whether the e-mail exists.
    """
    reviewer = find_reviewer(email) if len(password) <= MAX_PASSWORD_LENGTH else None
    if reviewer is None:
        verify_password(_dummy_hash(_hasher()), password)
        return None
    now = utcnow()
    correct = verify_password(reviewer.password_hash, password)
    if is_locked(reviewer, now):
        record_event(
            "sign_in_refused",
            actor_type="system",
            actor_label=reviewer.email,
            data={"reviewer_id": reviewer.id, "reason": "locked"},
        )
        return None
    if not correct:
        _count_failure(reviewer, now)
        return None
    if not reviewer.active:
        record_event(
            "sign_in_refused",
            actor_type="system",
            actor_label=reviewer.email,
            data={"reviewer_id": reviewer.id, "reason": "deactivated"},
        )
        return None
    if needs_rehash(reviewer.password_hash):
        reviewer.password_hash = hash_password(password)
    reviewer.failed_logins = 0
    reviewer.locked_until = None
    reviewer.last_login_at = now
    record_event("signed_in", actor=reviewer, data={"reviewer_id": reviewer.id})
    return reviewer


def _count_failure(reviewer: Reviewer, now: dt.datetime) -> None:
    # The database adds the failure in one UPDATE: a Python `failed_logins += 1` on the row
    # loaded before the (slow) password check would let parallel wrong passwords overwrite
    # each other's count and never reach the lockout. A lockout that has run out starts a
    # new count, decided on the row as it is now, not as it was loaded.
    lapsed = Reviewer.locked_until.is_not(None) & (Reviewer.locked_until <= now)
    row = db.session.execute(
        sa.update(Reviewer)
        .where(Reviewer.id == reviewer.id)
        .values(
            failed_logins=sa.case((lapsed, 1), else_=Reviewer.failed_logins + 1),
            locked_until=sa.case((lapsed, sa.null()), else_=Reviewer.locked_until),
        )
        .returning(Reviewer.failed_logins, Reviewer.locked_until)
        .execution_options(synchronize_session=False)
    ).one()
    set_committed_value(reviewer, "failed_logins", row.failed_logins)
    set_committed_value(reviewer, "locked_until", row.locked_until)
    record_event(
        "sign_in_failed",
        actor_type="system",
        actor_label=reviewer.email,
        data={"reviewer_id": reviewer.id, "failed_logins": row.failed_logins},
    )
    # A parallel attempt may have locked the account already: lock it once, not again.
    if row.failed_logins >= MAX_FAILED_LOGINS and not is_locked(reviewer, now):
        reviewer.locked_until = now + LOCKOUT_PERIOD
        record_event(
            "account_locked",
            actor_type="system",
            actor_label=reviewer.email,
            data={
                "reviewer_id": reviewer.id,
                "failed_logins": row.failed_logins,
                "locked_until": reviewer.locked_until.isoformat(),
            },
        )


@transactional
def sign_out(reviewer: Reviewer) -> None:
    """End every session of the reviewer and audit it.

    Sessions live in signed cookies, so rotating the token is the only way to make a copied
    cookie worthless after sign-out; it signs the reviewer out on their other devices too.
    """
    reviewer.session_token = new_session_token()
    record_event("signed_out", actor=reviewer, data={"reviewer_id": reviewer.id})


@transactional
def change_password(reviewer: Reviewer, current: str, new: str, confirm: str) -> None:
    """Change the reviewer's own password and end their other sessions."""
    if not verify_password(reviewer.password_hash, current):
        raise AccountError("Your current password is not correct.", "current_password")
    if new != confirm:
        raise AccountError("The two new passwords do not match.", "confirm_password")
    check_password_strength(new)
    if verify_password(reviewer.password_hash, new):
        raise AccountError("Choose a password that differs from your current one.", "new_password")
    reviewer.password_hash = hash_password(new)
    reviewer.password_changed_at = utcnow()
    reviewer.session_token = new_session_token()
    record_event("password_changed", actor=reviewer, data={"reviewer_id": reviewer.id})


@transactional
def reset_password(reviewer: Reviewer, actor: Reviewer | None = None) -> str:
    """Give the reviewer a new one-time password (returned once) and end their sessions."""
    password = generate_password()
    reviewer.password_hash = hash_password(password)
    reviewer.password_changed_at = utcnow()
    reviewer.session_token = new_session_token()
    reviewer.failed_logins = 0
    reviewer.locked_until = None
    record_event("password_reset", **_actor_fields(actor), data={"reviewer_id": reviewer.id})
    return password


def _other_active_admins(reviewer: Reviewer) -> int:
    return (
        db.session.query(Reviewer.id)
        .filter(Reviewer.role == "admin", Reviewer.active.is_(True), Reviewer.id != reviewer.id)
        .count()
    )


@transactional
def set_role(reviewer: Reviewer, role: str, actor: Reviewer | None = None) -> None:
    """Change the reviewer's role; the last active admin keeps theirs."""
    if role not in ROLES:
        raise AccountError(f"The role must be one of: {', '.join(ROLES)}.", "role")
    if role == reviewer.role:
        return
    if actor is not None and actor.id == reviewer.id:
        raise AccountError("You cannot change your own role: ask another admin.", "role")
    if reviewer.role == "admin" and reviewer.active and _other_active_admins(reviewer) == 0:
        raise AccountError("This is the last active admin: make another admin first.", "role")
    old = reviewer.role
    reviewer.role = role
    record_event(
        "role_changed",
        **_actor_fields(actor),
        data={"reviewer_id": reviewer.id, "email": reviewer.email, "from": old, "to": role},
    )


@transactional
def set_queues(reviewer: Reviewer, queues: list[Queue], actor: Reviewer | None = None) -> None:
    """Replace the reviewer's queue membership."""
    old = sorted(q.slug for q in reviewer.queues)
    new = sorted(q.slug for q in queues)
    if old == new:
        return
    reviewer.queues = list(queues)
    record_event(
        "queues_changed",
        **_actor_fields(actor),
        data={"reviewer_id": reviewer.id, "email": reviewer.email, "from": old, "to": new},
    )


@transactional
def deactivate(reviewer: Reviewer, actor: Reviewer | None = None) -> None:
    """Deactivate the account and end its sessions; the last active admin stays."""
    if not reviewer.active:
        return
    if actor is not None and actor.id == reviewer.id:
        raise AccountError("You cannot deactivate your own account.", "account")
    if reviewer.role == "admin" and _other_active_admins(reviewer) == 0:
        raise AccountError("This is the last active admin: make another admin first.", "account")
    reviewer.active = False
    reviewer.session_token = new_session_token()
    record_event(
        "account_deactivated",
        **_actor_fields(actor),
        data={"reviewer_id": reviewer.id, "email": reviewer.email},
    )


@transactional
def reactivate(reviewer: Reviewer, actor: Reviewer | None = None) -> None:
    """Let a deactivated reviewer sign in again."""
    if reviewer.active:
        return
    reviewer.active = True
    reviewer.failed_logins = 0
    reviewer.locked_until = None
    record_event(
        "account_reactivated",
        **_actor_fields(actor),
        data={"reviewer_id": reviewer.id, "email": reviewer.email},
    )


@transactional
def unlock(reviewer: Reviewer, actor: Reviewer | None = None) -> None:
    """End a lockout early and reset the failed-attempt count."""
    if reviewer.locked_until is None and reviewer.failed_logins == 0:
        return
    reviewer.locked_until = None
    reviewer.failed_logins = 0
    record_event(
        "account_unlocked",
        **_actor_fields(actor),
        data={"reviewer_id": reviewer.id, "email": reviewer.email},
    )
