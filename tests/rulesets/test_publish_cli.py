"""`flask rules publish|stage|activate|versions|diff`: stored versions, history, rollback."""

from __future__ import annotations

import pytest

from donations_app.extensions import db
from donations_app.models import AuditEvent, RuleSetActivation, StoredRuleSet
from tests.rulesets.conftest import edit


@pytest.fixture
def renamed_topic(rules_copy):
    folder = rules_copy("renamed")
    edit(folder, "armor.yaml", "topic: Body armor and helmets", "topic: Armour (renamed)")
    return folder


def active_version(client) -> str:
    return client.get("/healthz").get_json()["ruleset"]["version"]


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.query(StoredRuleSet).count(),
            db.session.query(RuleSetActivation).count(),
        )


def test_publish_stores_activates_and_is_served_at_once(app, client, runner, rules_copy):
    first = active_version(client)
    folder = rules_copy("next")
    edit(folder, "armor.yaml", "title: ", "title: (edited) ")
    result = runner.invoke(args=["rules", "publish", str(folder), "--note", "armor titles"])
    assert result.exit_code == 0, result.output
    published = active_version(client)
    assert published != first and f"version {published} is active" in result.output
    page = client.get("/guidelines").get_data(as_text=True)
    assert "(edited)" in page
    with app.app_context():
        stored = db.session.query(StoredRuleSet).filter_by(version=published).one()
        assert stored.note == "armor titles" and stored.created_by.startswith("cli:")
        assert {f.name for f in stored.files} == {p.name for p in folder.glob("*.yaml")}
        event = db.session.query(AuditEvent).filter_by(action="rules_published").one()
        assert event.data["version"] == published and event.actor_label.startswith("cli:")


def test_a_broken_set_is_refused_with_its_places_and_nothing_changes(
    app, client, runner, rules_copy
):
    before = active_version(client)
    stored_before = counts(app)
    folder = rules_copy("broken")
    edit(folder, "armor.yaml", "outcome: reject", "outcome: rejekt")
    result = runner.invoke(args=["rules", "publish", str(folder)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{folder}/armor.yaml:44:14: outcome: Must be one of" in result.output
    assert "nothing was stored" in result.output
    assert active_version(client) == before and counts(app) == stored_before


def test_rollback_and_forward_and_the_history(app, client, runner, rules_copy):
    first = active_version(client)
    folder = rules_copy("second")
    edit(folder, "armor.yaml", "title: ", "title: (second) ")
    assert runner.invoke(args=["rules", "publish", str(folder)]).exit_code == 0
    second = active_version(client)

    result = runner.invoke(args=["rules", "activate", first[:8]])
    assert result.exit_code == 0, result.output
    assert active_version(client) == first
    assert "(second)" not in client.get("/guidelines").get_data(as_text=True)
    assert runner.invoke(args=["rules", "activate", second]).exit_code == 0
    assert active_version(client) == second

    listing = runner.invoke(args=["rules", "versions"]).output
    lines = listing.splitlines()
    assert lines[0].startswith(f"* {second}")
    assert sum("active " in line for line in lines) == 4  # first, second, first, second
    assert f"  {first}" in listing and "published at start-up from RULES_DIR" in listing
    with app.app_context():
        actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert actions == ["rules_published", "rules_activated", "rules_activated"]

    missing = runner.invoke(args=["rules", "activate", "ffffffff"])
    assert missing.exit_code == 1 and "No rule set with version ffffffff" in missing.output
    assert active_version(client) == second


def test_stage_stores_without_activating_and_diff_shows_the_change(client, runner, renamed_topic):
    active = active_version(client)
    result = runner.invoke(args=["rules", "stage", str(renamed_topic), "--note", "try"])
    assert result.exit_code == 0, result.output
    staged = result.output.split("version ")[1].split()[0]
    assert active_version(client) == active
    assert "never active" in runner.invoke(args=["rules", "versions"]).output

    diff = runner.invoke(args=["rules", "diff", active, staged])
    assert diff.exit_code == 0, diff.output
    assert f"--- {active}/armor.yaml" in diff.output
    assert f"+++ {staged}/armor.yaml" in diff.output
    assert "+topic: Armour (renamed)" in diff.output
    assert "1 file(s) changed" in diff.output


def test_workers_publishing_the_rules_directory_at_once_both_serve_it(app, client):
    """Two workers start on a fresh database: both find no active version and publish the rules
    directory; the second one's insert meets the first one's row. It serves that version,
    with no warning that the database could not be read."""
    from donations_app.services import rules, rulesets

    published = active_version(client)  # the first worker
    late = rules.RuleBook(app)
    real_active = rulesets.active_version
    looks = [None]  # the second worker looked before the first one committed
    warnings: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rulesets, "active_version", lambda: looks.pop() if looks else real_active())
        patch.setattr(rulesets, "_find", lambda version: None)
        patch.setattr(rules.log, "warning", lambda message, *args: warnings.append(message))
        with app.app_context():
            assert late.active.version == published
    assert warnings == []
    assert counts(app) == (1, 1)
