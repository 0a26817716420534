"""The audit trail: every state change adds an event in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from donations_app.extensions import db
from donations_app.models import AuditEvent, Offer, Reviewer


def record_event(
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
) -> AuditEvent:
    """Add an audit event to the current transaction; the caller commits it with the change."""
    if actor_type is None:
        actor_type = "reviewer" if actor is not None else "system"
    event = AuditEvent(
        offer=offer,
        actor_id=actor.id if actor is not None else None,
        actor_type=actor_type,
        actor_label=actor_label or (actor.email if actor is not None else ""),
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        ruleset_version=offer.ruleset_version if offer is not None else None,
        data=data or {},
        visible_to_donor=visible_to_donor,
    )
    db.session.add(event)
    return event
