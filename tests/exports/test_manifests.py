"""A recipient's manifest past EXPORT_DIRECT_ROWS items is prepared as a job, in CSV (the direct
download's bytes) or XLSX; a small one still downloads straight away."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl

from donations_app.extensions import db
from tests.conftest import audit_actions, csrf_token
from tests.exports.conftest import prepare, run_jobs, stored_job
from tests.review.listing_builders import make_offer

DECIDED = dt.datetime(2026, 3, 12, 10, tzinfo=dt.UTC)


def approve(app) -> None:
    """Three approved SBGS items (past the limit of two), one approved NPU item."""
    with app.app_context():
        make_offer(
            "UA-2026-000201",
            status="approved",
            decided_at=DECIDED,
            items=[("body_armor", "=1+1 vests"), ("medical", "Kits"), ("radio", "Radios")],
            decisions=["approved", "approved", "approved"],
        )
        make_offer(
            "UA-2026-000202",
            status="approved",
            recipient="npu",
            decided_at=DECIDED,
            items=[("radio", "Radios")],
            decisions=["approved"],
        )
        db.session.commit()


def test_the_manifests_page_offers_buttons_for_a_large_manifest_only(app, offers):
    approve(app)
    html = offers.get("/review/exports").get_data(as_text=True)
    assert (
        "/review/exports/approved-npu.csv" in html and "/review/exports/approved-npu.xlsx" in html
    )
    assert 'href="/review/exports/approved-sbgs.csv"' not in html
    assert 'action="/review/exports/approved-sbgs.csv/prepare"' in html
    assert 'action="/review/exports/approved-sbgs.xlsx/prepare"' in html
    small = offers.get("/review/exports/approved-npu.csv")
    assert small.mimetype == "text/csv" and small.text.count("\r\n") == 2
    page = offers.get("/review/exports/approved-sbgs.xlsx")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "Prepare the XLSX file" in page.text


def test_a_large_manifest_is_prepared_as_the_direct_download(app, offers):
    approve(app)
    app.config["EXPORT_DIRECT_ROWS"] = 1000
    direct = offers.get("/review/exports/approved-sbgs.csv")
    assert direct.mimetype == "text/csv"
    app.config["EXPORT_DIRECT_ROWS"] = 2

    job_id = prepare(offers, "/review/exports/approved-sbgs.csv")
    assert "Approved-items manifest for" in offers.get(f"/review/jobs/{job_id}").text
    run_jobs(app)
    done = stored_job(app, job_id)
    assert (done.progress_done, done.progress_total, done.result) == (3, 3, {"rows": 3})
    assert done.file_name == "approved-sbgs.csv"
    download = offers.get(f"/review/jobs/{job_id}/file")
    assert download.data == direct.data
    assert "'=1+1 vests" in download.text  # guarded in the worker too
    assert audit_actions(app)[-1] == "export_downloaded"


def test_a_large_manifest_is_prepared_as_a_workbook(app, offers):
    approve(app)
    job_id = prepare(offers, "/review/exports/approved-sbgs.xlsx", button="Prepare the XLSX file")
    run_jobs(app)
    download = offers.get(f"/review/jobs/{job_id}/file")
    assert download.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(download.data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 4 and rows[1][0] == "UA-2026-000201"
    assert "'=1+1 vests" in [row[10] for row in rows]
    # Written row by row (write-only): the title, frozen header row and widths are still set.
    assert sheet.title == "Approved for SBGS" and sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 12 and sheet.column_dimensions["F"].width == 20
    assert sheet.cell(row=2, column=22).number_format == "yyyy-mm-dd hh:mm:ss"


def test_preparing_a_manifest_that_does_not_exist_is_a_404(app, offers):
    html = offers.get("/review/exports").get_data(as_text=True)
    token = {"csrf_token": csrf_token(html)}
    assert offers.post("/review/exports/approved-nobody.csv/prepare", data=token).status_code == 404
    assert offers.post("/review/exports/approved-sbgs.pdf/prepare", data=token).status_code == 404
    assert offers.post("/review/exports/approved-sbgs.csv/prepare").status_code == 400
    assert "job_queued" not in audit_actions(app)


def test_a_manifest_prepared_twice_is_one_job_and_is_prepared_again_once_done(app, offers):
    approve(app)
    first = prepare(offers, "/review/exports/approved-sbgs.csv")
    assert prepare(offers, "/review/exports/approved-sbgs.csv") == first
    workbook = prepare(offers, "/review/exports/approved-sbgs.xlsx", button="Prepare the XLSX file")
    assert workbook != first
    run_jobs(app)
    page = offers.get(f"/review/jobs/{first}").get_data(as_text=True)
    assert "Download approved-sbgs.csv" in page and "Prepare the file again" not in page
    again = prepare(offers, "/review/exports/approved-sbgs.csv")  # done: a new file, a new job
    assert again not in (first, workbook)
    assert stored_job(app, again).params == {"recipient": "sbgs", "format": "csv"}
