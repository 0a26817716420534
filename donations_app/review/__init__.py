"""INL reviewer pages: sign-in, queues, offers, decisions, exports, reports and administration."""

from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="/review")

from donations_app.review import (  # noqa: E402,F401  # noqa: E402,F401  # noqa: E402,F401
    admin_views,
    attachment_views,
    auth_views,
    exports,
    job_views,
    lists,
    offer_views,
    reports,
    rules_views,
)
