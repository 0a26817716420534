"""Saved, unsubmitted offer forms: keep every answer server-side, resume through a signed link."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.exceptions import RequestEntityTooLarge

from donations_app.extensions import db
from donations_app.models import Draft, Offer, utcnow
from donations_app.ratelimits import hit_draft_email_address_limit
from donations_app.text import without_forbidden

_SALT = "offer-draft-link"


def lifetime() -> dt.timedelta:
    """How long a draft (and its resume link) stays valid."""
    return dt.timedelta(days=current_app.config["DRAFT_LIFETIME_DAYS"])


def clean_answers(value: Any) -> Any:
    """A copy of the answers without forbidden characters, safe to store as JSON on any database."""
    if isinstance(value, str):
        return without_forbidden(value)
    if isinstance(value, dict):
        return {str(key): clean_answers(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [clean_answers(item) for item in value]
    return value


class DraftTooLarge(RequestEntityTooLarge):
    """The answers are larger than DRAFT_MAX_BYTES; nothing was stored (answered as 413)."""


def store_answers(answers: dict[str, Any], draft: Draft | None = None) -> Draft:
    """Create or update a draft with the form's answers and commit it; DraftTooLarge if too big."""
    cleaned = clean_answers(answers)
    size = len(json.dumps(cleaned, ensure_ascii=False, default=str).encode())
    if size > current_app.config["DRAFT_MAX_BYTES"]:
        raise DraftTooLarge()
    if draft is None or draft.submitted_offer_id is not None or is_expired(draft):
        draft = Draft(email="", data={})
        db.session.add(draft)
    draft.data = cleaned
    draft.expires_at = utcnow() + lifetime()
    db.session.commit()
    return draft


def find_draft(public_id: str | None) -> Draft | None:
    """The unexpired, unsubmitted draft with this id, or None."""
    if not public_id:
        return None
    draft = db.session.query(Draft).filter_by(public_id=public_id).one_or_none()
    if draft is None or draft.submitted_offer_id is not None or is_expired(draft):
        return None
    return draft


def is_expired(draft: Draft) -> bool:
    """True once the draft's lifetime has passed."""
    return draft.expires_at <= utcnow()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def resume_token(draft: Draft) -> str:
    """The signed token of the draft's private resume link."""
    return _serializer().dumps(draft.public_id)


def draft_from_token(token: str) -> Draft | None:
    """The draft a resume token names, or None when it is forged, expired or already submitted."""
    try:
        public_id = _serializer().loads(token, max_age=int(lifetime().total_seconds()))
    except BadSignature:
        return None
    return find_draft(public_id) if isinstance(public_id, str) else None


def submitted_offer(public_id: str | None) -> Offer | None:
    """The offer a draft with this id was already submitted as, or None."""
    if not public_id:
        return None
    return db.session.scalar(
        sa.select(Offer)
        .join(Draft, Draft.submitted_offer_id == Offer.id)
        .where(Draft.public_id == public_id)
    )


def send_resume_link(draft: Draft, email: str, link: str) -> None:
    """Remember the author's e-mail and queue the private resume link to it, in one commit.

    The mail is fixed wording, the link and its expiry: nothing the sender typed, so the
    service's sender cannot relay a stranger's text. TooManyRequests past the address's limit.
    """
    from donations_app.services.notify import enqueue_mail

    hit_draft_email_address_limit(email)
    draft.email = email
    draft.expires_at = utcnow() + lifetime()
    enqueue_mail(
        "draft_link",
        email,
        "draft_link",
        link=link,
        expires_on=draft.expires_at.date().isoformat(),
    )
    db.session.commit()


def purge_expired() -> int:
    """Delete every draft whose lifetime ended, with an audit event, in one transaction.

    A draft expires DRAFT_LIFETIME_DAYS after it was last saved; one saved longer ago than the
    current setting goes too, so shortening the lifetime takes effect at the next purge.
    Returns how many were deleted.
    """
    from donations_app.services.audit import record_event

    cutoff = utcnow()
    try:
        result = db.session.execute(
            sa.delete(Draft)
            .where(sa.or_(Draft.expires_at <= cutoff, Draft.updated_at <= cutoff - lifetime()))
            .execution_options(synchronize_session=False)
        )
        # A DELETE answers a CursorResult, which counts rows; Session.execute is typed as Result.
        deleted = cast(sa.CursorResult, result).rowcount
        record_event(
            "drafts_purged",
            actor_type="system",
            data={"deleted": deleted, "lifetime_days": lifetime().days},
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return deleted
