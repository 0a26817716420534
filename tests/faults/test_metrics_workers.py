"""Under gunicorn, /metrics adds up the counts of every worker (multiprocess mode)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

WORKERS = 2
REQUESTS = 40


def test_metrics_count_the_requests_of_every_worker(start_server, database_url, tmp_path: Path):
    shared = tmp_path / "prometheus"
    shared.mkdir()
    server = start_server(database_url, workers=WORKERS, PROMETHEUS_MULTIPROC_DIR=str(shared))
    answered_by = set()
    for _ in range(REQUESTS):
        status, headers, _body = server.get("/accessibility", Connection="close")
        assert status == 200
        answered_by.add(headers.get("X-Request-ID"))
    assert len(answered_by) == REQUESTS

    status, _headers, body = server.get("/metrics")
    assert status == 200
    text = body.decode()
    line = 'donations_http_responses_total{method="GET",route="/accessibility",status="200"}'
    (count,) = [float(row.rpartition(" ")[2]) for row in text.splitlines() if row.startswith(line)]
    assert count == REQUESTS
    # Each worker wrote its own file: the total above is their sum, whichever answered.
    assert len(list(shared.glob("counter_*.db"))) >= 1


def _counted(server, route: str) -> float:
    status, _headers, body = server.get("/metrics")
    assert status == 200
    line = f'donations_http_responses_total{{method="GET",route="{route}",status="200"}}'
    rows = [row for row in body.decode().splitlines() if row.startswith(line)]
    return sum(float(row.rpartition(" ")[2]) for row in rows)


def _workers_of(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {int(pid) for pid in children}


def test_the_configuration_file_counts_across_workers_and_keeps_a_dead_workers_counts(
    start_server, database_url
):
    # No PROMETHEUS_MULTIPROC_DIR: gunicorn.conf.py makes the shared directory itself.
    server = start_server(database_url, workers=WORKERS, config_file=True)
    for _ in range(REQUESTS):
        assert server.get("/accessibility", Connection="close")[0] == 200
    assert _counted(server, "/accessibility") == REQUESTS

    master = server.process.pid
    before = _workers_of(master)
    assert len(before) == WORKERS
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while (_workers_of(master) == before or len(_workers_of(master)) < WORKERS) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.1)
    assert victim not in _workers_of(master)
    server.wait_until_listening()

    for _ in range(REQUESTS):
        assert server.get("/accessibility", Connection="close")[0] == 200
    # The killed worker's requests are still counted beside the new worker's.
    assert _counted(server, "/accessibility") == 2 * REQUESTS
