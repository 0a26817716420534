"""Reviewer triage: claim, assign, release, decide items, ask or write to the donor, remind,
stop waiting, reroute, add notes.

Each public function is one transaction: it checks the version of the offer (and items) the
reviewer saw, changes the rows, writes the audit trail and queues the e-mail, then commits. A stale
version, or a concurrent commit caught by SQLAlchemy's version counter (StaleDataError), writes
nothing of the late change; a separate small transaction then audits the refused attempt.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from donations_app.clock import utcnow
from donations_app.extensions import db
from donations_app.labels import readable, status_label
from donations_app.links import external_url
from donations_app.models import AuditEvent, Item, ItemDecision, Note, Offer, Reviewer
from donations_app.models.vocabulary import ITEM_DECISIONS
from donations_app.services.audit import record_event
from donations_app.services.conversation import add_message, open_questions
from donations_app.services.notify import enqueue_mail
from donations_app.services.offers import status_url
from donations_app.services.queues import queue_by_slug
from donations_app.services.workflow import TransitionError, decided_status, transition
from donations_app.text import TextProblem, clean_text

MAX_REASON_LENGTH = 2000
MAX_NOTE_LENGTH = 5000


class TriageError(Exception):
    """An action refused because of the offer's state (HTTP 409); nothing was written."""

    status = 409

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class TriageRefused(TriageError):
    """The reviewer may not take this action on this offer (HTTP 403)."""

    status = 403


class TriageInvalid(TriageError):
    """The submitted values are not acceptable; `errors` maps form fields to messages (HTTP 400)."""

    status = 400


class TriageConflict(TriageError):
    """Someone changed the offer since the reviewer loaded it; `changes` says what changed."""

    def __init__(self, message: str, changes: list[str], unsaved: list[str]) -> None:
        super().__init__(message)
        self.changes = changes
        self.unsaved = unsaved


@dataclass(frozen=True)
class DecisionInput:
    """One item decision as a reviewer submitted it, with the item version they saw."""

    item_id: int
    decision: str
    reason: str
    item_version: int


@dataclass(frozen=True)
class Permissions:
    """What a reviewer may do with an offer right now (the services enforce the same rules)."""

    can_claim: bool
    can_decide: bool
    can_release: bool
    can_move: bool
    can_assign: bool
    can_message: bool
    can_chase: bool


def works_queue(offer: Offer, actor: Reviewer) -> bool:
    """True when the actor may pick up work in the offer's queue: a member of it, or a lead."""
    return actor.is_lead or any(queue.id == offer.queue_id for queue in actor.queues)


def permissions(offer: Offer, actor: Reviewer) -> Permissions:
    """The actions open to `actor` on `offer` in its current status."""
    owns = offer.assignee_id == actor.id or actor.is_lead
    in_review = offer.status == "in_review"
    queued = offer.status == "queued" and works_queue(offer, actor)
    waiting = (
        offer.status == "needs_info" and offer.queue_id is not None and _handles_wait(offer, actor)
    )
    return Permissions(
        can_claim=queued,
        can_decide=in_review and owns,
        can_release=in_review and owns,
        can_move=queued or (in_review and owns),
        can_assign=actor.is_lead and offer.status in ("queued", "in_review"),
        can_message=queued or (in_review and owns) or waiting,
        can_chase=waiting,
    )


def _handles_wait(offer: Offer, actor: Reviewer) -> bool:
    """Who deals with an offer waiting for the donor: its assignee (kept when asking) or a lead;
    without an assignee, the members of its queue."""
    if offer.assignee_id is not None:
        return offer.assignee_id == actor.id or actor.is_lead
    return works_queue(offer, actor)


def reviewer_label(reviewer: Reviewer | None) -> str:
    """How a reviewer is named on pages and in conflict messages."""
    if reviewer is None:
        return "nobody"
    return f"{reviewer.name} ({reviewer.email})"


def format_time(moment: dt.datetime | None) -> str:
    """A timestamp as reviewers read it: UTC, to the second."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else ""


def offer_link(offer: Offer) -> str:
    """The absolute link to the reviewer's offer page."""
    return external_url("review.offer", reference=offer.reference)


def claim(offer: Offer, actor: Reviewer, *, offer_version: int) -> None:
    """Take a queued offer for review: status in_review, assignee the actor."""

    def change() -> None:
        _require_status(offer, ("queued",), "Only a queued offer can be claimed.")
        _require_queue_member(offer, actor, "claim")
        offer.assignee_id = actor.id
        transition(offer, "in_review", action="claimed", actor=actor, visible_to_donor=True)

    _run("claim", offer, actor, offer_version, change)


def assign(offer: Offer, actor: Reviewer, assignee_id: int | None, *, offer_version: int) -> None:
    """A lead gives the offer to a reviewer, who is e-mailed; a queued offer goes in_review."""
    if not actor.is_lead:
        raise TriageRefused("Only a lead can assign offers to reviewers.")
    assignee = db.session.get(Reviewer, assignee_id) if assignee_id else None
    if assignee is None or not assignee.active:
        raise TriageInvalid(
            "Choose an active reviewer to assign.", {"assignee": "Choose an active reviewer."}
        )

    def change() -> None:
        _require_status(
            offer, ("queued", "in_review"), "Only a queued or claimed offer can be assigned."
        )
        if offer.assignee_id == assignee.id:
            raise TriageInvalid(
                f"{reviewer_label(assignee)} already has this offer.",
                {"assignee": "Choose a different reviewer."},
            )
        previous = offer.assignee
        offer.assignee_id = assignee.id
        transition(
            offer,
            "in_review",
            action="assigned",
            actor=actor,
            data={
                "assignee_id": assignee.id,
                "assignee": assignee.email,
                "previous_assignee": previous.email if previous else None,
            },
            visible_to_donor=False,
        )
        if assignee.id != actor.id:
            enqueue_mail(
                "reviewer_assigned",
                assignee.email,
                "reviewer_assigned",
                offer=offer,
                reviewer=assignee,
                assigned_by=actor,
                offer_link=offer_link(offer),
            )

    _run("assign", offer, actor, offer_version, change)


def release(offer: Offer, actor: Reviewer, *, offer_version: int) -> None:
    """Give a claimed offer back to its queue (the assignee or a lead)."""

    def change() -> None:
        _require_status(offer, ("in_review",), "Only an offer in review can be released.")
        _require_assignee_or_lead(offer, actor, "release")
        previous = offer.assignee
        offer.assignee_id = None
        transition(
            offer,
            "queued",
            action="released",
            actor=actor,
            data={"previous_assignee": previous.email if previous else None},
            visible_to_donor=False,
        )

    _run("release", offer, actor, offer_version, change)


def decide_item(
    offer: Offer,
    actor: Reviewer,
    item_id: int,
    decision: str,
    reason: str = "",
    *,
    offer_version: int,
    item_version: int,
) -> None:
    """Approve or decline one item (see decide_items)."""
    decide_items(
        offer,
        actor,
        [DecisionInput(item_id, decision, reason, item_version)],
        offer_version=offer_version,
    )


def decide_items(
    offer: Offer,
    actor: Reviewer,
    decisions: Iterable[DecisionInput],
    *,
    offer_version: int,
    seen_items: dict[int, int] | None = None,
) -> None:
    """Record item decisions; when every reviewable item is decided the offer status follows.

    `seen_items` (item id -> version shown) lets a conflict message name every item that changed.
    """
    decisions = list(decisions)
    items = {item.id: item for item in offer.items}
    _check_decisions(items, decisions)
    seen = dict(seen_items or {}) | {d.item_id: d.item_version for d in decisions}
    unsaved = [
        f"Item {items[d.item_id].position + 1}: {d.decision}"
        + (f" ({d.reason.strip()})" if d.reason.strip() else "")
        for d in decisions
    ]

    def change() -> None:
        _require_status(
            offer,
            ("in_review",),
            "Claim the offer before deciding its items (it is not in review).",
        )
        _require_assignee_or_lead(offer, actor, "decide items of")
        for submitted in decisions:
            item = items[submitted.item_id]
            if item.version != submitted.item_version:
                raise _StaleVersion
            _apply_decision(offer, item, actor, submitted)
        # Touch the offer so that two decisions on one offer serialize on its version counter.
        offer.updated_at = utcnow()
        reviewable = [item for item in offer.items if item.outcome != "reject"]
        status = decided_status([item.decision for item in reviewable])
        if status is not None:
            transition(offer, status, action="decided", actor=actor, visible_to_donor=True)
            enqueue_mail(
                "item_decisions",
                offer.contact_email,
                "item_decisions",
                offer=offer,
                items=offer.items,
                status_link=status_url(offer),
            )

    _run("decision", offer, actor, offer_version, change, seen_items=seen, unsaved=unsaved)


def request_info(offer: Offer, actor: Reviewer, message: str, *, offer_version: int) -> None:
    """Ask the donor a question: status needs_info, the question in the thread and an e-mail
    with the status link. The assignee stays, and hears of the donor's reply."""
    message = _typed(message, "info_message", MAX_REASON_LENGTH, "the question", "not sent")
    if not message:
        raise TriageInvalid(
            "Write what the donor needs to send.",
            {"info_message": "Enter the question for the donor."},
        )

    def change() -> None:
        _require_status(
            offer,
            ("queued", "in_review"),
            "Only a queued or claimed offer can go back to the donor.",
        )
        _require_handler(offer, actor, "request information on")
        transition(
            offer,
            "needs_info",
            action="info_requested",
            actor=actor,
            reason=message,
            data={"assignee": offer.assignee.email if offer.assignee else None},
            visible_to_donor=True,
        )
        add_message(offer, "question", message, author=actor)
        enqueue_mail(
            "info_requested",
            offer.contact_email,
            "info_requested",
            offer=offer,
            message=message,
            correctable=[item for item in offer.items if item.decision is None],
            status_link=status_url(offer),
        )

    _run("info_request", offer, actor, offer_version, change)


def message_donor(offer: Offer, actor: Reviewer, body: str, *, offer_version: int) -> None:
    """Write to the donor without changing the offer's status; the donor is e-mailed."""
    body = _typed(body, "info_message", MAX_REASON_LENGTH, "the message", "not sent")
    if not body:
        raise TriageInvalid(
            "The message is empty.", {"info_message": "Enter the message for the donor."}
        )

    def change() -> None:
        if not permissions(offer, actor).can_message:
            _require_status(
                offer,
                ("queued", "in_review", "needs_info"),
                "Only an open offer can get a message.",
            )
            raise TriageRefused(
                "Only the assigned reviewer, a member of the offer's queue or a lead can write "
                "to this donor."
            )
        add_message(offer, "message", body, author=actor)
        record_event("message_sent", offer=offer, actor=actor, data={"length": len(body)})
        # Touch the offer so that a concurrent change and this message serialize.
        offer.updated_at = utcnow()
        enqueue_mail(
            "reviewer_message",
            offer.contact_email,
            "reviewer_message",
            offer=offer,
            message=body,
            status_link=status_url(offer),
        )

    _run("message", offer, actor, offer_version, change)


def remind_donor(offer: Offer, actor: Reviewer, *, offer_version: int) -> None:
    """Remind the donor of the open questions of an offer waiting for them (e-mailed again)."""

    def change() -> None:
        _require_waiting(offer, actor, "remind the donor of")
        questions = [question.body for question in open_questions(offer)]
        if not questions:
            raise TriageError("There is no open question to remind the donor of.")
        add_message(
            offer,
            "reminder",
            "Reminder: we are still waiting for your answer to our question.",
            author=actor,
        )
        record_event(
            "info_reminder_sent",
            offer=offer,
            actor=actor,
            data={"questions": len(questions)},
            visible_to_donor=True,
        )
        offer.updated_at = utcnow()
        enqueue_mail(
            "info_reminder",
            offer.contact_email,
            "info_reminder",
            offer=offer,
            questions=questions,
            correctable=[item for item in offer.items if item.decision is None],
            status_link=status_url(offer),
        )

    _run("reminder", offer, actor, offer_version, change)


def stop_waiting(offer: Offer, actor: Reviewer, reason: str, *, offer_version: int) -> None:
    """Stop waiting for the donor: the offer goes back to review with its assignee, or to its
    queue without one. The reason is required; the donor reads it."""
    reason = _typed(reason, "stop_reason", MAX_REASON_LENGTH, "the reason", "not saved")
    if not reason:
        raise TriageInvalid(
            "The offer still waits for the donor.",
            {"stop_reason": "Enter why you stop waiting; the donor reads it."},
        )

    def change() -> None:
        _require_waiting(offer, actor, "stop waiting on")
        transition(
            offer,
            "in_review" if offer.assignee_id is not None else "queued",
            action="info_wait_ended",
            actor=actor,
            reason=reason,
            data={"assignee": offer.assignee.email if offer.assignee else None},
            visible_to_donor=True,
        )
        add_message(offer, "message", reason, author=actor)

    _run("stop_waiting", offer, actor, offer_version, change)


def reroute(
    offer: Offer, actor: Reviewer, queue_slug: str, reason: str, *, offer_version: int
) -> None:
    """Move the offer to another queue with a reason; it waits there unclaimed."""
    reason = _typed(reason, "reroute_reason", MAX_REASON_LENGTH, "the reason", "not moved")
    errors: dict[str, str] = {}
    queue = queue_by_slug(queue_slug or "")
    if queue is None:
        errors["queue"] = "Choose the queue to move the offer to."
    elif queue.id == offer.queue_id:
        errors["queue"] = "The offer is already in this queue; choose another one."
    if not reason:
        errors["reroute_reason"] = "Enter why the offer moves to another queue."
    if errors:
        raise TriageInvalid("The offer was not moved.", errors)
    assert queue is not None

    def change() -> None:
        _require_status(
            offer, ("queued", "in_review"), "Only a queued or claimed offer can be moved."
        )
        _require_handler(offer, actor, "move")
        previous_queue = offer.queue
        previous_assignee = offer.assignee
        offer.queue_id = queue.id
        offer.assignee_id = None
        transition(
            offer,
            "queued",
            action="rerouted",
            actor=actor,
            reason=reason,
            data={
                "from_queue": previous_queue.slug if previous_queue else None,
                "to_queue": queue.slug,
                "previous_assignee": previous_assignee.email if previous_assignee else None,
            },
            visible_to_donor=False,
        )

    _run("reroute", offer, actor, offer_version, change)


def add_note(offer: Offer, actor: Reviewer, body: str) -> Note:
    """Add an internal note (INL staff only); notes are append-only, so no version applies."""
    body = _typed(body, "note_body", MAX_NOTE_LENGTH, "the note", "not added")
    if not body:
        raise TriageInvalid("The note is empty.", {"note_body": "Enter the note."})
    note = Note(offer_id=offer.id, author_id=actor.id, body=body)
    db.session.add(note)
    record_event("note_added", offer=offer, actor=actor, data={"length": len(body)})
    db.session.commit()
    return note


def describe_changes(offer: Offer, seen_items: dict[int, int] | None = None) -> list[str]:
    """Sentences saying what is true now: decisions on items the reviewer saw differently, the
    offer's status and assignee, and the latest recorded change."""
    changes: list[str] = []
    for item in offer.items:
        seen = (seen_items or {}).get(item.id)
        if seen is None or seen == item.version:
            continue
        if item.decision:
            decider = db.session.get(Reviewer, item.decided_by_id) if item.decided_by_id else None
            changes.append(
                f"Item {item.position + 1} ({item.description}) was {item.decision} by "
                f"{reviewer_label(decider)} at {format_time(item.decided_at)}"
                + (f": {item.decision_reason}" if item.decision_reason else "")
                + "."
            )
        else:
            changes.append(f"Item {item.position + 1} ({item.description}) changed.")
    changes.append(
        f"The offer is now {status_label(offer.status)}, in queue "
        f"{offer.queue.name if offer.queue else 'none'}, assigned to "
        f"{reviewer_label(offer.assignee)}."
    )
    latest = db.session.scalars(
        sa.select(AuditEvent)
        .filter(AuditEvent.offer_id == offer.id, ~AuditEvent.action.like("%conflict"))
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    if latest is not None:
        changes.append(
            f"Latest change: {readable(latest.action)} by "
            f"{latest.actor_label or latest.actor_type} at {format_time(latest.created_at)}."
        )
    return changes


class _StaleVersion(Exception):
    """An item version the reviewer saw is no longer current."""


def _run(
    action: str,
    offer: Offer,
    actor: Reviewer,
    offer_version: int,
    change: Callable[[], None],
    *,
    seen_items: dict[int, int] | None = None,
    unsaved: list[str] | None = None,
) -> None:
    """Check the version the reviewer saw, apply `change` and commit; audit a conflict instead."""
    try:
        if offer.version != offer_version:
            raise _StaleVersion
        change()
        db.session.commit()
    except (_StaleVersion, StaleDataError):
        db.session.rollback()
        _record_conflict(action, offer, actor, offer_version, seen_items, unsaved or [])
    except TriageError:
        db.session.rollback()
        raise
    except TransitionError as error:
        db.session.rollback()
        raise TriageError(str(error)) from error


def _record_conflict(
    action: str,
    offer: Offer,
    actor: Reviewer,
    offer_version: int,
    seen_items: dict[int, int] | None,
    unsaved: list[str],
) -> None:
    """Audit the refused late change in its own transaction, then raise TriageConflict."""
    db.session.refresh(offer)
    changes = describe_changes(offer, seen_items)
    record_event(
        f"{action}_conflict",
        offer=offer,
        actor=actor,
        reason="Refused: the offer changed since the reviewer loaded it.",
        data={
            "submitted_offer_version": offer_version,
            "current_offer_version": offer.version,
            "submitted_item_versions": {str(k): v for k, v in (seen_items or {}).items()},
            "not_saved": unsaved,
        },
    )
    db.session.commit()
    raise TriageConflict(
        "Someone changed this offer after you opened it, so your change was not saved.",
        changes,
        unsaved,
    )


def _check_decisions(items: dict[int, Item], decisions: list[DecisionInput]) -> None:
    """Field-level validation of submitted decisions (before any version check)."""
    if not decisions:
        raise TriageInvalid(
            "Choose approve or decline for at least one item.",
            {"decisions": "Choose approve or decline for at least one item."},
        )
    errors: dict[str, str] = {}
    for submitted in decisions:
        item = items.get(submitted.item_id)
        if item is None:
            raise TriageInvalid("That item is not part of this offer.")
        field = f"item-{item.id}"
        if item.outcome == "reject":
            errors[f"{field}-decision"] = (
                f"Item {item.position + 1} was rejected by the guidelines and cannot be decided."
            )
        elif submitted.decision not in ITEM_DECISIONS:
            errors[f"{field}-decision"] = f"Choose approve or decline for item {item.position + 1}."
        elif problem := _text_problem(submitted.reason, MAX_REASON_LENGTH, "the reason"):
            errors[f"{field}-reason"] = problem
        elif submitted.decision == "declined" and not submitted.reason.strip():
            errors[f"{field}-reason"] = (
                f"Enter the reason for declining item {item.position + 1}; the donor reads it."
            )
    if errors:
        raise TriageInvalid("The decisions were not saved.", errors)


def _apply_decision(offer: Offer, item: Item, actor: Reviewer, submitted: DecisionInput) -> None:
    now = utcnow()
    reason = clean_text(submitted.reason, multiline=True)
    previous = item.decision
    item.decision = submitted.decision
    item.decision_reason = reason or None
    item.decided_by_id = actor.id
    item.decided_at = now
    db.session.add(
        ItemDecision(
            item_id=item.id,
            reviewer_id=actor.id,
            decision=submitted.decision,
            reason=reason,
            created_at=now,
        )
    )
    record_event(
        "item_decided",
        offer=offer,
        actor=actor,
        reason=reason,
        data={
            "item_id": item.id,
            "item_position": item.position,
            "decision": submitted.decision,
            "previous_decision": previous,
        },
        visible_to_donor=True,
    )


def _text_problem(value: str, max_length: int, what: str) -> str | None:
    try:
        clean_text(value, multiline=True, max_length=max_length, what=what)
    except TextProblem as problem:
        return str(problem)
    return None


def _typed(value: str | None, field: str, max_length: int, what: str, outcome: str) -> str:
    """Typed text by the one free-text rule; TriageInvalid naming `field` if it breaks it."""
    try:
        return clean_text(value, multiline=True, max_length=max_length, what=what)
    except TextProblem as problem:
        raise TriageInvalid(f"{what.capitalize()} was {outcome}.", {field: str(problem)}) from None


def _require_status(offer: Offer, statuses: tuple[str, ...], message: str) -> None:
    if offer.status not in statuses:
        raise TriageError(f"{message} It is {status_label(offer.status)}.")


def _require_waiting(offer: Offer, actor: Reviewer, verb: str) -> None:
    """The offer waits for the donor after a reviewer's question, and the actor handles it."""
    _require_status(offer, ("needs_info",), "Only an offer waiting for the donor can do that.")
    if offer.queue_id is None:
        raise TriageError(
            "The guidelines sent this offer to the donor; it reaches a queue when they answer."
        )
    if not _handles_wait(offer, actor):
        raise TriageRefused(
            f"Only the assigned reviewer ({reviewer_label(offer.assignee)}), a member of the "
            f"offer's queue when nobody is assigned, or a lead can {verb} this offer."
        )


def _require_handler(offer: Offer, actor: Reviewer, verb: str) -> None:
    """In review: the assignee or a lead; queued: a member of the queue or a lead."""
    if offer.status == "in_review":
        _require_assignee_or_lead(offer, actor, verb)
    else:
        _require_queue_member(offer, actor, verb)


def _require_queue_member(offer: Offer, actor: Reviewer, verb: str) -> None:
    if not works_queue(offer, actor):
        queue = offer.queue.name if offer.queue is not None else "no"
        raise TriageRefused(
            f"Only members of the {queue} queue or a lead can {verb} this offer. "
            "An admin can add you to the queue."
        )


def _require_assignee_or_lead(offer: Offer, actor: Reviewer, verb: str) -> None:
    if offer.assignee_id != actor.id and not actor.is_lead:
        owner = reviewer_label(offer.assignee)
        raise TriageRefused(
            f"Only the assigned reviewer ({owner}) or a lead can {verb} this offer."
        )
