"""/review/admin/rules: the history of rule sets, a diff, pending errors, activation."""

from __future__ import annotations

import html

from donations_app.extensions import db
from donations_app.models import AuditEvent
from tests.conftest import csrf_token
from tests.rulesets.conftest import edit


def served_version(client) -> str:
    return client.get("/healthz").get_json()["ruleset"]["version"]


def test_history_diff_and_activation_with_confirmation(app, client, auth, runner, rules_copy):
    admin = auth.as_role("admin")
    first = served_version(client)
    folder = rules_copy("next")
    edit(folder, "armor.yaml", "title: ", "title: (edited) ")
    assert runner.invoke(args=["rules", "publish", str(folder), "--note", "armor"]).exit_code == 0
    second = served_version(client)

    page = client.get("/review/admin/rules")
    assert page.status_code == 200
    text = html.unescape(page.get_data(as_text=True))
    assert "published at start-up from RULES_DIR" in text and "armor" in text
    assert f"{second}</code> <strong>(active)</strong>" in text
    assert f"Changes from {first} to {second}" not in text

    compared = client.get(f"/review/admin/rules?old={first}&new={second}")
    text = html.unescape(compared.get_data(as_text=True))
    assert compared.status_code == 200 and f"Changes from {first} to {second}" in text
    assert f"+++ {second}/armor.yaml" in text
    assert "(edited)" in text and "1 file(s) changed" in text

    bad = client.get(f"/review/admin/rules?old={first}&new=nonsense")
    assert bad.status_code == 400 and "Not a valid choice" in bad.get_data(as_text=True)

    confirm = client.get(f"/review/admin/rules/{first}/activate")
    assert confirm.status_code == 200
    assert f"Activate rule set {first}?" in confirm.get_data(as_text=True)
    assert served_version(client) == second  # looking is not activating
    token = csrf_token(confirm.get_data(as_text=True))
    done = client.post(f"/review/admin/rules/{first}/activate", data={"csrf_token": token})
    assert done.status_code == 302
    assert served_version(client) == first
    assert f"Rule set {first} is now active." in client.get("/review/admin/rules").get_data(
        as_text=True
    )
    with app.app_context():
        event = db.session.query(AuditEvent).filter_by(action="rules_activated").one()
        assert event.actor_id == admin.id and event.data["version"] == first
    assert client.get("/review/admin/rules/ffffffff/activate").status_code == 404


def test_activation_needs_the_csrf_token(app, client, auth):
    auth.as_role("admin")
    version = served_version(client)
    assert client.post(f"/review/admin/rules/{version}/activate").status_code == 400


def test_the_errors_of_a_broken_development_edit_are_shown(app_config, rules_copy, auth):
    from donations_app import create_app

    folder = rules_copy("watched")
    app = create_app(
        {**app_config, "RULES_DIR": str(folder), "RULES_WATCH": True, "RULES_REFRESH_SECONDS": 0}
    )
    client = app.test_client()
    served = served_version(client)
    auth.sign_in_as(auth.make_reviewer(role="admin"), client)
    edit(folder, "needs.yaml", "rules:", "rulez:")
    page = html.unescape(client.get("/review/admin/rules").get_data(as_text=True))
    assert "The last edit of the rules folder was not published" in page
    assert f"{folder}/needs.yaml:1:1:" in page and f"version {served} keeps serving" in page
    with app.app_context():
        db.engine.dispose()
