"""A reviewer prepares a large CSV export in a real browser: the list offers a button instead of
the link, the job's page polls until the file is ready, the download works, and every page
passes axe-core."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from donations_app.extensions import db
from donations_app.models import utcnow
from tests.e2e.conftest import assert_no_axe_violations
from tests.e2e.pages import SignInPage
from tests.review.listing_builders import make_offer

pytestmark = pytest.mark.e2e


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config["EXPORT_DIRECT_ROWS"] = 2
    return app_config


def seed(app, make_reviewer) -> str:
    """Four offers, one with a formula for an agency name, and a reviewer; the e-mail."""
    reviewer = make_reviewer("rita@state.example.gov")
    now = utcnow()
    with app.app_context():
        for number, agency in enumerate(
            ("Austin Police", "Cook County Sheriff", "=HYPERLINK(1)", "Springfield Police"), 1
        ):
            make_offer(
                f"UA-2026-00000{number}",
                agency=agency,
                submitted_at=now - dt.timedelta(days=number),
            )
        db.session.commit()
    return reviewer.email


def test_a_reviewer_prepares_and_downloads_a_large_csv(live_server, page, make_reviewer, tmp_path):
    SignInPage(page, live_server).sign_in_as(seed(live_server.app, make_reviewer))

    page.goto(live_server.url("/review/offers?sort=agency&dir=asc"))
    assert page.get_by_role("link", name="matching offers as CSV").count() == 0
    assert_no_axe_violations(page)
    page.screenshot(path=str(tmp_path / "export-list.png"), full_page=True)  # to look at
    page.get_by_role("button", name="Prepare the CSV file").click()
    page.wait_for_url("**/review/jobs/*")
    assert page.get_by_role("heading", name="CSV file of the offer list").is_visible()
    assert page.get_by_text("Waiting for a worker to start it").is_visible()
    assert_no_axe_violations(page)
    page.screenshot(path=str(tmp_path / "export-waiting.png"), full_page=True)

    from donations_app.services.jobs import run_due_jobs

    with live_server.app.app_context():
        assert run_due_jobs() == (1, 0)
    # The page's poll script sees the job done and shows the link without a click.
    page.get_by_text("The file is ready").wait_for(timeout=15000)
    assert_no_axe_violations(page)
    page.screenshot(path=str(tmp_path / "export-ready.png"), full_page=True)
    link = page.get_by_role("link", name="Download offers-")
    with page.expect_download() as download:
        link.click()
    saved = Path(tmp_path / "offers.csv")
    download.value.save_as(saved)
    assert download.value.suggested_filename.startswith("offers-")
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert [row[1] for row in rows[1:]] == [
        "'=HYPERLINK(1)",
        "Austin Police",
        "Cook County Sheriff",
        "Springfield Police",
    ]


def test_the_direct_address_of_a_large_export_offers_the_button(live_server, page, make_reviewer):
    SignInPage(page, live_server).sign_in_as(seed(live_server.app, make_reviewer))
    page.goto(live_server.url("/review/offers.csv"))
    assert page.get_by_role("heading", name="too large to download straight away").is_visible()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Prepare the CSV file").click()
    page.wait_for_url("**/review/jobs/*")
    assert page.get_by_text("Waiting for a worker to start it").is_visible()


def test_a_failed_export_is_prepared_again_from_its_page(
    live_server, page, make_reviewer, tmp_path, monkeypatch
):
    from donations_app.services import exports, jobs

    SignInPage(page, live_server).sign_in_as(seed(live_server.app, make_reviewer))
    page.goto(live_server.url("/review/offers?sort=agency&dir=asc"))
    page.get_by_role("button", name="Prepare the CSV file").click()
    page.wait_for_url("**/review/jobs/*")
    failed_url = page.url
    monkeypatch.setattr(jobs, "JOB_MAX_ATTEMPTS", 1)
    with monkeypatch.context() as broken:
        broken.setattr(
            exports.search, "parse_filters", lambda args, choices: (None, {"queue": "Gone."})
        )
        with live_server.app.app_context():
            assert jobs.run_due_jobs() == (0, 1)
    page.goto(failed_url)
    assert page.get_by_role("heading", name="The work failed").is_visible()
    failure = "It was tried 1 time; the last error was: The filters no longer apply: Gone. Nothing"
    assert page.get_by_text(failure).is_visible()
    assert_no_axe_violations(page)
    page.screenshot(path=str(tmp_path / "export-failed.png"), full_page=True)  # to look at
    page.get_by_role("button", name="Prepare the file again").click()
    page.wait_for_url("**/review/jobs/*")
    assert page.url != failed_url
    assert page.get_by_text("Waiting for a worker to start it").is_visible()
    with live_server.app.app_context():
        assert jobs.run_due_jobs() == (1, 0)
    page.get_by_text("The file is ready").wait_for(timeout=15000)
