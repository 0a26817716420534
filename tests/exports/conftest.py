"""Large exports: five known offers (the offer list's), a direct-download limit of two rows so
that a wide filter makes a job and a narrow one downloads straight away."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from donations_app.extensions import db
from donations_app.models import Job
from donations_app.services import jobs
from tests.conftest import csrf_token
from tests.review.test_offer_list import offers  # noqa: F401  (the five known offers)

LIMIT = 2


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config["EXPORT_DIRECT_ROWS"] = LIMIT
    return app_config


def prepare(client: FlaskClient, page_url: str, button: str = "Prepare the CSV file") -> int:
    """Press the page's Prepare button (with its CSRF token); the id of the job it started."""
    page = client.get(page_url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert button in html
    action = re.search(r'<form method="post" action="([^"]+/prepare[^"]*)"', html)
    assert action, html
    response = client.post(
        action.group(1).replace("&amp;", "&"), data={"csrf_token": csrf_token(html)}
    )
    assert response.status_code == 303
    return int(response.headers["Location"].rsplit("/", 1)[1])


def run_jobs(app: Flask) -> None:
    with app.app_context():
        done, failed = jobs.run_due_jobs()
        assert failed == 0 and done >= 1


def stored_job(app: Flask, job_id: int) -> Job:
    with app.app_context():
        found = db.session.get(Job, job_id)
        db.session.expunge(found)
        return found
