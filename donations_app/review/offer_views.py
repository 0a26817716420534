"""The reviewer's offer page and its actions: claim, assign, release, decide, ask, move, note.

Views only parse the form and call services.triage; a refused action renders the page again with
the reason (400 bad input, 403 not allowed, 409 wrong status or a concurrent change).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from donations_app.extensions import db
from donations_app.labels import readable
from donations_app.models import AuditEvent, Finding, Item, Note, Offer, Queue, Reviewer
from donations_app.parsing import whole_number
from donations_app.review import bp
from donations_app.review.access import lead_required, reviewer_required
from donations_app.services import triage
from donations_app.services.rules import active_ruleset


def _me() -> Reviewer:
    """The signed-in reviewer itself (not the proxy), for services and the audit trail."""
    return current_user._get_current_object()


def _load_offer(reference: str) -> Offer:
    offer = db.session.scalar(
        sa.select(Offer)
        .filter_by(reference=reference)
        .options(selectinload(Offer.items), selectinload(Offer.evaluations))
    )
    if offer is None:
        abort(404, "There is no offer with that reference.")
    return offer


def _field_value(catalog: Any, name: str, value: Any) -> str:
    """A stored item value as a reviewer reads it."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "None given"
    try:
        return catalog.field(name).label_of(value)
    except KeyError:
        return str(value)


def _field_label(catalog: Any, name: str) -> str:
    try:
        return catalog.field(name).label
    except KeyError:
        return readable(name).capitalize()


def render_offer(
    offer: Offer,
    *,
    status: int = 200,
    error: triage.TriageError | None = None,
    form: dict[str, str] | None = None,
) -> tuple[str, int]:
    """The offer page, optionally with a refusal or a conflict message and the typed values."""
    catalog = active_ruleset().catalog
    evaluation = offer.latest_evaluation
    findings: dict[int, list[Finding]] = {}
    if evaluation is not None:
        for finding in evaluation.findings:
            findings.setdefault(finding.item_id, []).append(finding)
    deciders = {
        r.id: r
        for r in db.session.scalars(
            sa.select(Reviewer).filter(
                Reviewer.id.in_({i.decided_by_id for i in offer.items if i.decided_by_id})
            )
        )
    }
    items = [
        {
            "item": item,
            "fields": [
                (_field_label(catalog, name), _field_value(catalog, name, getattr(item, name)))
                for name in Item.FIELDS
                if name != "category" and getattr(item, name) not in (None, [])
            ],
            "findings": [
                {
                    "finding": finding,
                    "values": [
                        (_field_label(catalog, name), value)
                        for name, value in (finding.values or {}).items()
                    ],
                }
                for finding in findings.get(item.id, [])
            ],
            "decided_by": deciders.get(item.decided_by_id),
            "decidable": item.outcome != "reject",
        }
        for item in offer.items
    ]
    is_assignee = offer.assignee_id == current_user.id
    context = {
        "offer": offer,
        "evaluation": evaluation,
        "items": items,
        "events": db.session.scalars(
            sa.select(AuditEvent).filter_by(offer_id=offer.id).order_by(AuditEvent.id)
        ).all(),
        "notes": db.session.scalars(
            sa.select(Note)
            .filter_by(offer_id=offer.id)
            .options(selectinload(Note.author))
            .order_by(Note.id)
        ).all(),
        "queues": db.session.scalars(sa.select(Queue).order_by(Queue.position, Queue.name)).all(),
        "reviewers": db.session.scalars(
            sa.select(Reviewer).filter_by(active=True).order_by(Reviewer.name)
        ).all()
        if current_user.is_lead
        else [],
        "can_decide": offer.status == "in_review" and (is_assignee or current_user.is_lead),
        "can_release": offer.status == "in_review" and (is_assignee or current_user.is_lead),
        "can_move": offer.status == "queued"
        or (offer.status == "in_review" and (is_assignee or current_user.is_lead)),
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
        db.session.expire_all()
        offer = _load_offer(reference)
        return render_offer(offer, status=error.status, error=error, form=request.form.to_dict())
    flash(success, "success")
    return redirect(url_for("review.offer", reference=reference) + anchor)


@bp.get("/offers/<reference>")
@reviewer_required
def offer(reference: str) -> tuple[str, int]:
    """Everything a reviewer needs to decide an offer."""
    return render_offer(_load_offer(reference))


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
