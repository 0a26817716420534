"""16 concurrent clients against a real threaded server: no duplicate offers, no errors, and
every 201 readable at its status link, on SQLite and on PostgreSQL."""

from __future__ import annotations

import http.client
import json
import queue
import re
import threading
from collections import defaultdict
from urllib.parse import urlsplit

import sqlalchemy as sa
from werkzeug.serving import make_server

from donations_app.extensions import db
from donations_app.models import IdempotencyKey, Offer
from tests.api.bodies import item_body, offer_body
from tests.conftest import free_port

CLIENTS = 16
OFFERS = 240
RETRIED = 80  # of them sent twice with the same Idempotency-Key, back to back
WITHOUT_KEY = 40


def request(port: int, method: str, path: str, body: dict | None = None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        all_headers = {"Content-Type": "application/json", "Accept": "application/json"}
        connection.request(method, path, body=payload, headers={**all_headers, **(headers or {})})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def run_clients(tasks: list, work) -> list:
    """Run `work(task)` over the tasks from CLIENTS threads; return every result."""
    pending: queue.Queue = queue.Queue()
    for task in tasks:
        pending.put(task)
    results, failures = [], []

    def client() -> None:
        while True:
            try:
                task = pending.get_nowait()
            except queue.Empty:
                return
            try:
                results.append(work(task))
            except Exception as error:  # a failed request must fail the test, not vanish
                failures.append(repr(error))

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    return results


def submissions() -> list[tuple[str | None, dict]]:
    """(key, body) pairs: some sent twice in a row with the same key, some without a key."""
    categories = ["medical", "radio", "body_armor", "firearm", "vehicle", "drone", "uniform"]
    tasks: list[tuple[str | None, dict]] = []
    for n in range(OFFERS):
        line = item_body(category=categories[n % len(categories)], description=f"lot {n}")
        body = offer_body(items=[line, item_body(quantity=n + 1)])
        key = None if n < WITHOUT_KEY else f"client-key-{n}"
        tasks.append((key, body))
        if WITHOUT_KEY <= n < WITHOUT_KEY + RETRIED:
            tasks.append((key, body))
    return tasks


def test_concurrent_submissions_with_retries(app):
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:

        def submit(task):
            key, body = task
            headers = {"Idempotency-Key": key} if key else {}
            return key, *request(port, "POST", "/api/v1/offers", body, headers)

        answers = run_clients(submissions(), submit)
        assert [status for _, status, _ in answers if status != 201] == []
        by_key = defaultdict(list)
        for key, _, body in answers:
            if key:
                by_key[key].append(body)
        for key, bodies in by_key.items():
            assert all(body == bodies[0] for body in bodies), key
        unique = {body["reference"]: body for _, _, body in answers}
        assert len(unique) == OFFERS
        year = r"\d{4}"
        assert all(re.fullmatch(rf"UA-{year}-\d{{6}}", ref) for ref in unique)

        def read_status(body):
            path = urlsplit(body["status_url"]).path
            return body["reference"], *request(port, "GET", path)

        statuses = run_clients(list(unique.values()), read_status)
        for reference, status, document in statuses:
            assert status == 200
            assert document["reference"] == reference
            assert len(document["items"]) == 2
    finally:
        server.shutdown()
        serving.join()

    with app.app_context():
        references = db.session.scalars(sa.select(Offer.reference)).all()
        assert len(references) == len(set(references)) == OFFERS
        assert set(references) == set(unique)
        keys = db.session.scalar(sa.select(sa.func.count()).select_from(IdempotencyKey))
        assert keys == OFFERS - WITHOUT_KEY
