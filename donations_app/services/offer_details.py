"""Everything the reviewer's offer page shows: items with their findings and decisions, what the
viewer may do, the conversation with the donor, the evaluation history, notes, the timeline, and
the queues and reviewers to choose from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from donations_app.extensions import db
from donations_app.guidelines import Catalog
from donations_app.labels import outcome_label, readable
from donations_app.models import (
    AuditEvent,
    Evaluation,
    Item,
    Message,
    Note,
    Offer,
    Queue,
    Reviewer,
)
from donations_app.services import accounts, conversation, triage
from donations_app.services.audit import offer_events
from donations_app.services.offer_body import item_line
from donations_app.services.queues import all_queues, queue_by_slug
from donations_app.services.rules import active_ruleset
from donations_app.services.transaction import NotFound


@dataclass(frozen=True)
class FindingDetails:
    """A stored finding and the values its condition read, labelled for a reader."""

    finding: Any
    values: list[tuple[str, Any]]


@dataclass(frozen=True)
class ItemDetails:
    """One item line as the reviewer reads it."""

    item: Item
    fields: list[tuple[str, str]]
    findings: list[FindingDetails]
    decided_by: Reviewer | None
    decidable: bool


@dataclass(frozen=True)
class OfferDetails:
    """The offer page's data for one viewer."""

    offer: Offer
    evaluation: Evaluation | None
    items: list[ItemDetails]
    events: list[AuditEvent]
    notes: list[Note]
    queues: list[Queue]
    reviewers: list[Reviewer]
    permissions: triage.Permissions
    recheck_notes: list[str]
    messages: list[Message]
    unread: set[int]
    evaluations: list[Evaluation]
    waiting_since: Any


def load_offer(reference: str, *, refresh: bool = False) -> Offer:
    """The offer with this reference and its items; NotFound when there is none.

    `refresh` reloads rows this session already holds (after a refused or conflicting change).
    """
    query = (
        sa.select(Offer)
        .filter_by(reference=reference)
        .options(selectinload(Offer.items), selectinload(Offer.evaluations))
    )
    if refresh:
        query = query.execution_options(populate_existing=True)
    offer = db.session.scalar(query)
    if offer is None:
        raise NotFound("There is no offer with that reference.")
    return offer


def offer_details(offer: Offer, viewer: Reviewer) -> OfferDetails:
    """What `viewer` sees of the offer and may do with it."""
    catalog = active_ruleset().catalog
    evaluation = offer.latest_evaluation
    findings: dict[int, list[Any]] = {}
    if evaluation is not None:
        for finding in evaluation.findings:
            findings.setdefault(finding.item_id, []).append(finding)
    decider_ids = {i.decided_by_id for i in offer.items if i.decided_by_id}
    deciders = {
        r.id: r
        for r in db.session.scalars(sa.select(Reviewer).filter(Reviewer.id.in_(decider_ids)))
    }
    items = [
        ItemDetails(
            item=item,
            fields=[
                (_field_label(catalog, name), _field_value(catalog, name, value))
                for name, value in item_line(item, catalog).items()
                if name != "category" and value != []
            ],
            findings=[
                FindingDetails(
                    finding,
                    [(_field_label(catalog, n), v) for n, v in (finding.values or {}).items()],
                )
                for finding in findings.get(item.id, [])
            ],
            decided_by=deciders.get(item.decided_by_id) if item.decided_by_id else None,
            decidable=item.outcome != "reject",
        )
        for item in offer.items
    ]
    notes = db.session.scalars(
        sa.select(Note)
        .filter_by(offer_id=offer.id)
        .options(selectinload(Note.author))
        .order_by(Note.id)
    ).all()
    events = offer_events(offer)
    messages = conversation.thread(offer)
    questions = conversation.open_questions(offer)
    return OfferDetails(
        offer=offer,
        evaluation=evaluation,
        items=items,
        events=events,
        notes=list(notes),
        queues=all_queues(),
        reviewers=accounts.active_reviewers() if viewer.is_lead else [],
        permissions=triage.permissions(offer, viewer),
        recheck_notes=_recheck_notes(evaluation, events),
        messages=messages,
        unread={m.id for m in messages if m.from_donor and m.read_at is None},
        evaluations=sorted(offer.evaluations, key=lambda e: e.id, reverse=True),
        waiting_since=questions[0].created_at if questions else None,
    )


def _recheck_notes(evaluation: Evaluation | None, events: list[AuditEvent]) -> list[str]:
    """What the latest re-check under a new rule set changed, when it made the latest
    evaluation: one sentence per changed item, and the queue routing would now choose."""
    if evaluation is None or evaluation.trigger != "reevaluation":
        return []
    event = next((e for e in reversed(events) if e.action == "rechecked"), None)
    if event is None:
        return []
    ruleset = active_ruleset()
    version = event.data.get("to_version", "")

    def titled(rule_id: str) -> str:
        try:
            return f"{rule_id} ({ruleset.rule(rule_id).title})"
        except KeyError:
            return rule_id

    notes = []
    for change in event.data.get("items", []):
        before, after = outcome_label(change["before"]), outcome_label(change["after"])
        sentence = f"Under rule set {version}, item {change['position'] + 1}: {after}"
        sentence += f" (was: {before})" if before != after else ""
        if change.get("added"):
            sentence += "; now fired by " + ", ".join(titled(rule) for rule in change["added"])
        if change.get("removed"):
            sentence += "; no longer by " + ", ".join(titled(rule) for rule in change["removed"])
        notes.append(sentence + ".")
    queue = event.data.get("queue", {})
    if queue.get("before") != queue.get("after"):
        now = _queue_name(queue.get("before"))
        if queue.get("after"):
            notes.append(
                f"Routing would now choose the {_queue_name(queue['after'])} queue; the offer "
                f"stays in {now} until someone moves it."
            )
        else:
            notes.append(
                f"Under the new rules the offer would go to no queue; it stays in {now} until "
                "someone moves it or decides it."
            )
    return notes


def _queue_name(slug: str | None) -> str:
    queue = queue_by_slug(slug) if slug else None
    return queue.name if queue is not None else (slug or "no queue")


def _field_value(catalog: Catalog, name: str, value: Any) -> str:
    """A stored item value as a reviewer reads it."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "None given"
    try:
        return catalog.field(name).label_of(value)
    except KeyError:
        return str(value)


def _field_label(catalog: Catalog, name: str) -> str:
    try:
        return catalog.field(name).label
    except KeyError:
        return readable(name).capitalize()
