"""The reviewer queues, in the order the pages list them."""

from __future__ import annotations

import sqlalchemy as sa

from donations_app.extensions import db
from donations_app.models import Queue


def all_queues() -> list[Queue]:
    """Every queue, in display order."""
    return list(db.session.scalars(sa.select(Queue).order_by(Queue.position, Queue.name)))


def queue_by_slug(slug: str) -> Queue | None:
    """The queue with this slug, or None."""
    return db.session.scalar(sa.select(Queue).filter_by(slug=slug))
