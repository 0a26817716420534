"""Service-wide pages: the health check, the accessibility statement, the privacy policy and the
favicon's conventional address."""

from __future__ import annotations

import hmac

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from donations_app import metrics
from donations_app.services.health import database_reachable, readiness
from donations_app.services.notify import outbox_backlog
from donations_app.services.rules import active_ruleset, rulebook

bp = Blueprint("system", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Report the database's reachability and the active rule-set version; 503 if the DB is down.

    A broken edit of the rules directory (development) is listed under `pending_errors`: the
    last good set still serves, so the status stays 200.
    """
    healthy = database_reachable()
    ruleset: dict[str, object] = {"version": active_ruleset().version}
    if rulebook().pending_errors:
        ruleset["pending_errors"] = rulebook().pending_errors
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": "ok" if healthy else "unreachable",
        "ruleset": ruleset,
    }
    return jsonify(body), 200 if healthy else 503


def _may_scrape() -> bool:
    token = current_app.config["METRICS_TOKEN"]
    if token:
        offered = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return hmac.compare_digest(offered.encode(), token.encode())
    return request.remote_addr in ("127.0.0.1", "::1")


@bp.get("/metrics")
def prometheus_metrics() -> Response:
    """Prometheus metrics (all gunicorn workers'), for the bearer of METRICS_TOKEN; 404 otherwise.

    Without METRICS_TOKEN, only a scraper on this machine is answered.
    """
    if not _may_scrape():
        abort(404)
    depth, oldest_due = outbox_backlog()
    return Response(metrics.exposition(depth, oldest_due), content_type=metrics.CONTENT_TYPE)


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Whether this process should get traffic: 200 when the database answers, a rule set is
    loaded and the outbox's oldest due message has waited at most READY_OUTBOX_MAX_LAG_SECONDS;
    otherwise 503, with `failing` naming each check that fails."""
    report = readiness(current_app.config["READY_OUTBOX_MAX_LAG_SECONDS"])
    return jsonify(report.as_json()), 200 if report.ready else 503


@bp.get("/accessibility")
def accessibility() -> str:
    """The accessibility statement."""
    return render_template("system/accessibility.html")


@bp.get("/privacy")
def privacy() -> str:
    """The privacy policy."""
    return render_template("system/privacy.html")


@bp.get("/favicon.ico")
def favicon() -> BaseResponse:
    """Clients that ask for /favicon.ico without reading the page's <link rel="icon"> (feed
    readers, bookmarks) are sent to the icon (an SVG) instead of a 404."""
    return redirect(url_for("static", filename="img/favicon.svg"), code=301)
