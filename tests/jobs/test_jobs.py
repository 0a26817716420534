"""Jobs: long work started from a page runs in a worker, once, with its progress, result or
error kept in the database; several workers at once never run one job twice."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from donations_app import create_app
from donations_app.extensions import db
from donations_app.models import Job, Reviewer, utcnow
from donations_app.services import jobs
from donations_app.services.transaction import ServiceError
from tests.conftest import audit_actions


def later(monkeypatch, minutes: float) -> None:
    moved = utcnow() + dt.timedelta(minutes=minutes)
    monkeypatch.setattr(jobs, "utcnow", lambda: moved)


def start(app, who: Reviewer, kind: str = "count", **params) -> int:
    with app.app_context():
        reviewer = db.session.get(Reviewer, who.id)
        return jobs.enqueue(kind, params, reviewer).id


def job(app, job_id: int) -> Job:
    with app.app_context():
        found = db.session.get(Job, job_id)
        db.session.expunge(found)
        return found


@pytest.fixture
def counted(monkeypatch) -> Counter:
    """A job kind "count" that counts its runs per job and reports progress."""
    runs: Counter = Counter()
    lock = threading.Lock()

    def handler(params: dict, progress) -> dict:
        progress(0, 2)
        with lock:
            runs[params["n"]] += 1
        progress(2, 2)
        return {"n": params["n"]}

    monkeypatch.setitem(jobs.HANDLERS, "count", handler)
    return runs


def test_only_who_started_a_job_and_leads_see_it(app, auth, make_reviewer, counted):
    owner = make_reviewer("owner@state.example.gov")
    other = make_reviewer("other@state.example.gov")
    job_id = start(app, owner, n=1)
    url = f"/review/jobs/{job_id}"
    assert auth.sign_in_as(owner, app.test_client()).get(url).status_code == 200
    stranger = auth.sign_in_as(other, app.test_client())
    assert stranger.get(url).status_code == 404
    assert stranger.get(f"{url}/status").status_code == 404
    lead = auth.sign_in_as(make_reviewer(role="lead"), app.test_client())
    assert lead.get(url).status_code == 200
    assert app.test_client().get(url).status_code == 302  # to the sign-in page


def test_a_job_runs_once_with_its_progress_and_result_stored(app, make_reviewer, counted):
    owner = make_reviewer()
    job_id = start(app, owner, n=7)
    with app.app_context():
        assert jobs.run_due_jobs() == (1, 0)
        assert jobs.run_due_jobs() == (0, 0)
    done = job(app, job_id)
    assert (done.status, done.result, done.attempts) == ("done", {"n": 7}, 1)
    assert (done.progress_done, done.progress_total) == (2, 2)
    assert done.finished_at is not None and counted == {7: 1}
    assert audit_actions(app).count("job_queued") == 1
    assert audit_actions(app).count("job_done") == 1


def test_a_failing_job_is_tried_again_then_marked_failed_and_shown(
    app, auth, make_reviewer, monkeypatch
):
    def broken(params: dict, progress) -> dict:
        raise ServiceError("The staged rule set no longer loads.")

    monkeypatch.setitem(jobs.HANDLERS, "broken", broken)
    owner = make_reviewer()
    job_id = start(app, owner, kind="broken")
    with app.app_context():
        assert jobs.run_due_jobs() == (0, 1)
        assert jobs.run_due_jobs() == (0, 0)  # it waits before the next attempt
    waiting = job(app, job_id)
    assert (waiting.status, waiting.attempts) == ("queued", 1)
    page = auth.sign_in_as(owner, app.test_client()).get(f"/review/jobs/{job_id}").text
    assert "tried again after an error: The staged rule set no longer loads." in page
    for minutes in (1, 2):
        later(monkeypatch, minutes)
        with app.app_context():
            assert jobs.run_due_jobs() == (0, 1)
    failed = job(app, job_id)
    assert (failed.status, failed.attempts) == ("failed", jobs.JOB_MAX_ATTEMPTS)
    page = auth.sign_in_as(owner, app.test_client()).get(f"/review/jobs/{job_id}").text
    assert "The work failed" in page and "The staged rule set no longer loads." in page
    assert audit_actions(app).count("job_failed") == 1
    later(monkeypatch, 60)
    with app.app_context():
        assert jobs.run_due_jobs() == (0, 0)


def test_a_job_left_by_a_dead_worker_runs_again_after_its_lease(
    app, make_reviewer, counted, monkeypatch
):
    job_id = start(app, make_reviewer(), n=3)
    with app.app_context():
        claimed = jobs._claim_next()  # a worker took it, then died before running it
        assert claimed is not None and claimed.id == job_id
        assert jobs.run_due_jobs() == (0, 0)
        later(monkeypatch, jobs.JOB_LEASE.total_seconds() / 60 + 1)
        assert jobs.run_due_jobs() == (1, 0)
    assert job(app, job_id).attempts == 2 and counted == {3: 1}


def test_a_worker_that_overran_its_lease_does_not_overwrite_the_next_attempt(
    app, make_reviewer, counted, monkeypatch
):
    job_id = start(app, make_reviewer(), n=4)
    with app.app_context():
        first = jobs._claim_next()
        slow = SimpleNamespace(id=first.id, kind=first.kind, params=first.params, attempts=1)
        later(monkeypatch, jobs.JOB_LEASE.total_seconds() / 60 + 1)
        assert jobs.run_due_jobs() == (1, 0)  # the second attempt, by another worker
        jobs.run_job(slow)  # the first worker ends at last: its outcome is dropped
    assert job(app, job_id).attempts == 2 and counted == {4: 2}
    assert audit_actions(app).count("job_done") == 1


def test_two_workers_at_once_run_each_job_once(app, make_reviewer, counted):
    owner = make_reviewer()
    for n in range(20):
        start(app, owner, n=n)
    results = []

    def worker() -> None:
        with app.app_context():
            results.append(jobs.run_due_jobs(limit=100))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(done for done, _ in results) == 20
    assert counted == {n: 1 for n in range(20)}
    with app.app_context():
        assert set(db.session.scalars(sa.select(Job.status))) == {"done"}
        assert set(db.session.scalars(sa.select(Job.attempts))) == {1}


@pytest.mark.postgres
def test_a_worker_skips_the_job_another_worker_is_claiming(app_config, make_reviewer, counted):
    app_config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"options": "-c lock_timeout=3000"}}
    app = create_app(app_config)
    owner = make_reviewer()
    ids = [start(app, owner, n=n) for n in range(3)]
    with app.app_context():
        other = db.engine.connect()
        try:
            other.execute(sa.select(Job.id).where(Job.id == ids[0]).with_for_update())
            assert jobs.run_due_jobs() == (2, 0)
        finally:
            other.close()
        assert jobs.run_due_jobs() == (1, 0)
        db.session.remove()
        db.engine.dispose()
    assert counted == {0: 1, 1: 1, 2: 1}


def test_cli_jobs_work(app, runner, make_reviewer, counted):
    start(app, make_reviewer(), n=1)
    result = runner.invoke(args=["jobs", "work"])
    assert result.exit_code == 0, result.output
    assert "finished 1, failed 0;" in result.output and counted == {1: 1}


def test_the_in_app_worker_runs_jobs_while_the_server_runs(app_config, make_reviewer, counted):
    app_config.update(
        TESTING=False, JOBS_IN_APP_WORKER=True, OUTBOX_IN_APP_SENDER=False, JOBS_POLL_SECONDS=0.2
    )
    app = create_app(app_config)
    job_id = start(app, make_reviewer(), n=5)
    app.test_client().get("/healthz")
    thread, stop = app.extensions["job_worker"]
    try:
        deadline = time.monotonic() + 20
        while job(app, job_id).status != "done" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert job(app, job_id).status == "done"
    finally:
        stop.set()
        thread.join(timeout=10)
    assert "outbox_sender" not in app.extensions
