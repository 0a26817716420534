"""Loading the signed-in reviewer for Flask-Login; a changed session token ends old sessions."""

from __future__ import annotations

from donations_app.extensions import db, login_manager
from donations_app.models import Reviewer

# Anonymous visitors to reviewer pages go to the sign-in page and come back afterwards.
login_manager.login_view = "review.sign_in"
login_manager.login_message = "Sign in to see that page."
login_manager.login_message_category = "info"
# "strong" drops the session when the client's address or browser changes mid-session.
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_reviewer(session_id: str) -> Reviewer | None:
    """Return the active reviewer whose id and session token match the session cookie."""
    reviewer_id, _, token = session_id.partition(":")
    if not reviewer_id.isdigit() or not token:
        return None
    reviewer = db.session.get(Reviewer, int(reviewer_id))
    if reviewer is None or not reviewer.active or reviewer.session_token != token:
        return None
    return reviewer
