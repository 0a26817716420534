"""The offer status machine (docs/workflow.md): which transitions exist, each one audited."""

from __future__ import annotations

from typing import Any

from donations_app.labels import status_label
from donations_app.models import Offer, Reviewer, utcnow
from donations_app.models.vocabulary import FINAL_STATUSES
from donations_app.services.audit import record_event
from donations_app.services.transaction import ServiceError

# from-status -> the statuses it may move to. `queued -> queued` is a reroute to another queue.
TRANSITIONS: dict[str, frozenset[str]] = {
    "needs_info": frozenset({"needs_info", "queued", "in_review", "rejected", "withdrawn"}),
    "queued": frozenset({"queued", "in_review", "needs_info", "withdrawn"}),
    "in_review": frozenset(
        {
            "queued",
            "in_review",
            "needs_info",
            "approved",
            "partially_approved",
            "declined",
            "withdrawn",
        }
    ),
}
DECIDED_STATUSES = ("approved", "partially_approved", "declined")


class TransitionError(ServiceError, ValueError):
    """The offer cannot move to that status from the one it is in (the message says why)."""


def can_transition(offer: Offer, to_status: str) -> bool:
    """True when the status machine allows the move."""
    return to_status in TRANSITIONS.get(offer.status, frozenset())


def transition(
    offer: Offer,
    to_status: str,
    *,
    action: str,
    actor: Reviewer | None = None,
    actor_type: str | None = None,
    actor_label: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
    visible_to_donor: bool = True,
) -> None:
    """Move the offer to `to_status` and audit it in the caller's transaction."""
    from_status = offer.status
    if not can_transition(offer, to_status):
        if from_status in FINAL_STATUSES:
            raise TransitionError(f"This offer is already {status_label(from_status)}.")
        raise TransitionError(
            f"An offer that is {status_label(from_status)} cannot become {status_label(to_status)}."
        )
    offer.status = to_status
    if to_status in DECIDED_STATUSES:
        offer.decided_at = utcnow()
    record_event(
        action,
        offer=offer,
        actor=actor,
        actor_type=actor_type,
        actor_label=actor_label,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        data=data,
        visible_to_donor=visible_to_donor,
    )


def decided_status(item_decisions: list[str | None]) -> str | None:
    """The offer status once every reviewable item has a decision, or None while some are open."""
    if not item_decisions or any(decision is None for decision in item_decisions):
        return None
    if all(decision == "approved" for decision in item_decisions):
        return "approved"
    if all(decision == "declined" for decision in item_decisions):
        return "declined"
    return "partially_approved"
