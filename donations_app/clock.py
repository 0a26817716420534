"""The service's clock: the current time and today's date, always in UTC."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """The current time, timezone-aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def utctoday() -> dt.date:
    """Today's date in UTC: the date offers are evaluated and validated against."""
    return utcnow().date()
