"""Rate limits shared by several views: offer submissions per client address.

The API's POST /offers and the web form's final submit draw on one budget
(SUBMISSION_RATE_LIMIT, e.g. "30 per hour"), so switching channel does not double it.
A request over the limit gets 429, rendered by donations_app/errors.py as a page or JSON.
"""

from __future__ import annotations

from flask import current_app
from flask_limiter.util import get_remote_address

from donations_app.extensions import limiter


def _submission_limit() -> str:
    return current_app.config["SUBMISSION_RATE_LIMIT"]


submission_limit = limiter.shared_limit(
    _submission_limit,
    scope="offer-submission",
    key_func=get_remote_address,
    methods=["POST"],
)
