"""The offer list's CSV: up to EXPORT_DIRECT_ROWS rows a direct download, past it a job whose
file is byte for byte the direct download's, downloaded by who started it and leads, audited,
and deleted after EXPORT_FILE_TTL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
from pathlib import Path

from donations_app.extensions import db
from donations_app.models import AuditEvent, Reviewer
from donations_app.services import exports, jobs
from donations_app.services.rules import active_ruleset
from donations_app.services.search import OfferFilters
from tests.conftest import audit_actions, csrf_token
from tests.exports.conftest import LIMIT, prepare, run_jobs, stored_job
from tests.review.listing_builders import make_offer

WIDE = "/review/offers?from=2026-03-01&sort=agency&dir=asc"  # four of the five offers
WIDE_CSV = "/review/offers.csv?from=2026-03-01&sort=agency&dir=asc"
NARROW = "/review/offers?recipient=npu"  # two: as many as the limit


def exported_files(app) -> list[Path]:
    return [path for path in Path(app.config["EXPORTS_DIR"]).rglob("*") if path.is_file()]


def later(monkeypatch, seconds: float) -> None:
    moved = exports.utcnow() + dt.timedelta(seconds=seconds)
    monkeypatch.setattr(exports, "utcnow", lambda: moved)


def test_at_the_limit_the_list_links_the_direct_download(app, offers):
    html = offers.get(NARROW).get_data(as_text=True)
    assert "Download all 2 matching offers as CSV" in html
    assert "Prepare the CSV file" not in html
    response = offers.get("/review/offers.csv?recipient=npu")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert len(list(csv.reader(io.StringIO(response.text)))) == 1 + LIMIT
    assert "job_queued" not in audit_actions(app)


def test_past_the_limit_the_list_offers_to_prepare_the_file(app, offers):
    html = offers.get(WIDE).get_data(as_text=True)
    assert "Prepare the CSV file" in html
    assert "/review/offers.csv?" not in html  # no link to a download that would not come
    # The direct address (bookmarked, or shared) answers with the same offer, never half a file.
    response = offers.get(WIDE_CSV)
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "This file is too large to download straight away" in page
    assert "Prepare the CSV file" in page and "Springfield Police" not in page
    assert "job_queued" not in audit_actions(app)


def test_a_wide_list_counted_past_the_list_cap_still_offers_the_job(app, offers):
    app.config["OFFER_LIST_COUNT_CAP"] = 1  # the list shows "more than 1"
    assert "Prepare the CSV file" in offers.get(WIDE).get_data(as_text=True)
    app.config["EXPORT_DIRECT_ROWS"] = 10
    assert "Prepare the CSV file" not in offers.get(WIDE).get_data(as_text=True)


def test_the_lists_own_count_decides_the_button_without_a_second_count(app, offers, monkeypatch):
    """The list page's count (exact, or capped past the limit) already says whether the file is
    too large for a direct download: the button costs no query (at a million offers, a second
    count for a broad text search took longer than the list). Only a capped count below the
    limit leaves the question open."""
    from donations_app.services import search

    counted: list[int | None] = []
    real_count = search.count_offers

    def count_offers(filters, cap=None):
        counted.append(cap)
        return real_count(filters, cap)

    monkeypatch.setattr(search, "count_offers", count_offers)
    assert "Prepare the CSV file" in offers.get(WIDE).get_data(as_text=True)
    assert "Download all 2 matching offers as CSV" in offers.get(NARROW).get_data(as_text=True)
    assert counted == []

    with app.test_request_context(WIDE):
        filters, _errors = search.parse_filters({}, search.filter_choices(active_ruleset()))
        past_the_limit = search.OfferPage(rows=[], total=4, page=1, per_page=25, more=True)
        assert exports.offers_export_is_large(filters, listed=past_the_limit)
        assert counted == []
        below_the_limit = search.OfferPage(rows=[], total=2, page=1, per_page=25, more=True)
        assert exports.offers_export_is_large(filters, listed=below_the_limit)  # 5 offers
        assert counted == [LIMIT]


def test_the_prepared_file_is_the_direct_download_byte_for_byte(app, offers, monkeypatch):
    app.config["EXPORT_DIRECT_ROWS"] = 1000
    direct = offers.get(WIDE_CSV)
    assert direct.mimetype == "text/csv"
    app.config["EXPORT_DIRECT_ROWS"] = LIMIT

    job_id = prepare(offers, WIDE)
    waiting = offers.get(f"/review/jobs/{job_id}").get_data(as_text=True)
    assert "CSV file of the offer list" in waiting and "Waiting for a worker" in waiting
    assert offers.get(f"/review/jobs/{job_id}/status").json == {
        "status": "queued",
        "done": 0,
        "total": None,
    }
    run_jobs(app)
    done = stored_job(app, job_id)
    assert (done.status, done.progress_done, done.progress_total) == ("done", 4, 4)
    assert done.result == {"rows": 4}
    assert done.file_size == len(direct.data) and done.file_content_type == "text/csv"
    assert done.file_name.startswith("offers-") and done.file_name.endswith(".csv")

    page = offers.get(f"/review/jobs/{job_id}").get_data(as_text=True)
    assert "The file is ready" in page and f"Download {done.file_name}" in page
    download = offers.get(f"/review/jobs/{job_id}/file")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.headers["Content-Disposition"] == f'attachment; filename="{done.file_name}"'
    assert download.data == direct.data
    rows = list(csv.reader(io.StringIO(download.text)))
    # The guard against spreadsheet formulas is applied in the worker too.
    assert '\'=HYPERLINK("http://evil.example","x")' in [row[1] for row in rows]
    assert audit_actions(app)[-3:] == ["job_queued", "job_done", "export_downloaded"]
    with app.app_context():
        event = db.session.query(AuditEvent).order_by(AuditEvent.id.desc()).first()
        assert event.data["job"] == job_id and event.data["file"] == done.file_name


def test_the_job_applies_every_filter_and_the_sort(app, offers):
    # The value sort has offers without a value (NULL), which come last in both directions.
    job_id = prepare(offers, "/review/offers?sort=value&dir=asc")
    run_jobs(app)
    rows = list(csv.reader(io.StringIO(offers.get(f"/review/jobs/{job_id}/file").text)))
    app.config["EXPORT_DIRECT_ROWS"] = 1000
    direct = offers.get("/review/offers.csv?sort=value&dir=asc").text
    assert rows == list(csv.reader(io.StringIO(direct)))
    assert [row[0] for row in rows[1:4]] == ["UA-2026-000005", "UA-2026-000001", "UA-2026-000002"]


def test_a_formula_planted_in_an_agency_is_quoted_in_the_prepared_file(app, offers):
    with app.app_context():
        make_offer("UA-2026-000099", agency="@SUM(1+1)*cmd|' /C calc'!A0", queue="logistics")
        make_offer("UA-2026-000098", agency="+1+1", queue="logistics")
        make_offer("UA-2026-000097", agency="\uff1d1+1", queue="logistics")  # full-width =
        db.session.commit()
    job_id = prepare(offers, "/review/offers?queue=logistics&sort=reference&dir=asc")
    run_jobs(app)
    rows = list(csv.reader(io.StringIO(offers.get(f"/review/jobs/{job_id}/file").text)))
    assert [row[1] for row in rows[1:]] == ["'\uff1d1+1", "'+1+1", "'@SUM(1+1)*cmd|' /C calc'!A0"]


def test_preparing_needs_the_csrf_token_and_good_filters(app, offers):
    html = offers.get(WIDE).get_data(as_text=True)
    assert offers.post("/review/offers.csv/prepare?from=2026-03-01").status_code == 400
    token = {"csrf_token": csrf_token(html)}
    response = offers.post("/review/offers.csv/prepare?status=lost", data=token)
    assert response.status_code == 400
    assert "job_queued" not in audit_actions(app)


def test_only_who_started_it_and_leads_download_the_file(app, offers, auth, make_reviewer):
    job_id = prepare(offers, WIDE)
    run_jobs(app)
    url = f"/review/jobs/{job_id}/file"
    other = auth.sign_in_as(make_reviewer("other@state.example.gov"), app.test_client())
    assert other.get(url).status_code == 404
    assert other.get(f"/review/jobs/{job_id}").status_code == 404
    admin = auth.sign_in_as(make_reviewer("ada@state.example.gov", role="admin"), app.test_client())
    assert admin.get(url).status_code == 200
    with app.app_context():
        lead = db.session.query(Reviewer).filter_by(email="lena@state.example.gov").one()
    assert auth.sign_in_as(lead, app.test_client()).get(url).status_code == 200
    assert app.test_client().get(url).status_code == 302  # to the sign-in page
    assert app.test_client().get(url).headers["Location"].startswith("/review/sign-in")
    assert audit_actions(app).count("export_downloaded") == 2
    assert offers.get("/review/jobs/999999/file").status_code == 404


def test_a_job_without_a_file_has_nothing_to_download(app, offers, make_reviewer):
    with app.app_context():
        owner = db.session.query(Reviewer).order_by(Reviewer.id).first()
        job_id = jobs.enqueue("recheck", {"statuses": ["queued"]}, owner).id
    assert offers.get(f"/review/jobs/{job_id}/file").status_code == 404


def test_the_file_expires_then_the_worker_deletes_it(app, offers, monkeypatch):
    job_id = prepare(offers, WIDE)
    run_jobs(app)
    assert len(exported_files(app)) == 1
    ttl = app.config["EXPORT_FILE_TTL"]
    assert ttl == 86400
    with app.app_context():
        assert exports.delete_expired_files() == 0  # not yet

    later(monkeypatch, ttl + 1)
    # Past its time the link says so, even before the worker comes by.
    gone = offers.get(f"/review/jobs/{job_id}/file")
    assert gone.status_code == 410 and "This file has expired" in gone.text
    with app.app_context():
        assert exports.delete_expired_files() == 1
        assert exports.delete_expired_files() == 0
    assert exported_files(app) == []
    done = stored_job(app, job_id)
    assert done.file_key is None and done.file_name is not None  # the page can still say what
    assert audit_actions(app)[-1] == "export_file_deleted"
    page = offers.get(f"/review/jobs/{job_id}").get_data(as_text=True)
    assert "has been deleted" in page and "Download" not in page
    assert offers.get(f"/review/jobs/{job_id}/file").status_code == 410
    assert "export_downloaded" not in audit_actions(app)


def test_the_worker_loop_deletes_expired_files(app, monkeypatch):
    stop = threading.Event()
    calls = []
    monkeypatch.setattr(jobs, "run_due_jobs", lambda: (0, 0))

    def deleted() -> int:
        calls.append(True)
        stop.set()
        return 0

    monkeypatch.setattr(jobs, "delete_expired_files", deleted)
    jobs.run_worker(app, interval=0, stop=stop)
    assert calls == [True]


def test_the_cli_worker_deletes_expired_files(app, runner, monkeypatch):
    monkeypatch.setattr(jobs, "delete_expired_files", lambda: 3)
    result = runner.invoke(args=["jobs", "work"])
    assert result.exit_code == 0 and "deleted 3 expired files" in result.output


def test_filters_that_no_longer_apply_fail_the_job_with_a_message(app, offers, monkeypatch):
    job_id = prepare(offers, WIDE)
    monkeypatch.setattr(jobs, "JOB_MAX_ATTEMPTS", 1)
    monkeypatch.setattr(
        exports.search, "parse_filters", lambda args, choices: (None, {"queue": "No such queue."})
    )
    with app.app_context():
        assert jobs.run_due_jobs() == (0, 1)
    failed = stored_job(app, job_id)
    assert failed.status == "failed" and "No such queue." in failed.error
    assert failed.file_key is None and exported_files(app) == []
    assert offers.get(f"/review/jobs/{job_id}/file").status_code == 404


def test_pressing_prepare_again_while_the_job_waits_leads_to_that_job(app, offers, auth):
    first = prepare(offers, WIDE)
    assert prepare(offers, WIDE) == first
    assert prepare(offers, WIDE_CSV) == first  # the direct address's button: the same list
    other_filters = prepare(offers, WIDE.replace("dir=asc", "dir=desc"))
    assert other_filters != first
    with app.app_context():
        lead = db.session.query(Reviewer).filter_by(email="lena@state.example.gov").one()
    assert prepare(auth.sign_in_as(lead, app.test_client()), WIDE) not in (first, other_filters)
    assert audit_actions(app).count("job_queued") == 3
    with app.app_context():
        jobs.run_due_jobs()
    assert prepare(offers, WIDE) not in (first, other_filters)  # done: a new file, a new job


def test_two_presses_at_the_same_instant_make_one_job(app, offers, monkeypatch):
    """Two tabs or two instances pressing Prepare together: the second press waits for the
    first one's transaction, then leads to its job."""
    entered, release = threading.Event(), threading.Event()
    enqueue = jobs.enqueue

    def held_enqueue(*args, **kwargs):
        job = enqueue(*args, **kwargs)
        if not entered.is_set():
            entered.set()
            release.wait(30)  # the first press holds its transaction open here
        return job

    monkeypatch.setattr(jobs, "enqueue", held_enqueue)
    started: list[int] = []

    def press() -> None:
        with app.app_context():
            lead = db.session.query(Reviewer).filter_by(email="lena@state.example.gov").one()
            started.append(exports.start_offers_csv(OfferFilters(), lead).id)
            db.session.remove()

    first = threading.Thread(target=press)
    first.start()
    assert entered.wait(30)
    second = threading.Thread(target=press)
    second.start()
    second.join(1)
    assert second.is_alive()  # waiting for the first press's lock on the account
    release.set()
    first.join(30)
    second.join(30)
    assert len(started) == 2 and started[0] == started[1]
    assert audit_actions(app).count("job_queued") == 1


def test_a_failed_or_deleted_file_is_prepared_again_from_its_page(app, offers, monkeypatch):
    job_id = prepare(offers, WIDE)
    monkeypatch.setattr(jobs, "JOB_MAX_ATTEMPTS", 1)
    with monkeypatch.context() as broken:
        broken.setattr(
            exports.search, "parse_filters", lambda args, choices: (None, {"queue": "Gone."})
        )
        with app.app_context():
            assert jobs.run_due_jobs() == (0, 1)
    again = prepare(offers, f"/review/jobs/{job_id}", button="Prepare the file again")
    assert again != job_id
    assert stored_job(app, again).params["filters"] == stored_job(app, job_id).params["filters"]
    run_jobs(app)
    later(monkeypatch, app.config["EXPORT_FILE_TTL"] + 1)
    third = prepare(offers, f"/review/jobs/{again}", button="Prepare the file again")
    assert third not in (job_id, again)
    gone = offers.get(f"/review/jobs/{again}/file")
    assert gone.status_code == 410 and "Prepare the file again" in gone.text
