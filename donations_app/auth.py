"""Loading the signed-in reviewer for Flask-Login; a changed session token ends old sessions."""

from __future__ import annotations

from donations_app.extensions import login_manager
from donations_app.models import Reviewer
from donations_app.parsing import whole_number
from donations_app.services.accounts import reviewer_for_session

# Anonymous visitors to reviewer pages go to the sign-in page and come back afterwards.
login_manager.login_view = "review.sign_in"
login_manager.login_message = "Sign in to see that page."
login_manager.login_message_category = "info"
# "strong" drops the session when the client's address or browser changes mid-session.
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_reviewer(session_id: str) -> Reviewer | None:
    """Return the active reviewer whose id and session token match the session cookie."""
    raw_id, _, token = session_id.partition(":")
    reviewer_id = whole_number(raw_id, minimum=1, maximum=2**31 - 1)
    if reviewer_id is None or not token:
        return None
    return reviewer_for_session(reviewer_id, token)
