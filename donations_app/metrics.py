"""Prometheus metrics of the service, served at /metrics.

Under gunicorn each worker is its own process: with `PROMETHEUS_MULTIPROC_DIR` set
(gunicorn.conf.py makes a directory of its own when it is not set, and empties it at start),
every worker writes its counts to files there and /metrics adds them up (prometheus_client's
multiprocess mode); a worker that exits keeps its counts and is marked dead by the
configuration's `child_exit` hook. Without it (`flask run`, tests) the counts live in the
process. What the database knows (the outbox's depth and age) is read at each scrape.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.orm import Session

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REQUEST_SECONDS = Histogram(
    "donations_http_request_duration_seconds",
    "Time to answer a request, by route pattern and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RESPONSES = Counter(
    "donations_http_responses_total",
    "Responses sent, by route pattern, method and status code.",
    ["route", "method", "status"],
)
SUBMISSIONS = Counter(
    "donations_submissions_total",
    "Offers submitted, by channel (web, api) and the offer's guideline outcome.",
    ["source", "outcome"],
)
EVALUATIONS = Counter(
    "donations_rule_evaluations_total",
    "Offers evaluated against the guidelines, by rule-set version and trigger.",
    ["ruleset_version", "trigger"],
)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request."""
    REQUEST_SECONDS.labels(route, method).observe(seconds)
    RESPONSES.labels(route, method, str(status)).inc()


_PENDING = "donations_metrics_pending"


def _on_commit(counter: Counter, session: Session, *labels: str) -> None:
    session.info.setdefault(_PENDING, []).append((counter, labels))


def count_submission(session: Session, source: str, outcome: str) -> None:
    """Count one offer stored in `session`'s transaction, once that transaction commits."""
    _on_commit(SUBMISSIONS, session, source, outcome)


def count_evaluation(session: Session, ruleset_version: str, trigger: str) -> None:
    """Count one evaluation stored in `session`'s transaction, once that transaction commits."""
    _on_commit(EVALUATIONS, session, ruleset_version[:12], trigger)


@event.listens_for(Session, "after_commit")
def _count_committed(session: Session) -> None:
    for counter, labels in session.info.pop(_PENDING, ()):
        counter.labels(*labels).inc()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


class OutboxCollector(Collector):
    """The outbox's depth by status and the age of its oldest due message, read at each scrape."""

    def __init__(self, depth: dict[str, int], oldest_due_seconds: float) -> None:
        self.depth, self.oldest_due_seconds = depth, oldest_due_seconds

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "donations_outbox_messages", "E-mails in the outbox, by status.", labels=["status"]
        )
        for status, count in sorted(self.depth.items()):
            depth.add_metric([status], count)
        yield depth
        yield GaugeMetricFamily(
            "donations_outbox_oldest_due_age_seconds",
            "How long the oldest pending e-mail has been due (0 when none is).",
            value=self.oldest_due_seconds,
        )


def exposition(outbox_depth: dict[str, int], outbox_oldest_due_seconds: float) -> bytes:
    """Every metric in Prometheus' text format: this process's, or all workers' in multiprocess."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
        process_metrics = b""
    else:
        from prometheus_client import REGISTRY

        process_metrics = generate_latest(REGISTRY)
    registry.register(OutboxCollector(outbox_depth, outbox_oldest_due_seconds))
    return process_metrics + generate_latest(registry)


def mark_worker_dead(pid: int) -> None:
    """For gunicorn's child_exit hook: drop a dead worker's live gauges in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
