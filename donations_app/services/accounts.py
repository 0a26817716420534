"""Reviewer accounts: argon2 password hashing, creation and the first admin of a new database."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from donations_app.extensions import db
from donations_app.models import Reviewer
from donations_app.models.vocabulary import ROLES
from donations_app.services.audit import record_event

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12


class AccountError(ValueError):
    """A reviewer account request that cannot be carried out (the message says why)."""


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the stored argon2 hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def check_password_strength(password: str) -> None:
    """Refuse passwords shorter than MIN_PASSWORD_LENGTH characters."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")


def create_reviewer(
    email: str,
    name: str,
    password: str,
    role: str = "reviewer",
    actor: Reviewer | None = None,
) -> Reviewer:
    """Create a reviewer account and audit it; the caller commits."""
    email = email.strip().lower()
    if role not in ROLES:
        raise AccountError(f"The role must be one of: {', '.join(ROLES)}.")
    check_password_strength(password)
    if db.session.query(Reviewer.id).filter_by(email=email).first() is not None:
        raise AccountError(f"An account for {email} already exists.")
    reviewer = Reviewer(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        role=role,
        session_token=secrets.token_hex(16),
    )
    db.session.add(reviewer)
    db.session.flush()
    record_event(
        "account_created",
        actor=actor,
        actor_type="reviewer" if actor else "system",
        data={"reviewer_id": reviewer.id, "email": email, "role": role},
    )
    return reviewer


def bootstrap_admin() -> tuple[str, str] | None:
    """On a database without reviewers, create an admin and return (email, password) once."""
    if db.session.query(Reviewer.id).first() is not None:
        return None
    email = "admin@localhost"
    password = secrets.token_urlsafe(18)
    create_reviewer(email, "Administrator", password, role="admin")
    db.session.commit()
    return email, password
