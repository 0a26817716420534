"""Service-wide pages: the health check, the accessibility statement and the privacy policy."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from donations_app.extensions import db
from donations_app.services.rules import active_ruleset

bp = Blueprint("system", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Report the database's reachability and the active rule-set version; 503 if the DB is down."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError:
        db.session.rollback()
        database = "unreachable"
    healthy = database == "ok"
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": database,
        "ruleset": {"version": active_ruleset().version},
    }
    return jsonify(body), 200 if healthy else 503


@bp.get("/accessibility")
def accessibility() -> str:
    """The accessibility statement."""
    return render_template("system/accessibility.html")


@bp.get("/privacy")
def privacy() -> str:
    """The privacy policy."""
    return render_template("system/privacy.html")
