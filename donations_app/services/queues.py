"""The reviewer queues, in the order the pages list them, kept in step with the routing file."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from donations_app.extensions import db
from donations_app.models import Queue


def all_queues() -> list[Queue]:
    """Every queue routing can lead to (not the retired ones), in display order."""
    query = sa.select(Queue).where(Queue.retired.is_(False))
    return list(db.session.scalars(query.order_by(Queue.position, Queue.name)))


def queue_names() -> dict[str, str]:
    """The name of every queue, retired ones too, by slug (for records that name a slug)."""
    return {slug: name for slug, name in db.session.execute(sa.select(Queue.slug, Queue.name))}


def queue_by_slug(slug: str) -> Queue | None:
    """The queue with this slug, or None."""
    return db.session.scalar(sa.select(Queue).filter_by(slug=slug))


def sync_queues(routed: Iterable[str]) -> list[Queue]:
    """Create the queues a newly active routing file names, bring back retired ones it names
    again, and retire those it no longer names (never deleted: their offers keep them).

    Joins the caller's transaction; returns the queues it created.
    """
    wanted = list(dict.fromkeys(routed))
    existing = {queue.slug: queue for queue in db.session.scalars(sa.select(Queue))}
    position = max((queue.position for queue in existing.values()), default=-1)
    created = []
    for slug in wanted:
        queue = existing.get(slug)
        if queue is None:
            position += 1
            queue = Queue(slug=slug, name=queue_name(slug), description="", position=position)
            db.session.add(queue)
            created.append(queue)
        queue.retired = False
    for slug, queue in existing.items():
        if slug not in wanted:
            queue.retired = True
    db.session.flush()
    return created


def queue_name(slug: str) -> str:
    """The name of a queue the routing file names only by slug: "k9-desk" -> "K9 desk"."""
    words = slug.replace("-", " ").strip()
    return words[:1].upper() + words[1:]
