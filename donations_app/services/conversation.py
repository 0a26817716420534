"""The conversation on an offer: its thread, read marks, who hears of a donor's message, the item
corrections a reply carries (as a diff), and the reviewers' lists of conversations to act on.

Functions that add rows work in the caller's transaction unless they say they commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from donations_app.extensions import db
from donations_app.guidelines import Catalog
from donations_app.guidelines.engine import jsonable
from donations_app.labels import readable
from donations_app.links import external_url
from donations_app.models import Message, Offer, Reviewer, queue_members, utcnow
from donations_app.services.audit import record_event
from donations_app.services.notify import enqueue_mail
from donations_app.services.rules import active_ruleset
from donations_app.services.transaction import transaction

# Who reads a message of each author: the donor's go to reviewers and the reviewers' to the donor.
READER = {"donor": "reviewer", "reviewer": "donor"}


def thread(offer: Offer) -> list[Message]:
    """The offer's messages, newest first."""
    return list(
        db.session.scalars(
            sa.select(Message)
            .where(Message.offer_id == offer.id)
            .options(selectinload(Message.author))
            .order_by(Message.id.desc())
        )
    )


def add_message(
    offer: Offer,
    kind: str,
    body: str,
    *,
    author: Reviewer | None = None,
    changes: list[dict[str, Any]] | None = None,
    evaluation_id: int | None = None,
) -> Message:
    """Add a message to the thread in the caller's transaction (no author: the donor's)."""
    message = Message(
        offer_id=offer.id,
        author_type="reviewer" if author is not None else "donor",
        author_id=author.id if author is not None else None,
        kind=kind,
        body=body,
        changes=changes or [],
        evaluation_id=evaluation_id,
        created_at=utcnow(),
    )
    db.session.add(message)
    return message


def open_questions(offer: Offer) -> list[Message]:
    """The reviewers' questions the donor has not replied to yet, oldest first (only while the
    offer waits for the donor)."""
    if offer.status != "needs_info":
        return []
    last_reply = (
        sa.select(sa.func.coalesce(sa.func.max(Message.id), 0))
        .where(Message.offer_id == offer.id, Message.author_type == "donor")
        .scalar_subquery()
    )
    return list(
        db.session.scalars(
            sa.select(Message)
            .where(
                Message.offer_id == offer.id, Message.kind == "question", Message.id > last_reply
            )
            .order_by(Message.id)
        )
    )


def reads_for_reviewers(offer: Offer, viewer: Reviewer) -> bool:
    """True when `viewer` opening the offer counts as the reviewers reading the donor's messages:
    the assignee, or anyone while nobody is assigned."""
    return offer.assignee_id is None or offer.assignee_id == viewer.id


def mark_read(offer: Offer, reader: str, *, actor: Reviewer | None = None) -> list[int]:
    """Mark the messages written for `reader` ("donor" or "reviewer") as read now; audited when
    any were unread (internal event `messages_read`); commits. Returns the ids just read."""
    author = "donor" if reader == "reviewer" else "reviewer"
    with transaction():
        unread = list(
            db.session.scalars(
                sa.select(Message.id).where(
                    Message.offer_id == offer.id,
                    Message.author_type == author,
                    Message.read_at.is_(None),
                )
            )
        )
        if unread:
            db.session.execute(
                sa.update(Message)
                .where(Message.id.in_(unread))
                .values(read_at=utcnow())
                .execution_options(synchronize_session="fetch")
            )
            record_event(
                "messages_read",
                offer=offer,
                actor=actor,
                actor_type=None if actor is not None else "donor",
                data={"messages": unread},
            )
    return unread


def notify_reviewers(offer: Offer, message: Message) -> str:
    """E-mail the donor's message to the assignee; without one, to the active members of the
    offer's queue; without a queue, to nobody. Returns who: "assignee", "queue" or "nobody"."""
    if offer.assignee is not None and offer.assignee.active:
        recipients, who = [offer.assignee], "assignee"
    elif offer.queue_id is not None:
        recipients = list(
            db.session.scalars(
                sa.select(Reviewer)
                .join(queue_members, queue_members.c.reviewer_id == Reviewer.id)
                .where(queue_members.c.queue_id == offer.queue_id, Reviewer.active.is_(True))
                .order_by(Reviewer.id)
            )
        )
        who = "queue" if recipients else "nobody"
    else:
        recipients, who = [], "nobody"
    link = external_url("review.offer", reference=offer.reference)
    for reviewer in recipients:
        enqueue_mail(
            "donor_replied",
            reviewer.email,
            "donor_replied",
            offer=offer,
            reviewer=reviewer,
            message=message,
            offer_link=link,
        )
    return who


def line_changes(
    before: dict[str, Any], after: dict[str, Any], catalog: Catalog | None = None
) -> list[dict[str, str]]:
    """What differs between two item lines: field, label, before and after, as a reviewer reads
    them (an empty answer and an absent one are the same)."""
    catalog = catalog or active_ruleset().catalog
    changes = []
    for name in sorted(set(before) | set(after), key=lambda n: _field_order(catalog, n)):
        old, new = before.get(name), after.get(name)
        if _same(old, new):
            continue
        changes.append(
            {
                "field": name,
                "label": _label(catalog, name),
                "before": _shown(catalog, name, old),
                "after": _shown(catalog, name, new),
            }
        )
    return changes


def _same(old: Any, new: Any) -> bool:
    if old in (None, "", []) and new in (None, "", []):
        return True
    return jsonable(old) == jsonable(new) or old == new


def _field_order(catalog: Catalog, name: str) -> tuple[int, str]:
    names = list(catalog.fields)
    return (names.index(name) if name in names else len(names), name)


def _label(catalog: Catalog, name: str) -> str:
    try:
        return catalog.field(name).label
    except KeyError:
        return readable(name).capitalize()


def _shown(catalog: Catalog, name: str, value: Any) -> str:
    if value in (None, "", []):
        return "not given"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    try:
        return str(catalog.field(name).label_of(value))
    except KeyError:
        return str(jsonable(value))


@dataclass(frozen=True)
class Conversation:
    """An offer on a reviewer's list of conversations, and why it is there."""

    offer: Offer
    unread: int
    waiting_since: dt.datetime | None


def my_conversations(viewer: Reviewer) -> tuple[list[Conversation], list[Conversation]]:
    """The offers whose conversation needs `viewer`: (unread donor messages, waiting for the
    donor). Theirs when assigned to them; unassigned ones of their queues too."""
    queue_ids = [queue.id for queue in viewer.queues]
    mine = sa.or_(
        Offer.assignee_id == viewer.id,
        sa.and_(Offer.assignee_id.is_(None), Offer.queue_id.in_(queue_ids)),
    )
    unread_count = (
        sa.select(sa.func.count(Message.id))
        .where(
            Message.offer_id == Offer.id,
            Message.author_type == "donor",
            Message.read_at.is_(None),
        )
        .scalar_subquery()
    )
    asked_at = (
        sa.select(sa.func.max(Message.created_at))
        .where(Message.offer_id == Offer.id, Message.kind == "question")
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Offer, unread_count, asked_at)
        .where(mine, sa.or_(unread_count > 0, Offer.status == "needs_info"))
        .order_by(Offer.id)
    ).all()
    unread = [Conversation(o, n, None) for o, n, _ in rows if n]
    waiting = [
        Conversation(o, n, at) for o, n, at in rows if o.status == "needs_info" and at is not None
    ]
    waiting.sort(key=lambda c: c.waiting_since or utcnow())
    return unread, waiting
