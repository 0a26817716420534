"""The donor's journey: start page, guidelines, the offer form, results and the status page."""

from flask import Blueprint

bp = Blueprint("intake", __name__)

from donations_app.intake import attachment_views, status_views, views  # noqa: E402,F401
