"""Service-wide pages: the health check, the accessibility statement and the privacy policy."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template

from donations_app.services.health import database_reachable, readiness
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
