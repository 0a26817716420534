"""An admin compares two rule sets and rolls back in the browser; the pages pass axe-core."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import assert_no_axe_violations
from tests.e2e.pages import SignInPage

pytestmark = pytest.mark.e2e

RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture
def app_config(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def test_compare_and_roll_back(live_server, page, make_reviewer, tmp_path):
    make_reviewer("ada@state.example.gov", role="admin")
    client = live_server.app.test_client()
    first = client.get("/healthz").get_json()["ruleset"]["version"]
    edited = tmp_path / "rules"
    shutil.copytree(RULES, edited)
    armor = edited / "armor.yaml"
    armor.write_text(armor.read_text().replace("title: ", "title: (edited) ", 1))
    result = live_server.app.test_cli_runner().invoke(args=["rules", "publish", str(edited)])
    assert result.exit_code == 0, result.output
    second = client.get("/healthz").get_json()["ruleset"]["version"]

    SignInPage(page, live_server).sign_in_as("ada@state.example.gov")
    page.goto(live_server.url("/review/admin/rules"))
    assert_no_axe_violations(page)
    page.get_by_label("From version").select_option(first)
    page.get_by_label("To version").select_option(second)
    page.get_by_role("button", name="Show the changes").click()
    page.wait_for_url("**/review/admin/rules?*")
    assert page.get_by_label("Changes to armor.yaml").is_visible()
    assert "(edited)" in page.get_by_label("Changes to armor.yaml").inner_text()
    assert_no_axe_violations(page)

    page.get_by_role("link", name=f"Activate version {first}").click()
    page.wait_for_url(f"**/review/admin/rules/{first}/activate")
    assert page.get_by_role("heading", name=f"Activate rule set {first}?").is_visible()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Activate this version").click()
    page.wait_for_url("**/review/admin/rules")
    assert f"Rule set {first} is now active." in page.content()
    assert client.get("/healthz").get_json()["ruleset"]["version"] == first


def test_a_lead_previews_a_staged_rule_set_and_activates_it(live_server, page, make_reviewer):
    from tests.api.bodies import offer_body
    from tests.rules_impact.conftest import NEW_RULE, helmet

    lead = make_reviewer("lena@state.example.gov", role="lead")
    client = live_server.app.test_client()
    reference = client.post("/api/v1/offers", json=offer_body(items=[helmet(100)])).get_json()[
        "reference"
    ]
    staged = live_server.app.instance_path + "/staged"
    shutil.copytree(RULES, staged)
    Path(staged, "helmet_quantity.yaml").write_text(NEW_RULE)
    result = live_server.app.test_cli_runner().invoke(args=["rules", "stage", staged])
    assert result.exit_code == 0, result.output

    SignInPage(page, live_server).sign_in_as(lead.email)
    with page.expect_navigation():
        page.get_by_role("link", name="Rule changes").click()
    assert_no_axe_violations(page)
    page.get_by_label("Offers to compare").select_option("all")
    page.get_by_role("button", name="Preview the impact").click()
    page.wait_for_url("**/review/jobs/*")
    assert page.get_by_text("Waiting for a worker to start it").is_visible()
    assert_no_axe_violations(page)
    from donations_app.services.jobs import run_due_jobs

    with live_server.app.app_context():
        assert run_due_jobs() == (1, 0)
    # The page's poll script sees the job done and shows the result without a click.
    page.get_by_text("1 of 1 offers would change").wait_for(timeout=15000)
    assert page.get_by_role("link", name=reference).is_visible()
    assert_no_axe_violations(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Activate this version").click()
    assert "is now active" in page.content()
