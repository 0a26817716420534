"""Loading the signed-in reviewer for Flask-Login; a changed session token ends old sessions."""

from __future__ import annotations

import time

from flask import current_app, session
from flask_login import login_user

from donations_app.extensions import login_manager
from donations_app.models import Reviewer
from donations_app.parsing import whole_number
from donations_app.services.accounts import reviewer_for_session

# Anonymous visitors to reviewer pages go to the sign-in page and come back afterwards.
login_manager.login_view = "review.sign_in"
login_manager.login_message = "Sign in to see that page."
login_manager.login_message_category = "info"
# "strong" drops the session when the client's address or browser changes mid-session. It only
# works on sessions that are not "permanent" (Flask-Login merely marks those non-fresh), so the
# session cookie is a browser-session cookie and its lifetime is kept in the session itself.
login_manager.session_protection = "strong"
SIGNED_IN_AT = "signed_in_at"


def start_session(reviewer: Reviewer) -> None:
    """Sign the reviewer in on a fresh session (nothing from before survives: no fixation)
    that ends SESSION_LIFETIME_SECONDS after now, however often it is used."""
    session.clear()
    session[SIGNED_IN_AT] = int(time.time())
    login_user(reviewer, remember=False)


def _session_expired() -> bool:
    started = session.get(SIGNED_IN_AT)
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    return not isinstance(started, int) or time.time() - started > lifetime


@login_manager.user_loader
def load_reviewer(session_id: str) -> Reviewer | None:
    """Return the active reviewer whose id and session token match the session cookie."""
    raw_id, _, token = session_id.partition(":")
    reviewer_id = whole_number(raw_id, minimum=1, maximum=2**31 - 1)
    if reviewer_id is None or not token or _session_expired():
        return None
    return reviewer_for_session(reviewer_id, token)
