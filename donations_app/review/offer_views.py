"""The reviewer's offer page and its actions: claim, assign, release, decide, ask or write to the
donor, remind them, stop waiting, move, note.

Views only parse the form and call services.triage; a refused action renders the page again with
the reason (400 bad input, 403 not allowed, 409 wrong status or a concurrent change).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from donations_app.parsing import whole_number
from donations_app.review import bp
from donations_app.review.access import lead_required, reviewer_required
from donations_app.services import conversation, triage
from donations_app.services.attachments import attachments_by_item
from donations_app.services.offer_details import load_offer, offer_details
from donations_app.services.transaction import NotFound

if TYPE_CHECKING:
    from donations_app.models import Offer, Reviewer


def _me() -> Reviewer:
    """The signed-in reviewer itself (not the proxy), for services and the audit trail."""
    return current_user._get_current_object()


def _load_offer(reference: str, *, refresh: bool = False) -> Offer:
    try:
        return load_offer(reference, refresh=refresh)
    except NotFound as error:
        abort(404, str(error))


def render_offer(
    offer: Offer,
    *,
    status: int = 200,
    error: triage.TriageError | None = None,
    form: dict[str, str] | None = None,
) -> tuple[str, int]:
    """The offer page, optionally with a refusal or a conflict message and the typed values."""
    details = offer_details(offer, _me())
    context = {
        "offer": offer,
        "evaluation": details.evaluation,
        "items": details.items,
        "events": details.events,
        "notes": details.notes,
        "queues": details.queues,
        "reviewers": details.reviewers,
        "recheck_notes": details.recheck_notes,
        "item_files": attachments_by_item(offer),
        "can_claim": details.permissions.can_claim,
        "can_decide": details.permissions.can_decide,
        "can_release": details.permissions.can_release,
        "can_move": details.permissions.can_move,
        "can_assign": details.permissions.can_assign,
        "can_message": details.permissions.can_message,
        "can_chase": details.permissions.can_chase,
        "messages": details.messages,
        "unread": details.unread,
        "evaluations": details.evaluations,
        "waiting_since": details.waiting_since,
        "error": error,
        "conflict": error if isinstance(error, triage.TriageConflict) else None,
        "errors": error.errors if error is not None else {},
        "form": form or {},
        "form_has_errors": error is not None,
        "format_time": triage.format_time,
        "reviewer_label": triage.reviewer_label,
    }
    return render_template("review/offer.html", **context), status


def _version(name: str) -> int:
    """A submitted version number; a missing or garbled one is bad input."""
    version = whole_number(request.form.get(name, ""))
    if version is None:
        raise triage.TriageInvalid(
            "The form is missing the version of the offer you saw. Reload the page and try again."
        )
    return version


def _act(reference: str, action: Any, success: str, anchor: str = "") -> Response | tuple[str, int]:
    """Run a triage action; on success flash and redirect, otherwise show the page with why."""
    offer = _load_offer(reference)
    try:
        action(offer)
    except triage.TriageError as error:
        offer = _load_offer(reference, refresh=True)
        return render_offer(offer, status=error.status, error=error, form=request.form.to_dict())
    flash(success, "success")
    return redirect(url_for("review.offer", reference=reference) + anchor)


@bp.get("/offers/<reference>")
@reviewer_required
def offer(reference: str) -> tuple[str, int]:
    """Everything a reviewer needs to decide an offer; opening it reads the donor's messages
    when the viewer is the assignee (or nobody is)."""
    offer = _load_offer(reference)
    page = render_offer(offer)
    if conversation.reads_for_reviewers(offer, _me()):
        conversation.mark_read(offer, "reviewer", actor=_me())
    return page


@bp.post("/offers/<reference>/claim")
@reviewer_required
def offer_claim(reference: str) -> Response | tuple[str, int]:
    """Claim a queued offer."""
    return _act(
        reference,
        lambda offer: triage.claim(offer, _me(), offer_version=_version("offer_version")),
        "You claimed this offer. Decide its items below.",
        "#items",
    )


@bp.post("/offers/<reference>/assign")
@lead_required
def offer_assign(reference: str) -> Response | tuple[str, int]:
    """A lead assigns the offer to a reviewer."""
    assignee = whole_number(request.form.get("assignee", ""))
    return _act(
        reference,
        lambda offer: triage.assign(
            offer,
            _me(),
            assignee,
            offer_version=_version("offer_version"),
        ),
        "The offer is assigned; the reviewer has been e-mailed.",
    )


@bp.post("/offers/<reference>/release")
@reviewer_required
def offer_release(reference: str) -> Response | tuple[str, int]:
    """Give the offer back to its queue."""
    return _act(
        reference,
        lambda offer: triage.release(offer, _me(), offer_version=_version("offer_version")),
        "The offer is back in its queue, unassigned.",
    )


@bp.post("/offers/<reference>/decisions")
@reviewer_required
def offer_decide(reference: str) -> Response | tuple[str, int]:
    """Save the item decisions chosen on the page (unchanged items are left alone)."""

    def decide(offer: Offer) -> None:
        decisions: list[triage.DecisionInput] = []
        seen: dict[int, int] = {}
        for item in offer.items:
            version = whole_number(request.form.get(f"item-{item.id}-version", ""))
            if version is not None:
                seen[item.id] = version
            decision = request.form.get(f"item-{item.id}-decision", "")
            reason = request.form.get(f"item-{item.id}-reason", "")
            if not decision:
                continue
            if item.id not in seen:
                raise triage.TriageInvalid(
                    "The form is missing the version of an item you saw. Reload the page."
                )
            if decision == item.decision and reason.strip() == (item.decision_reason or ""):
                continue
            decisions.append(triage.DecisionInput(item.id, decision, reason, seen[item.id]))
        triage.decide_items(
            offer,
            _me(),
            decisions,
            offer_version=_version("offer_version"),
            seen_items=seen,
        )

    return _act(reference, decide, "Your decisions are saved.", "#items")


@bp.post("/offers/<reference>/request-info")
@reviewer_required
def offer_request_info(reference: str) -> Response | tuple[str, int]:
    """Send the offer back to the donor with a question."""
    return _act(
        reference,
        lambda offer: triage.request_info(
            offer,
            _me(),
            request.form.get("info_message", ""),
            offer_version=_version("offer_version"),
        ),
        "The donor has been e-mailed your question; the offer waits for their answer.",
    )


@bp.post("/offers/<reference>/reroute")
@reviewer_required
def offer_reroute(reference: str) -> Response | tuple[str, int]:
    """Move the offer to another queue with a reason."""
    return _act(
        reference,
        lambda offer: triage.reroute(
            offer,
            _me(),
            request.form.get("queue", ""),
            request.form.get("reroute_reason", ""),
            offer_version=_version("offer_version"),
        ),
        "The offer has moved to the other queue.",
    )


@bp.post("/offers/<reference>/notes")
@reviewer_required
def offer_add_note(reference: str) -> Response | tuple[str, int]:
    """Add an internal note."""
    return _act(
        reference,
        lambda offer: triage.add_note(offer, _me(), request.form.get("note_body", "")),
        "Your note is added.",
        "#notes",
    )


@bp.post("/offers/<reference>/messages")
@reviewer_required
def offer_message(reference: str) -> Response | tuple[str, int]:
    """Write to the donor without changing the offer's status."""
    return _act(
        reference,
        lambda offer: triage.message_donor(
            offer,
            _me(),
            request.form.get("info_message", ""),
            offer_version=_version("offer_version"),
        ),
        "Your message is sent; the donor has been e-mailed.",
        "#conversation",
    )


@bp.post("/offers/<reference>/remind")
@reviewer_required
def offer_remind(reference: str) -> Response | tuple[str, int]:
    """Remind the donor of the open question."""
    return _act(
        reference,
        lambda offer: triage.remind_donor(offer, _me(), offer_version=_version("offer_version")),
        "The donor has been reminded by e-mail.",
        "#conversation",
    )


@bp.post("/offers/<reference>/stop-waiting")
@reviewer_required
def offer_stop_waiting(reference: str) -> Response | tuple[str, int]:
    """Stop waiting for the donor: back to review (with the assignee) or to the queue."""
    return _act(
        reference,
        lambda offer: triage.stop_waiting(
            offer,
            _me(),
            request.form.get("stop_reason", ""),
            offer_version=_version("offer_version"),
        ),
        "The offer no longer waits for the donor.",
    )
