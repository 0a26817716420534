"""The JSON API for agencies' own systems: dry-run checks, offers, status, OpenAPI document."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
from donations_app.api import views  # noqa: E402,F401
