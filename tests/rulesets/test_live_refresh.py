"""Every process serves the active version within RULES_REFRESH_SECONDS, a request keeps the
rule set it started with, and in development saved edits of RULES_DIR are published."""

from __future__ import annotations

import time

import pytest

from donations_app import create_app
from donations_app.extensions import db
from donations_app.services.rules import active_ruleset, publish_directory
from donations_app.services.rulesets import command_line_actor
from tests.rulesets.conftest import edit

INTERVAL = 0.5


def served_version(client) -> str:
    response = client.get("/healthz")
    assert response.status_code == 200
    return response.get_json()["ruleset"]["version"]


def wait_for(client, version: str, seconds: float) -> float:
    """Seconds until the client's app serves `version` (fails after `seconds`)."""
    start = time.monotonic()
    while served_version(client) != version:
        assert time.monotonic() - start < seconds, f"{version} not served within {seconds} s"
        time.sleep(0.05)
    return time.monotonic() - start


@pytest.fixture
def two_instances(app_config):
    """Two app instances on one database, each with its own engine and RuleBook."""
    config = {**app_config, "RULES_REFRESH_SECONDS": INTERVAL}
    first, second = create_app(config), create_app(config)
    yield first, second
    for instance in (first, second):
        with instance.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_publish_in_one_instance_is_served_by_the_other(two_instances, rules_copy):
    first, second = two_instances
    one, other = first.test_client(), second.test_client()
    original = served_version(one)
    assert served_version(other) == original
    folder = rules_copy("next")
    edit(folder, "armor.yaml", "title: ", "title: (next) ")
    published = first.test_cli_runner().invoke(args=["rules", "publish", str(folder)])
    assert published.exit_code == 0, published.output
    new = served_version(one)
    assert new != original
    assert wait_for(other, new, INTERVAL + 0.5) <= INTERVAL + 0.5

    broken = rules_copy("broken")
    edit(broken, "routing.yaml", 'when: recipient == "sbgs"', "when: recipient == sbgs")
    refused = first.test_cli_runner().invoke(args=["rules", "publish", str(broken)])
    assert refused.exit_code == 1 and "routing.yaml:" in refused.output
    time.sleep(INTERVAL + 0.1)
    assert served_version(other) == new and served_version(one) == new

    rolled = first.test_cli_runner().invoke(args=["rules", "activate", original])
    assert rolled.exit_code == 0, rolled.output
    wait_for(other, original, INTERVAL + 0.5)


def test_a_request_keeps_the_rule_set_it_started_with(app, client, rules_copy):
    folder = rules_copy("mid-request")
    edit(folder, "armor.yaml", "title: ", "title: (mid) ")
    with app.test_request_context("/offer"):
        started_with = active_ruleset()
        published = publish_directory(folder, command_line_actor())
        assert active_ruleset() is started_with and published.version != started_with.version
    assert served_version(client) == published.version


def test_development_publishes_saved_edits_and_shows_broken_ones(app_config, rules_copy):
    folder = rules_copy("watched")
    app = create_app(
        {**app_config, "RULES_DIR": str(folder), "RULES_WATCH": True, "RULES_REFRESH_SECONDS": 0}
    )
    client = app.test_client()
    first = served_version(client)
    edit(folder, "armor.yaml", "title: ", "title: (saved) ")
    second = served_version(client)
    assert second != first and "(saved)" in client.get("/guidelines").get_data(as_text=True)

    edit(folder, "arms.yaml", "outcome: reject", "outcome: refuse")
    health = client.get("/healthz")
    assert health.status_code == 200
    ruleset = health.get_json()["ruleset"]
    assert ruleset["version"] == second
    assert any(f"{folder}/arms.yaml:" in error for error in ruleset["pending_errors"])

    edit(folder, "arms.yaml", "outcome: refuse", "outcome: reject")
    assert "pending_errors" not in client.get("/healthz").get_json()["ruleset"]
    assert served_version(client) == second
    with app.app_context():
        db.engine.dispose()
