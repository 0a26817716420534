"""Loading the signed-in reviewer for Flask-Login; a changed session token ends old sessions."""

from __future__ import annotations

from donations_app.extensions import db, login_manager
from donations_app.models import Reviewer


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
