"""Two instances of the app (two gunicorn servers, as two hosts would run them) on one database:
nothing that must be shared lives in a process's memory."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from donations_app.extensions import db
from tests.api.bodies import item_body, offer_body
from tests.faults.conftest import ServerProcess, http_request
from tests.faults.stored import complete_offers

DISTINCT = 30
SHARED_KEYS = 6
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def submit(server: ServerProcess, body: dict, key: str) -> tuple[int, dict, bool]:
    status, headers, raw = http_request(
        server.port,
        "POST",
        "/api/v1/offers",
        body,
        headers={"Accept": "application/json", "Idempotency-Key": key},
    )
    return status, json.loads(raw or b"null"), headers.get("Idempotent-Replayed") == "true"


def same_key_on_both(servers: list[ServerProcess], body: dict, key: str) -> list[tuple]:
    """One key sent to both instances at the same moment."""
    barrier = threading.Barrier(len(servers))

    def send(server: ServerProcess) -> tuple:
        barrier.wait()
        return submit(server, body, key)

    with ThreadPoolExecutor(len(servers)) as pool:
        return list(pool.map(send, servers))


@pytest.mark.postgres
def test_two_instances_submitting_at_once_lose_nothing(app, database_url, start_server):
    servers = [start_server(database_url, workers=1) for _ in range(2)]
    bodies = {
        f"distinct-{n}": offer_body(items=[item_body(description=f"lot {n}")])
        for n in range(DISTINCT)
    }
    shared = {
        f"shared-{n}": offer_body(items=[item_body(quantity=n + 1), item_body()])
        for n in range(SHARED_KEYS)
    }
    with ThreadPoolExecutor(8) as pool:
        distinct = list(
            pool.map(
                lambda pair: (pair[1], submit(servers[pair[0] % 2], bodies[pair[1]], pair[1])),
                enumerate(bodies),
            )
        )
        raced = list(
            pool.map(lambda key: (key, same_key_on_both(servers, shared[key], key)), shared)
        )

    assert {answer[0] for _, answer in distinct} == {201}
    references = [answer[1]["reference"] for _, answer in distinct]
    assert len(set(references)) == DISTINCT
    for key, answers in raced:
        assert [status for status, _, _ in answers] == [201, 201], (key, answers)
        assert len({body["reference"] for _, body, _ in answers}) == 1, (key, answers)
        assert sorted(replayed for _, _, replayed in answers) == [False, True], (key, answers)
    with app.app_context():
        stored = complete_offers()
        db.session.remove()
    assert len(stored) == DISTINCT + SHARED_KEYS
    assert sorted(parts["key"] for parts in stored.values()) == sorted([*bodies, *shared])
    for key, answer in distinct:
        assert stored[answer[1]["reference"]]["key"] == key
    assert set(references).isdisjoint(answers[0][1]["reference"] for _, answers in raced)


@pytest.fixture
def redis_keys() -> Iterator[tuple[str, Callable[[], list]]]:
    """A key prefix of this test's own, a function listing its keys; they are removed after."""
    redis = pytest.importorskip("redis")
    store = redis.Redis.from_url(REDIS_URL)
    try:
        store.ping()
    except redis.exceptions.ConnectionError as error:
        if os.environ.get("REDIS_REQUIRED") == "1":
            pytest.fail(f"REDIS_REQUIRED=1 but Redis at {REDIS_URL} is unreachable: {error}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable (set REDIS_REQUIRED=1 to fail)")
    prefix = f"donations-test-{uuid.uuid4().hex}"

    def keys() -> list:
        # Flask-Limiter puts its prefix inside the storage's own ("LIMITS:LIMITER/<prefix>/...").
        return list(store.scan_iter(f"*{prefix}*"))

    yield prefix, keys
    if keys():
        store.delete(*keys())
    store.close()


def test_two_instances_count_one_client_together_in_redis(database_url, start_server, redis_keys):
    prefix, keys = redis_keys
    settings = {
        # The testing config turns rate limits off; development reads them from here.
        "APP_ENV": "development",
        "SECRET_KEY": "x" * 48,
        "RULES_WATCH": "false",
        "OUTBOX_IN_APP_SENDER": "false",
        "CHECK_RATE_LIMIT": "3 per hour",
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
    }
    servers = [start_server(database_url, workers=2, **settings) for _ in range(2)]
    statuses = [
        server.post_json("/api/v1/checks", offer_body())[0] for server in [*servers, *servers]
    ]
    assert statuses == [200, 200, 200, 429]
    assert keys()
