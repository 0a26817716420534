"""What operators see of the running service: a request id on every request and log line, logs
as JSON, Prometheus metrics, and optional error reporting to Sentry.

- Every request gets an id: the caller's `X-Request-ID` when it is a plausible one (a proxy or
  load balancer usually sets it), else a new random one. It is sent back in `X-Request-ID`,
  printed on error pages, put in every JSON error body and on every log line of the request.
- Logs are one JSON object per line on standard error (`LOG_FORMAT=text` for the classic form).
  Each request writes one access line with its route *pattern* (`/status/<token>`), never the
  path, so private links never reach the logs.
- Metrics live in `donations_app.metrics`; this module times requests into them.
- With `SENTRY_DSN` set, unexpected errors (logged at ERROR by the error handler; Sentry's
  logging integration picks them up) go to Sentry, tagged with the request id, without cookies,
  headers, bodies, frame variables or the private tokens of status and draft links.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import secrets
import sys
import time
from typing import IO, TYPE_CHECKING, Any

from flask import Flask, Response, g, has_request_context, request

from donations_app import metrics

if TYPE_CHECKING:
    from sentry_sdk._types import Event

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is kept only when it is short and plain: it ends up in logs and pages.
_PLAUSIBLE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
# Private links carry a secret as a path segment: /status/<token>, /offer/draft/<token>, ...
_PRIVATE_SEGMENT = re.compile(r"(/(?:status|draft|unlock|link)/)[^/?#\s]+")
ACCESS_LOG = logging.getLogger("donations_app.access")
# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged.
_STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def request_id() -> str | None:
    """The current request's id, or None outside a request."""
    if not has_request_context():
        return None
    return g.get("request_id")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request_id, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class _RequestIdFilter(logging.Filter):
    """Put the request id on text-format records too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id() or "-"
        return True


class _ServiceHandler(logging.StreamHandler):
    """The handler this module installs (recognised so it is installed once per process)."""


def stop_logging() -> None:
    """Remove the handler configure_logging installed, if any."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _ServiceHandler)]:
        root.removeHandler(handler)


def configure_logging(
    level: str = "INFO", fmt: str = "json", stream: IO[str] | None = None
) -> None:
    """Send the root logger's records to standard error, as JSON lines or as text."""
    stop_logging()
    root = logging.getLogger()
    handler = _ServiceHandler(stream or sys.stderr)
    if fmt == "text":
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    else:
        handler.setFormatter(JsonFormatter())
    handler.addFilter(_RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level)
    # Alembic announces each of its plugins at INFO whenever a command loads it.
    logging.getLogger("alembic.runtime.plugins").setLevel(max(root.level, logging.WARNING))


def private_links_hidden(text: str) -> str:
    """`text` with the secret segment of every private link replaced by "[hidden]"."""
    return _PRIVATE_SEGMENT.sub(r"\1[hidden]", text)


def _start_request() -> None:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = offered if _PLAUSIBLE_ID.match(offered) else secrets.token_hex(16)
    g.request_started = time.perf_counter()
    if "sentry_sdk" in sys.modules:
        import sentry_sdk

        # The request's own scope: the unexpected error it may log carries the id.
        sentry_sdk.get_isolation_scope().set_tag("request_id", g.request_id)


def _finish_request(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    started = g.get("request_started")
    if started is None:
        return response
    seconds = time.perf_counter() - started
    route = request.url_rule.rule if request.url_rule is not None else "(no route)"
    metrics.observe_request(route, request.method, response.status_code, seconds)
    ACCESS_LOG.info(
        "%s %s %s",
        request.method,
        route,
        response.status_code,
        extra={
            "method": request.method,
            "route": route,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1),
        },
    )
    return response


def _scrubbed(event: Event, _hint: dict[str, Any]) -> Event:
    """A Sentry event without what a person sent: no cookies, headers, body or link secrets."""
    req: dict[str, Any] = dict(event.get("request") or {})
    for key in ("cookies", "data", "headers", "env", "query_string"):
        req.pop(key, None)
    if "url" in req:
        req["url"] = private_links_hidden(str(req["url"]))
    event["request"] = req
    if "transaction" in event:
        event["transaction"] = private_links_hidden(str(event["transaction"]))
    return event


def _start_error_reporting(app: Flask) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=app.config["SENTRY_DSN"],
        environment=app.config["ENV_NAME"],
        integrations=[FlaskIntegration()],
        send_default_pii=False,
        # A frame's variables hold what people typed and the tokens of private links.
        include_local_variables=False,
        traces_sample_rate=0.0,
        before_send=_scrubbed,
    )


def init_observability(app: Flask) -> None:
    """Request ids and access lines on every request; logging and Sentry as configured."""
    if app.config["LOG_CONFIGURE"]:
        configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    if app.config.get("SENTRY_DSN"):
        _start_error_reporting(app)
    app.before_request(_start_request)
    app.after_request(_finish_request)
