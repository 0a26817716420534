"""Reviewer accounts: argon2 passwords, password rules, and every change an admin makes.

Every function that changes an account is one transaction with its audit event, and commits it.
Changing `session_token` ends every session of that reviewer at once. A password someone else
chose (a generated one-time password) sets `must_change_password`; signing in is in sign_in.py.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import re
import secrets
from collections.abc import Iterable

import pyotp
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from donations_app.extensions import db
from donations_app.models import Queue, Reviewer, utcnow
from donations_app.models.vocabulary import ROLES
from donations_app.services.audit import record_event
from donations_app.services.transaction import NotFound, transactional

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
# zxcvbn's score (0-4): 3 is "safely unguessable" against an offline attack on a slow hash.
MIN_PASSWORD_SCORE = 3
# zxcvbn refuses longer input (its run time grows with the length); a longer password is judged
# by its first 72 characters, which are already hard to guess if the whole is.
STRENGTH_CHECKED_LENGTH = 72
TOTP_ISSUER = "INL donations"
TOTP_DIGITS = 6


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


def dummy_hash() -> str:
    """A hash of no one's password, to check against when the e-mail address has no account."""
    return _dummy_hash(_hasher())


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


def check_password_strength(password: str, personal: Iterable[str] = ()) -> None:
    """Refuse passwords that are too short, too long, or easy to guess.

    Easy to guess means a zxcvbn score under MIN_PASSWORD_SCORE: common and breached passwords,
    words, names, keyboard patterns, repeats and dates from the dictionaries shipped in the
    package (nothing is looked up on the network), and the `personal` words given, such as the
    account's e-mail address and name.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.", "password"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(
            f"The password must be {MAX_PASSWORD_LENGTH} characters or fewer.", "password"
        )
    # Imported here: its dictionaries are loaded on import, and only password changes need them.
    import zxcvbn  # type: ignore[import-untyped]  # the package ships no type hints

    words = sorted({w for value in personal for w in _personal_words(value)}, key=len, reverse=True)
    checked = password[:STRENGTH_CHECKED_LENGTH]
    result = zxcvbn.zxcvbn(checked, user_inputs=words)
    # zxcvbn rates "rita.reviewer1" as strong even for Rita Reviewer: judge also what is left
    # once the reviewer's own names and address are taken out.
    rest = re.sub("|".join(map(re.escape, words)), "", checked, flags=re.I) if words else checked
    if result["score"] < MIN_PASSWORD_SCORE:
        warning = result["feedback"].get("warning") or "This password is easy to guess."
    elif rest != checked and zxcvbn.zxcvbn(rest)["score"] < MIN_PASSWORD_SCORE:
        warning = "This password is built from your name or e-mail address."
    else:
        return
    raise AccountError(
        f"{warning.rstrip('.')}. Choose a password that is hard to guess: for example, four or "
        "more unrelated words, and nothing from your name or e-mail address.",
        "password",
    )


def _personal_words(value: str) -> list[str]:
    """The value and its parts: "ada.lovelace@state.gov" -> the whole, "ada", "lovelace"..."""
    value = value.strip().lower()
    parts = [part for part in re.split(r"[^a-z0-9]+", value) if len(part) >= 3]
    return [value, *parts] if value else parts


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
    one_time_password: bool = False,
) -> Reviewer:
    """Create a reviewer account and audit it.

    `one_time_password` says someone other than the reviewer chose the password (a generated
    one): the reviewer must change it before they can use the reviewer pages.
    """
    email = email.strip().lower()
    if not email or "@" not in email:
        raise AccountError("Enter an e-mail address, like name@state.gov.", "email")
    if not name.strip():
        raise AccountError("Enter the reviewer's full name.", "name")
    if role not in ROLES:
        raise AccountError(f"The role must be one of: {', '.join(ROLES)}.", "role")
    check_password_strength(password, (email, name))
    if find_reviewer(email) is not None:
        raise AccountError(f"An account for {email} already exists.", "email")
    reviewer = Reviewer(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        role=role,
        active=True,
        failed_logins=0,
        must_change_password=one_time_password,
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
            "one_time_password": one_time_password,
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
    create_reviewer(email, "Administrator", password, role="admin", one_time_password=True)
    return email, password


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
    try:
        check_password_strength(new, (reviewer.email, reviewer.name))
    except AccountError as error:
        raise AccountError(str(error), "new_password") from error
    if verify_password(reviewer.password_hash, new):
        raise AccountError("Choose a password that differs from your current one.", "new_password")
    reviewer.password_hash = hash_password(new)
    reviewer.password_changed_at = utcnow()
    reviewer.must_change_password = False
    reviewer.session_token = new_session_token()
    record_event("password_changed", actor=reviewer, data={"reviewer_id": reviewer.id})


@transactional
def reset_password(reviewer: Reviewer, actor: Reviewer | None = None) -> str:
    """Give the reviewer a new one-time password (returned once) and end their sessions.

    The reviewer must change it at their next sign-in.
    """
    password = generate_password()
    reviewer.password_hash = hash_password(password)
    reviewer.password_changed_at = utcnow()
    reviewer.must_change_password = True
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
def unlock(reviewer: Reviewer, actor: Reviewer | None = None, via: str = "admin") -> None:
    """End the wait after wrong passwords early and reset the failed-attempt count.

    `via` says who unlocked: "admin" (an admin, or the CLI without `actor`) or "email" (the
    owner, through an unlock link).
    """
    if reviewer.locked_until is None and reviewer.failed_logins == 0:
        return
    reviewer.locked_until = None
    reviewer.failed_logins = 0
    fields = _actor_fields(actor) if via == "admin" else {"actor": reviewer}
    record_event(
        "account_unlocked",
        **fields,
        data={"reviewer_id": reviewer.id, "email": reviewer.email, "via": via},
    )


def new_totp_secret() -> str:
    """A random base32 secret for an authenticator app (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32(32)


def totp_uri(reviewer: Reviewer, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads from the set-up QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=reviewer.email, issuer_name=TOTP_ISSUER)


def totp_step(secret: str, code: str, now: dt.datetime | None = None) -> int | None:
    """The time step whose code `code` is (this one, or one step either side for clock drift)."""
    code = "".join(code.split())
    if len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    at = now or utcnow()
    step = totp.timecode(at)
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


@transactional
def enable_totp(reviewer: Reviewer, secret: str, code: str) -> None:
    """Turn on two-step sign-in once the reviewer proved their app shows the right codes."""
    if not reviewer.is_lead:
        raise AccountError("Two-step sign-in is for leads and admins.", "code")
    if reviewer.totp_enabled:
        raise AccountError("Two-step sign-in is already on for your account.", "code")
    step = totp_step(secret, code)
    if step is None:
        raise AccountError(
            "That code is not right. Enter the 6-digit code your app shows now.", "code"
        )
    reviewer.totp_secret = secret
    reviewer.totp_last_step = step
    record_event("totp_enabled", actor=reviewer, data={"reviewer_id": reviewer.id})


@transactional
def reset_totp(reviewer: Reviewer, actor: Reviewer | None = None) -> None:
    """Turn two-step sign-in off (a lost phone); the owner can set it up again."""
    if not reviewer.totp_enabled:
        return
    reviewer.totp_secret = None
    reviewer.totp_last_step = None
    reviewer.session_token = new_session_token()
    record_event(
        "totp_reset",
        **_actor_fields(actor),
        data={"reviewer_id": reviewer.id, "email": reviewer.email},
    )
