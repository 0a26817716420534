"""The leads' page: the impact of a staged rule set on the stored offers, computed by a job, and
its activation."""

from __future__ import annotations

import re

from donations_app.extensions import db
from donations_app.models import Job
from donations_app.services.jobs import run_due_jobs
from donations_app.services.rules import active_ruleset
from tests.api.bodies import offer_body
from tests.conftest import audit_actions, csrf_token
from tests.rules_impact.conftest import helmet


def staged_version(app, runner, candidate) -> str:
    result = runner.invoke(args=["rules", "stage", str(candidate), "--note", "Helmet lots"])
    assert result.exit_code == 0, result.output
    return re.search(r"[0-9a-f]{16}", result.output).group(0)


def start_preview(client, version: str, status: str = "all"):
    listing = client.get("/review/rules/impact")
    return client.post(
        "/review/rules/impact",
        data={"csrf_token": csrf_token(listing.text), "version": version, "status": status},
    )


def test_a_lead_previews_a_staged_version_and_activates_it(app, client, runner, candidate, auth):
    reference = client.post("/api/v1/offers", json=offer_body(items=[helmet(100)])).get_json()[
        "reference"
    ]
    version = staged_version(app, runner, candidate)
    auth.as_role("lead")
    listing = client.get("/review/rules/impact")
    assert listing.status_code == 200
    assert version in listing.text and "Helmet lots" in listing.text
    started = start_preview(client, version)
    assert started.status_code == 302
    job_url = started.headers["Location"]
    waiting = client.get(job_url)
    assert waiting.status_code == 200
    assert "Waiting for a worker" in waiting.text and "Check again" in waiting.text
    assert re.search(r"js/job-progress(\.[0-9a-f]{12})?\.js", waiting.text)
    assert client.get(f"{job_url}/status").get_json() == {
        "status": "queued",
        "done": 0,
        "total": None,
    }
    with app.app_context():
        assert run_due_jobs() == (1, 0)
        job = db.session.query(Job).one()
        assert (job.status, job.progress_done, job.progress_total) == ("done", 1, 1)
    assert client.get(f"{job_url}/status").get_json()["status"] == "done"
    page = client.get(job_url)
    assert "1 of 1 offers would change: 1 in outcome, 1 in queue." in page.text
    assert "1 of 1 items would change." in page.text
    assert re.search(r"HELMET-QUANTITY[^<]*</th><td>1</td><td>1</td>", page.text)
    assert reference in page.text and "HELMET-QUANTITY" in page.text
    assert "job-progress" not in page.text
    assert {"job_queued", "job_done"} <= set(audit_actions(app))
    response = client.post(
        f"/review/rules/impact/{version}/activate", data={"csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 302
    with app.test_request_context():
        assert active_ruleset().version == version
    assert "is now active" in client.get(response.headers["Location"]).text


def test_reviewers_cannot_open_it(client, auth):
    auth.as_role("reviewer")
    assert client.get("/review/rules/impact").status_code == 403


def test_an_unknown_version_is_refused_with_a_field_message(client, auth):
    auth.as_role("lead")
    response = start_preview(client, "zzzz9999")
    assert response.status_code == 400
    assert "Not a valid choice" in response.text
