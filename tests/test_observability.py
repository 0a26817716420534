"""Request ids, JSON logs, Prometheus metrics and Sentry reports, as an operator meets them."""

from __future__ import annotations

import gzip
import json
import re
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import brotli
import pytest
from flask import Flask
from flask.testing import FlaskClient

from donations_app import create_app
from donations_app.extensions import db
from donations_app.observability import stop_logging
from donations_app.services.notify import enqueue_mail
from tests.api.bodies import offer_body
from tests.conftest import free_port

REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


def test_every_answer_carries_a_request_id(client: FlaskClient) -> None:
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert REQUEST_ID.match(first) and REQUEST_ID.match(second) and first != second
    # A proxy's id is kept; one that could forge a log line is replaced.
    assert (
        client.get("/", headers={"X-Request-ID": "lb-7f3a-9c21"}).headers["X-Request-ID"]
        == "lb-7f3a-9c21"
    )
    forged = client.get("/", headers={"X-Request-ID": 'x" level="ERROR'}).headers["X-Request-ID"]
    assert REQUEST_ID.match(forged)


def test_errors_name_their_request_id(client: FlaskClient) -> None:
    response = client.get("/api/v1/offers/not-a-link")
    body = response.get_json()
    assert response.status_code == 404
    assert body["request_id"] == response.headers["X-Request-ID"]

    invalid = client.post("/api/v1/offers", json=offer_body(items=[]))
    assert invalid.status_code == 422
    assert invalid.get_json()["request_id"] == invalid.headers["X-Request-ID"]

    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert page.headers["X-Request-ID"] in page.get_data(as_text=True)


def test_logs_are_json_lines_with_the_request_id_and_no_private_link(
    app_config: dict, capfd: pytest.CaptureFixture[str]
) -> None:
    app = create_app({**app_config, "LOG_CONFIGURE": True, "LOG_FORMAT": "json"})
    client = app.test_client()
    capfd.readouterr()
    token = "c2VjcmV0LXN0YXR1cy10b2tlbg"
    try:
        response = client.get(f"/status/{token}")
    finally:
        stop_logging()
    err = capfd.readouterr().err

    assert token not in err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "donations_app.access"]
    assert len(access) == 1
    (line,) = access
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert line["route"] == "/status/<token>"
    assert line["status"] == response.status_code
    assert line["method"] == "GET" and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["time"].endswith("+00:00")


def _sample(client: FlaskClient, name: str, **labels: str) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        metric, _, value = line.rpartition(" ")
        if metric == (f"{name}{{{wanted}}}" if labels else name):
            return float(value)
    return 0.0


def test_metrics_count_requests_submissions_and_the_outbox(client: FlaskClient, app: Flask) -> None:
    before = _sample(client, "donations_submissions_total", source="api", outcome="review")
    evaluations = _sample(
        client, "donations_rule_evaluations_total", ruleset_version="", trigger="submission"
    )
    created = client.post("/api/v1/offers", json=offer_body())
    assert created.status_code == 201 and created.get_json()["outcome"] == "review"
    # Refused by validation: nothing stored, nothing counted.
    assert client.post("/api/v1/offers", json=offer_body(items=[])).status_code == 422

    assert _sample(client, "donations_submissions_total", source="api", outcome="review") == (
        before + 1
    )
    text = client.get("/metrics").get_data(as_text=True)
    assert (
        'donations_http_request_duration_seconds_count{method="POST",route="/api/v1/offers"}'
        in (text)
    )
    assert 'donations_http_responses_total{method="POST",route="/api/v1/offers",status="422"}' in (
        text
    )
    version = created.get_json()["ruleset"]["version"][:12]
    assert (
        _sample(client, "donations_rule_evaluations_total", ruleset_version=version,
                trigger="submission")
        >= 1 + evaluations
    )  # fmt: skip
    # The confirmation e-mail waits in the outbox (no sender runs in tests).
    assert _sample(client, "donations_outbox_messages", status="pending") == 1
    assert _sample(client, "donations_outbox_oldest_due_age_seconds") >= 0


def test_a_rolled_back_submission_is_not_counted(app: Flask, client: FlaskClient) -> None:
    before = _sample(client, "donations_submissions_total", source="web", outcome="accepted")
    from donations_app import metrics

    with app.app_context():
        metrics.count_submission(db.session(), "web", "accepted")
        enqueue_mail("draft_link", "a@example.gov", "draft_link", link="x", expires_on="y")
        db.session.rollback()
    assert (
        _sample(client, "donations_submissions_total", source="web", outcome="accepted") == before
    )


def test_metrics_are_for_the_scraper_only(app_config: dict) -> None:
    open_app = create_app(app_config).test_client()
    assert open_app.get("/metrics").status_code == 200
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert open_app.get("/metrics", environ_base=outside).status_code == 404

    guarded = create_app({**app_config, "METRICS_TOKEN": "scrape-token-123"}).test_client()
    assert guarded.get("/metrics").status_code == 404
    wrong = {"Authorization": "Bearer nope"}
    assert guarded.get("/metrics", headers=wrong, environ_base=outside).status_code == 404
    right = {"Authorization": "Bearer scrape-token-123"}
    assert guarded.get("/metrics", headers=right, environ_base=outside).status_code == 200


class _SentryInbox(BaseHTTPRequestHandler):
    envelopes: list[bytes] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":  # the SDK's choice when brotli is installed
            body = brotli.decompress(body)
        self.envelopes.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def sentry_inbox() -> Iterator[tuple[str, list[bytes]]]:
    """A local HTTP server that takes Sentry envelopes, and a DSN pointing at it."""
    _SentryInbox.envelopes = []
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _SentryInbox)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://publickey@127.0.0.1:{server.server_port}/42", _SentryInbox.envelopes
    server.shutdown()
    import sentry_sdk

    sentry_sdk.get_client().close()
    sentry_sdk.init()  # back to no client: later tests report nothing


def test_unexpected_errors_reach_sentry_scrubbed(app_config: dict, sentry_inbox) -> None:
    dsn, envelopes = sentry_inbox
    app = create_app({**app_config, "SENTRY_DSN": dsn})
    secret = secrets.token_urlsafe(20)  # made here, so the test's own source cannot hold it

    def explode(token: str) -> str:
        raise RuntimeError("the status page broke")

    app.add_url_rule("/status/<token>/explode", view_func=explode)
    client = app.test_client()
    cookie_value = secrets.token_hex(12)
    client.set_cookie("session", cookie_value)
    response = client.get(f"/status/{secret}/explode", headers={"X-Request-ID": "req-12345678"})
    assert response.status_code == 500
    import sentry_sdk

    sentry_sdk.flush(timeout=10)
    sent = b"".join(envelopes).decode()
    assert "the status page broke" in sent and "RuntimeError" in sent
    assert "req-12345678" in sent, sent
    assert secret not in sent, sent[max(0, sent.find(secret) - 300) : sent.find(secret) + 100]
    cookie = sent.find(cookie_value)
    assert cookie < 0, sent[max(0, cookie - 300) : cookie + 100]
