"""SIGKILL of gunicorn (master and workers) in the middle of a burst of API submissions:
every acknowledged offer survives whole, nothing half-written is left, and retrying the
unanswered requests with their Idempotency-Keys on a restarted server stores each offer once."""

from __future__ import annotations

import http.client
import json
import queue
import threading
import time

import pytest

from donations_app.extensions import db
from tests.api.bodies import item_body, offer_body
from tests.faults.conftest import http_request
from tests.faults.stored import complete_offers

pytestmark = pytest.mark.slow

OFFERS = 200
CLIENTS = 8
KILL_AFTER = 60  # acknowledged offers before the kill
RESENT_ANSWERED = 20


def burst_bodies() -> dict[str, dict]:
    """Idempotency-Key -> request body, each body different."""
    return {
        f"burst-{n}": offer_body(
            items=[item_body(description=f"lot {n}"), item_body(quantity=n + 1)]
        )
        for n in range(OFFERS)
    }


def fire(port: int, bodies: dict[str, dict], answers: dict, kill_after: int | None, kill) -> None:
    """Send every body from CLIENTS threads; record (status, body, replayed) or the error per
    key, and call `kill` once `kill_after` offers were acknowledged."""
    pending: queue.Queue = queue.Queue()
    for key in bodies:
        pending.put(key)
    lock = threading.Lock()
    killed = threading.Event()
    failures: list[str] = []

    def client() -> None:
        while True:
            try:
                key = pending.get_nowait()
            except queue.Empty:
                return
            try:
                status, headers, raw = http_request(
                    port,
                    "POST",
                    "/api/v1/offers",
                    bodies[key],
                    headers={"Accept": "application/json", "Idempotency-Key": key},
                )
                replayed = headers.get("Idempotent-Replayed") == "true"
                answer: tuple = (status, json.loads(raw or b"null"), replayed)
            except (OSError, http.client.HTTPException) as error:
                # Refused, reset, or cut off mid-answer (IncompleteRead): no answer either way.
                answer = ("no answer", repr(error), False)
            except Exception as error:  # anything else must fail the test, not end a thread
                failures.append(repr(error))
                continue
            with lock:
                answers[key] = answer
                acknowledged = sum(1 for a in answers.values() if a[0] == 201)
            if kill_after is not None and acknowledged >= kill_after and not killed.is_set():
                killed.set()
                kill()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert set(answers) == set(bodies)


def test_sigkill_mid_burst_loses_no_acknowledged_offer(app, database_url, start_server):
    bodies = burst_bodies()
    server = start_server(database_url)
    answers: dict[str, tuple] = {}
    started = time.monotonic()
    fire(server.port, bodies, answers, KILL_AFTER, server.kill)
    first_round = time.monotonic() - started
    acknowledged = {key: a[1] for key, a in answers.items() if a[0] == 201}
    unanswered = [key for key, a in answers.items() if a[0] != 201]
    assert server.process.returncode == -9
    assert KILL_AFTER <= len(acknowledged) < OFFERS and unanswered
    # Nothing but 201 or no answer at all: the kill never produced an error answer.
    assert {a[0] for a in answers.values()} <= {201, "no answer"}

    with app.app_context():
        stored = complete_offers()
        assert all(parts["items"] == 2 and parts["key"] for parts in stored.values())
        for key, answer in acknowledged.items():
            assert stored[answer["reference"]]["key"] == key
        found_after_kill = len(stored)
        stored_unanswered = {parts["key"] for parts in stored.values()} - set(acknowledged)
        db.session.remove()

    restarted = start_server(database_url)
    retries: dict[str, tuple] = {}
    # The unanswered requests, and some answered ones, as a client unsure of them would.
    again = unanswered + sorted(acknowledged)[:RESENT_ANSWERED]
    fire(restarted.port, {key: bodies[key] for key in again}, retries, None, None)
    assert {a[0] for a in retries.values()} == {201}
    # Offers stored before the kill are answered from their key, with their first reference.
    replayed = {key for key, a in retries.items() if a[2]}
    expected = stored_unanswered | set(sorted(acknowledged)[:RESENT_ANSWERED])
    assert replayed == expected, {key: (answers[key], retries[key]) for key in replayed ^ expected}
    for key in sorted(acknowledged)[:RESENT_ANSWERED]:
        assert retries[key][1]["reference"] == acknowledged[key]["reference"]
    with app.app_context():
        stored = complete_offers()
        # Every key is one offer; the requests that were stored before the kill got their first
        # answer back (replayed), the rest were stored now.
        assert len(stored) == OFFERS
        assert sorted(parts["key"] for parts in stored.values()) == sorted(bodies)
        for key, answer in acknowledged.items():
            assert stored[answer["reference"]]["key"] == key
    print(
        f"\nSIGKILL after {first_round:.1f} s: {len(acknowledged)} acknowledged, "
        f"{found_after_kill} found ({found_after_kill - len(acknowledged)} stored but unanswered), "
        f"{len(unanswered)} unanswered retried, {len(replayed)} answers replayed -> "
        f"{len(stored)} offers for {OFFERS} keys"
    )
