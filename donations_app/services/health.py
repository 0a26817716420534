"""What the health and readiness checks report: the database, the rule set, the outbox's lag."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from donations_app.extensions import db
from donations_app.guidelines import RuleSetError
from donations_app.services.notify import outbox_lag_seconds
from donations_app.services.rules import rulebook


def database_reachable() -> bool:
    """True when the database answers a trivial query."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True


@dataclass
class Readiness:
    """Each check's report, and the names of those that fail."""

    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    failing: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.failing

    def add(self, name: str, ok: bool, **report: Any) -> None:
        self.checks[name] = {"status": "ok" if ok else "failing", **report}
        if not ok:
            self.failing.append(name)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ready" if self.ready else "unavailable",
            "failing": self.failing,
            "checks": self.checks,
        }


def readiness(max_outbox_lag_seconds: float) -> Readiness:
    """Whether this process can serve: the database answers, a rule set is loaded, and the
    oldest outbox message that is due has not waited more than `max_outbox_lag_seconds` (the
    mail sender is running and keeping up)."""
    report = Readiness()
    database_ok = database_reachable()
    report.add("database", database_ok, **({} if database_ok else {"error": "unreachable"}))
    _check_rules(report)
    if database_ok:
        _check_outbox(report, max_outbox_lag_seconds)
    else:
        report.checks["outbox"] = {"status": "unknown", "error": "the database does not answer"}
    return report


def _check_rules(report: Readiness) -> None:
    try:
        version = rulebook().current().version
    except RuleSetError as error:
        report.add("rules", False, error="no rule set is loaded", errors=error.errors)
        return
    report.add("rules", True, version=version)


def _check_outbox(report: Readiness, max_lag_seconds: float) -> None:
    try:
        lag = outbox_lag_seconds()
    except SQLAlchemyError:
        db.session.rollback()
        report.add("outbox", False, error="the outbox cannot be read")
        return
    report.add(
        "outbox",
        lag <= max_lag_seconds,
        lag_seconds=round(lag, 1),
        max_lag_seconds=max_lag_seconds,
    )
