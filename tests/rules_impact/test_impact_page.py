"""The leads' page: the impact of a staged rule set on the stored offers, and its activation."""

from __future__ import annotations

import re

from donations_app.services.rules import active_ruleset
from tests.api.bodies import offer_body
from tests.conftest import csrf_token
from tests.rules_impact.conftest import helmet


def staged_version(app, runner, candidate) -> str:
    result = runner.invoke(args=["rules", "stage", str(candidate), "--note", "Helmet lots"])
    assert result.exit_code == 0, result.output
    return re.search(r"[0-9a-f]{16}", result.output).group(0)


def test_a_lead_previews_a_staged_version_and_activates_it(app, client, runner, candidate, auth):
    reference = client.post("/api/v1/offers", json=offer_body(items=[helmet(100)])).get_json()[
        "reference"
    ]
    version = staged_version(app, runner, candidate)
    auth.as_role("lead")
    listing = client.get("/review/rules/impact")
    assert listing.status_code == 200
    assert version in listing.text and "Helmet lots" in listing.text
    page = client.get(f"/review/rules/impact?version={version}&status=all")
    assert page.status_code == 200
    assert "1 of 1 offers would change: 1 in outcome, 1 in queue." in page.text
    assert reference in page.text and "HELMET-QUANTITY" in page.text
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


def test_an_unknown_version_is_404(client, auth):
    auth.as_role("lead")
    assert client.get("/review/rules/impact?version=zzzz9999").status_code == 404
