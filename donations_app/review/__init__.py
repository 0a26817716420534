"""INL reviewer pages: sign-in, queues, offers, decisions, exports, reports and administration."""

from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="/review")
