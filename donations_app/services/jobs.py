"""Long work started from a page (an impact preview, a re-check, a large export), run outside
the request by a worker: a jobs table claimed with `FOR UPDATE SKIP LOCKED`, the pattern of the
outbox (services/notify.py).

`enqueue` stores a job with the audit event of the person who asked, in one transaction. A
worker (`flask jobs work --loop`, or in development a thread of the server) claims the next due
job in a short transaction of its own: on PostgreSQL `SELECT ... FOR UPDATE SKIP LOCKED` picks a
row no other worker is claiming, and a conditional UPDATE marks it running and pushes
`next_attempt_at` past a lease (on SQLite the conditional UPDATE alone decides). Progress is
written as the work goes, in transactions of its own, and renews the lease; a worker that dies
leaves the job due again once the lease ends. A job that raises is tried again after a pause,
up to JOB_MAX_ATTEMPTS, then marked failed with its error for the page; both ends are audited.
Results are stored in the row (JSON), so any instance can show them; a job that writes a file
(services/exports.py) stores it in the export store and names it in the row's file_* columns.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any, cast

import sqlalchemy as sa
from flask import Flask

from donations_app.extensions import db
from donations_app.models import Job, Offer, Reviewer, utcnow
from donations_app.services.audit import record_event
from donations_app.services.transaction import (
    NotFound,
    ServiceError,
    transaction,
    transactional,
)

log = logging.getLogger(__name__)

# A job renews its lease each time it reports progress; a worker silent this long is dead.
JOB_LEASE = dt.timedelta(minutes=5)
JOB_MAX_ATTEMPTS = 3
RETRY_PAUSE = dt.timedelta(seconds=30)

Progress = Callable[[int, int | None], None]
Handler = Callable[[dict[str, Any], Progress], dict[str, Any]]


def _impact_preview(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """The impact of a staged rule set on the stored offers (review/rules_views.py shows it)."""
    from donations_app.services.impact import offer_count, preview_page
    from donations_app.services.rules import active_ruleset, ruleset_for

    status = params["status"]
    total = offer_count(status)
    progress(0, total)
    read = 0

    def counted(batch: int) -> None:
        nonlocal read
        read += batch
        progress(read, total)

    current = active_ruleset()
    preview = preview_page(ruleset_for(params["version"]), current, status=status, progress=counted)
    return {
        "active": current.version,
        "summary": preview.summary.as_dict(),
        "changes": [dataclasses.asdict(change) for change in preview.changes],
        "more": preview.more,
    }


def _recheck(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Re-check the open offers under the active rule set (services/recheck.py); the references
    of the offers whose result changed."""
    from donations_app.services.recheck import recheck
    from donations_app.services.rules import active_ruleset

    statuses = tuple(params["statuses"])
    total = db.session.scalar(sa.select(sa.func.count(Offer.id)).where(Offer.status.in_(statuses)))
    progress(0, total)
    summary = recheck(statuses, progress=lambda read: progress(read, total))
    progress(summary.checked, summary.checked)
    return {
        "version": active_ruleset().version,
        "checked": summary.checked,
        "changed": summary.changed,
    }


def _offers_csv(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    from donations_app.services.exports import offers_csv_job

    return offers_csv_job(params, progress)


def _manifest(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    from donations_app.services.exports import manifest_job

    return manifest_job(params, progress)


HANDLERS: dict[str, Handler] = {
    "impact_preview": _impact_preview,
    "recheck": _recheck,
    "offers_csv": _offers_csv,
    "manifest": _manifest,
}
# A handler's result may carry, under this key, the file it stored (services/exports.py):
# the Job.file_* values, written to the row with the result.
FILE = "file"


@transactional
def enqueue(kind: str, params: dict[str, Any], started_by: Reviewer) -> Job:
    """Queue a job for a worker; audited as asked by `started_by`."""
    if kind not in HANDLERS:
        raise ServiceError(f"There is no job of kind {kind!r}.")
    job = Job(kind=kind, params=params, status="queued", started_by_id=started_by.id)
    db.session.add(job)
    db.session.flush()
    record_event("job_queued", actor=started_by, data={"job": job.id, "kind": kind, **params})
    return job


@transactional
def start_once(
    kind: str,
    params: dict[str, Any],
    started_by: Reviewer,
    matches: Callable[[dict[str, Any]], bool],
) -> Job:
    """Queue a job, unless the person has a queued or running job of this kind whose params
    `matches`: a button pressed again while its job runs leads to that job, not a second one.

    The person's account is locked first (`_lock_account`), so two presses at the same instant
    (two tabs, two instances) take turns: the second sees the job the first made."""
    _lock_account(started_by)
    candidates = db.session.scalars(
        sa.select(Job)
        .where(
            Job.kind == kind,
            Job.started_by_id == started_by.id,
            Job.status.in_(("queued", "running")),
        )
        .order_by(Job.id)
    )
    running = next((job for job in candidates if matches(job.params)), None)
    return running or enqueue(kind, params, started_by)


def _lock_account(reviewer: Reviewer) -> None:
    """Hold the account until the transaction ends: another transaction that locks it waits.

    PostgreSQL locks the row. SQLite has no row locks, and a transaction that reads first
    takes no lock until it writes; an UPDATE that changes nothing takes its single write lock
    now instead, and SQLite retries the statement while that lock is held (busy_timeout)."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            sa.update(Reviewer)
            .where(Reviewer.id == reviewer.id)
            .values(id=Reviewer.id)
            .execution_options(synchronize_session=False)
        )
    else:
        db.session.execute(
            sa.select(Reviewer.id).where(Reviewer.id == reviewer.id).with_for_update()
        )


def job_for(job_id: int, viewer: Reviewer) -> Job:
    """The job, for who started it or a lead; NotFound for anyone else (ids are not probed)."""
    job = db.session.get(Job, job_id)
    if job is None or (job.started_by_id != viewer.id and not viewer.has_role("lead")):
        raise NotFound("There is no such job.")
    return job


def _claim_next() -> Job | None:
    """Take the next due job for this worker, or None when none is left."""
    while True:
        now = utcnow()
        job_id = db.session.scalar(
            sa.select(Job.id)
            .where(Job.status.in_(("queued", "running")), Job.next_attempt_at <= now)
            .order_by(Job.next_attempt_at, Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)  # rendered by PostgreSQL; SQLite has no FOR UPDATE
        )
        if job_id is None:
            db.session.commit()
            return None
        result = db.session.execute(
            sa.update(Job)
            .where(
                Job.id == job_id,
                Job.status.in_(("queued", "running")),
                Job.next_attempt_at <= now,
            )
            .values(
                status="running",
                attempts=Job.attempts + 1,
                next_attempt_at=now + JOB_LEASE,
                started_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        claimed = cast(sa.CursorResult, result).rowcount
        db.session.commit()
        if claimed == 1:
            return db.session.get(Job, job_id, populate_existing=True)


def _progress_writer(job_id: int) -> Progress:
    """Write a job's progress (and renew its lease) in transactions of its own."""

    def write(done: int, total: int | None) -> None:
        with db.engine.begin() as connection:
            connection.execute(
                sa.update(Job)
                .where(Job.id == job_id, Job.status == "running")
                .values(
                    progress_done=done,
                    progress_total=total,
                    next_attempt_at=utcnow() + JOB_LEASE,
                )
            )

    return write


def _finish(job_id: int, attempt: int, action: str, **values: Any) -> bool:
    """Record how this attempt ended, unless another worker took the job over meanwhile (this
    one overran its lease without reporting progress); False then."""
    db.session.rollback()
    with transaction():
        job = db.session.get(Job, job_id, populate_existing=True, with_for_update=True)
        if job is None or job.attempts != attempt:
            log.warning("job %s was taken over by another worker; this attempt is dropped", job_id)
            return False
        for name, value in values.items():
            setattr(job, name, value)
        if action:
            record_event(
                action,
                actor_type="system",
                data={"job": job.id, "kind": job.kind, "started_by": job.started_by_id},
            )
    return True


def run_job(job: Job) -> bool:
    """Run one claimed job; True when it finished, False when it failed this attempt."""
    job_id, kind, params, attempts = job.id, job.kind, dict(job.params), job.attempts
    db.session.commit()
    try:
        if attempts > JOB_MAX_ATTEMPTS:
            raise ServiceError("The work stopped without finishing too many times.")
        result = HANDLERS[kind](params, _progress_writer(job_id))
    except Exception as error:
        log.exception("job %s (%s) failed, attempt %s", job_id, kind, attempts)
        message = str(error) if isinstance(error, ServiceError) else type(error).__name__
        if attempts >= JOB_MAX_ATTEMPTS:
            _finish(
                job_id, attempts, "job_failed", status="failed", error=message, finished_at=utcnow()
            )
        else:
            _finish(
                job_id,
                attempts,
                "",
                status="queued",
                error=message,
                next_attempt_at=utcnow() + RETRY_PAUSE,
            )
        return False
    file_values = result.pop(FILE, None) or {}
    kept = _finish(
        job_id,
        attempts,
        "job_done",
        status="done",
        result=result,
        error=None,
        finished_at=utcnow(),
        **file_values,
    )
    if not kept and file_values:
        from donations_app.services.exports import discard_file

        discard_file(file_values["file_key"])
    return True


def run_due_jobs(limit: int = 10) -> tuple[int, int]:
    """Run up to `limit` due jobs, one after the other; (finished, failed attempts)."""
    done = failed = 0
    for _ in range(limit):
        job = _claim_next()
        if job is None:
            break
        if run_job(job):
            done += 1
        else:
            failed += 1
    return done, failed


def delete_expired_files() -> int:
    """Delete the export files past their time (services/exports.py); the worker runs it."""
    from donations_app.services.exports import delete_expired_files as delete

    return delete()


def run_worker(app: Flask, *, interval: float, stop: threading.Event) -> None:
    """Run due jobs every `interval` seconds until `stop` is set; errors are logged."""
    while not stop.is_set():
        with app.app_context():
            try:
                run_due_jobs()
                delete_expired_files()
            except Exception:
                log.exception("the job worker failed; it tries again shortly")
                db.session.rollback()
            finally:
                db.session.remove()
        stop.wait(interval)


def start_in_app_worker(app: Flask) -> threading.Thread:
    """Start the job worker thread of a development server (`make run`)."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker,
        kwargs={"app": app, "interval": app.config["JOBS_POLL_SECONDS"], "stop": stop},
        name="job-worker",
        daemon=True,
    )
    app.extensions["job_worker"] = (thread, stop)
    thread.start()
    return thread
