"""Under gunicorn, /metrics adds up the counts of every worker (multiprocess mode)."""

from __future__ import annotations

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
