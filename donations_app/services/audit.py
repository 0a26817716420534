"""The audit trail: every state change adds an event in the same transaction as the change."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from donations_app.extensions import db
from donations_app.models import AuditEvent, Offer, Reviewer


def event_values(
    action: str,
    *,
    offer: Offer | None = None,
    actor: Reviewer | None = None,
    actor_type: str | None = None,
    actor_label: str = "",
    from_status: str | None = None,
    to_status: str | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    visible_to_donor: bool = False,
) -> dict[str, Any]:
    """The columns of an audit event (without its offer)."""
    if actor_type is None:
        actor_type = "reviewer" if actor is not None else "system"
    return {
        "actor_id": actor.id if actor is not None else None,
        "actor_type": actor_type,
        "actor_label": actor_label or (actor.email if actor is not None else ""),
        "action": action,
        "from_status": from_status,
        "to_status": to_status,
        "reason": reason,
        "ruleset_version": offer.ruleset_version if offer is not None else None,
        "data": data or {},
        "visible_to_donor": visible_to_donor,
    }


def record_event(action: str, *, offer: Offer | None = None, **details: Any) -> AuditEvent:
    """Add an audit event to the current transaction; the caller commits it with the change.

    `details` are those of `event_values`: actor, actor_type, actor_label, from_status,
    to_status, reason, data, visible_to_donor."""
    event = AuditEvent(offer=offer, **event_values(action, offer=offer, **details))
    db.session.add(event)
    return event


def insert_event(action: str, *, offer: Offer, **details: Any) -> None:
    """Record an audit event of a stored offer with one INSERT now, in the caller's
    transaction, without adding an object to the session (the write path of a submission)."""
    values = {**event_values(action, offer=offer, **details), "offer_id": offer.id}
    db.session.connection().execute(sa.insert(AuditEvent), values)


@dataclass(frozen=True)
class AuditFilters:
    """What an admin asked of the audit log; every field optional."""

    reference: str = ""
    action: str = ""
    actor: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def search_events(
    filters: AuditFilters, page: int, page_size: int
) -> tuple[list[AuditEvent], bool]:
    """One page of matching events, newest first, and whether another page follows."""
    query = sa.select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    if filters.reference.strip():
        query = query.join(Offer, AuditEvent.offer_id == Offer.id).where(
            Offer.reference == filters.reference.strip().upper()
        )
    if filters.action.strip():
        query = query.where(AuditEvent.action == filters.action.strip())
    if filters.actor.strip():
        query = query.where(AuditEvent.actor_label == filters.actor.strip().lower())
    if filters.date_from:
        start = dt.datetime.combine(filters.date_from, dt.time.min, tzinfo=dt.UTC)
        query = query.where(AuditEvent.created_at >= start)
    if filters.date_to:
        end = dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min, dt.UTC)
        query = query.where(AuditEvent.created_at < end)
    rows = db.session.scalars(query.offset((page - 1) * page_size).limit(page_size + 1)).all()
    return list(rows[:page_size]), len(rows) > page_size


def event_actions() -> list[str]:
    """Every action name the log holds, for the filter's suggestions."""
    return list(
        db.session.scalars(sa.select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    )


def offer_events(offer: Offer, *, donor_visible_only: bool = False) -> list[AuditEvent]:
    """The events of one offer, oldest first (only those the donor may see, if asked)."""
    query = sa.select(AuditEvent).where(AuditEvent.offer_id == offer.id)
    if donor_visible_only:
        query = query.where(AuditEvent.visible_to_donor.is_(True))
    return list(db.session.scalars(query.order_by(AuditEvent.created_at, AuditEvent.id)))
