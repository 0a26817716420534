"""Error pages and JSON errors: every failure gets a clear 4xx/5xx answer in the client's format."""

from __future__ import annotations

import logging
import sqlite3

from flask import Flask, Response, g, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from donations_app.extensions import login_manager
from donations_app.observability import request_id

log = logging.getLogger(__name__)

TITLES = {
    400: "Bad request",
    403: "You do not have access to this page",
    404: "Page not found",
    405: "Method not allowed",
    410: "This link has expired",
    413: "The upload is too large",
    429: "Too many requests",
    500: "Sorry, there is a problem with the service",
    503: "Sorry, the service is unavailable",
    507: "Sorry, the service cannot store anything now",
}
# Seconds a client is asked to wait before it tries again while the database is unreachable.
RETRY_AFTER_SECONDS = 30
# PostgreSQL's SQLSTATE for "disk full" (class 53, insufficient resources).
PG_DISK_FULL = "53100"


def wants_json() -> bool:
    """True for API calls and clients that asked for JSON."""
    if request.path.startswith("/api/"):
        return True
    accept = request.accept_mimetypes
    return accept["application/json"] > accept["text/html"]


def _respond(status: int, detail: str) -> tuple[Response | str, int]:
    title = TITLES.get(status, "Error")
    if wants_json():
        return jsonify(error_body(status, title, detail)), status
    page = render_template(
        "errors/error.html", status=status, title=title, detail=detail, request_id=request_id()
    )
    return page, status


def error_body(status: int, title: str, detail: str) -> dict:
    """The JSON of an error answer, with the request's id for a support request."""
    return {
        "error": {"status": status, "title": title, "detail": detail},
        "request_id": request_id(),
    }


def handle_http_error(error: HTTPException) -> tuple[Response | str, int]:
    """Render a werkzeug HTTP error."""
    status = error.code or 500
    if status == 413:
        detail = (
            "The request is larger than this service accepts. "
            "Send fewer or smaller items, or a smaller file."
        )
    elif status == 429:
        detail = (
            "You have sent too many requests in a short time. "
            "Wait a few minutes and try again; nothing you sent before was lost."
        )
    else:
        detail = error.description or ""
    return _respond(status, detail)


def handle_csrf_error(error: CSRFError) -> tuple[Response | str, int]:
    """A missing or stale CSRF token: ask to resubmit, never a stack trace."""
    return _respond(
        400,
        "This form expired or was sent from another page. "
        "Go back, reload the page and send it again.",
    )


def handle_unexpected(error: Exception) -> tuple[Response | str, int]:
    """Log an unexpected error and show a plain 500 page."""
    log.exception("unhandled error", exc_info=error)
    return _respond(
        500, "Try again later. What you sent was not stored unless you saw a confirmation."
    )


def _disk_full(error: SQLAlchemyError) -> bool:
    original = getattr(error, "orig", None)
    if getattr(original, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return True
    return getattr(original, "sqlstate", None) == PG_DISK_FULL


def handle_database_unavailable(error: SQLAlchemyError) -> Response:
    """The database is unreachable or full: 503 (or 507) with Retry-After, never a 500.

    Every change is one transaction, so a change that failed left nothing behind; the answer
    asks the client to come back later instead of reporting a bug.
    """
    if _disk_full(error):
        log.error("the database is full: %s", getattr(error, "orig", error))
        status = 507
        detail = (
            "The service has run out of storage space. What you sent was not stored unless "
            "you saw a confirmation; try again later."
        )
    else:
        log.error("the database is unavailable: %s", getattr(error, "orig", error))
        status = 503
        detail = (
            "The service cannot reach its database just now. What you sent was not stored "
            "unless you saw a confirmation; try again in a few minutes."
        )
    if "_login_user" not in g:
        # Flask-Login would load the signed-in reviewer to render the page, from the database
        # that just failed: the outage page is shown as to a visitor who is not signed in.
        login_manager._update_request_context_with_user()
    body, _ = _respond(status, detail)
    response = make_response(body, status)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on the app."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(PoolTimeout, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
