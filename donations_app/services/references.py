"""Offer reference numbers, UA-<year>-<6+ digits>, unique under concurrent submissions."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from donations_app.extensions import db
from donations_app.models import ReferenceNumber, utctoday


def allocate_reference(today: dt.date | None = None) -> str:
    """Take the next reference number inside the caller's transaction.

    The number comes from an autoincrement key, so two transactions never get the same one;
    a transaction that rolls back leaves a gap, which is harmless.
    """
    year = (today or utctoday()).year
    number = (
        db.session.connection()
        .execute(sa.insert(ReferenceNumber).values(year=year).returning(ReferenceNumber.id))
        .scalar_one()
    )
    return f"UA-{year}-{number:06d}"
