"""Rate limits on the public endpoints, each per client address and with its own setting.

The API's POST /offers and the web form's final submit draw on one budget
(SUBMISSION_RATE_LIMIT, e.g. "30 per hour"), so switching channel does not double it. Dry-run
checks, CSV imports, draft saves and draft e-mails have their own budgets, and draft e-mails one
more per target address, so the service cannot be used to flood a stranger's mailbox.
A request over a limit gets 429, rendered by donations_app/errors.py as a page or JSON; the
answer is the same whichever limit was hit.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from flask import current_app, request
from flask_limiter import RouteLimit
from flask_limiter.util import get_remote_address
from limits import parse
from werkzeug.exceptions import TooManyRequests

from donations_app.extensions import limiter


def _setting(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def _per_client(setting: str, scope: str, **options: Any) -> RouteLimit:
    """A limit on POSTs per client address, its budget read from the setting `setting`."""
    return limiter.shared_limit(
        _setting(setting), scope=scope, key_func=get_remote_address, methods=["POST"], **options
    )


def offer_form_action() -> str:
    """What a POST of the offer form asks for: remove, add, import, save or continue."""
    if "remove" in request.form:
        return "remove"
    return request.form.get("action", "continue")


login_limit = limiter.limit(_setting("LOGIN_RATE_LIMIT"), methods=["POST"])

submission_limit = _per_client("SUBMISSION_RATE_LIMIT", "offer-submission")
check_limit = _per_client("CHECK_RATE_LIMIT", "offer-check")
csv_import_limit = _per_client(
    "CSV_IMPORT_RATE_LIMIT", "csv-import", exempt_when=lambda: offer_form_action() != "import"
)
# "continue" stores the answers as a draft too, so it draws on the same budget as "save".
draft_save_limit = _per_client(
    "DRAFT_SAVE_RATE_LIMIT",
    "draft-save",
    exempt_when=lambda: offer_form_action() not in {"save", "continue"},
)
draft_email_limit = _per_client("DRAFT_EMAIL_RATE_LIMIT", "draft-email")
status_link_email_limit = _per_client("STATUS_LINK_EMAIL_RATE_LIMIT", "status-link-email")


def hit_draft_email_address_limit(email: str) -> None:
    """Count one draft or status-link e-mail to `email`; TooManyRequests when the address had
    its share (both send a private link, so they share DRAFT_EMAIL_PER_ADDRESS_LIMIT).

    The address is kept in the limiter's storage only as a keyed hash.
    """
    if not current_app.config.get("RATELIMIT_ENABLED"):
        return
    key = hmac.new(
        current_app.config["SECRET_KEY"].encode(), email.strip().lower().encode(), hashlib.sha256
    ).hexdigest()
    item = parse(current_app.config["DRAFT_EMAIL_PER_ADDRESS_LIMIT"])
    if not limiter.limiter.hit(item, "draft-email-address", key):
        raise TooManyRequests()
