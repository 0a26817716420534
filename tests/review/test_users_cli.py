"""`flask users ...`: accounts created and changed from the shell, every change audited."""

from __future__ import annotations

import re

from donations_app.extensions import db
from donations_app.models import Reviewer
from tests.conftest import audit_actions


def reviewer(app, email):
    with app.app_context():
        found = db.session.query(Reviewer).filter_by(email=email).one()
        db.session.refresh(found)
        return found.role, found.active, sorted(q.slug for q in found.queues)


def test_create_prints_a_one_time_password_that_works(app, runner, auth):
    result = runner.invoke(
        args=[
            "users", "create", "Kim@State.Example.gov", "--name", "Kim Lead",
            "--role", "lead", "--queue", "legal", "--queue", "logistics",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    password = re.search(r"One-time password \(shown once\): (\S+)", result.output).group(1)
    assert reviewer(app, "kim@state.example.gov") == ("lead", True, ["legal", "logistics"])
    assert (
        auth.sign_in("kim@state.example.gov", password, client=app.test_client()).status_code == 302
    )
    assert "account_created" in audit_actions(app)


def test_create_with_password_from_stdin(app, runner, auth):
    result = runner.invoke(
        args=["users", "create", "kim@state.example.gov", "--name", "Kim", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "password" not in result.output.lower().replace("--password", "")
    assert auth.sign_in("kim@state.example.gov", "a long enough password").status_code == 302


def test_create_refuses_short_password_duplicates_and_unknown_queues(app, runner, make_reviewer):
    short = runner.invoke(
        args=["users", "create", "kim@state.example.gov", "--name", "Kim", "--password-stdin"],
        input="short\n",
    )
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    queue = runner.invoke(
        args=["users", "create", "kim@state.example.gov", "--name", "Kim", "--queue", "nope"]
    )
    assert queue.exit_code != 0 and "No such queue: nope" in queue.output
    make_reviewer("kim@state.example.gov")
    duplicate = runner.invoke(args=["users", "create", "KIM@state.example.gov", "--name", "K"])
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    role = runner.invoke(
        args=["users", "create", "x@state.example.gov", "--name", "X", "--role", "king"]
    )
    assert role.exit_code != 0
    with app.app_context():
        assert db.session.query(Reviewer).count() == 1


def test_set_role_deactivate_reactivate_and_list(app, runner, make_reviewer):
    make_reviewer("rita@state.example.gov")
    assert (
        runner.invoke(args=["users", "set-role", "rita@state.example.gov", "lead"]).exit_code == 0
    )
    assert reviewer(app, "rita@state.example.gov")[0] == "lead"
    result = runner.invoke(args=["users", "set-queues", "rita@state.example.gov", "legal"])
    assert result.exit_code == 0, result.output
    assert reviewer(app, "rita@state.example.gov")[2] == ["legal"]
    assert runner.invoke(args=["users", "deactivate", "rita@state.example.gov"]).exit_code == 0
    assert reviewer(app, "rita@state.example.gov")[1] is False
    listing = runner.invoke(args=["users", "list"]).output
    assert "rita@state.example.gov\tlead\tdeactivated\tlegal" in listing
    assert runner.invoke(args=["users", "reactivate", "rita@state.example.gov"]).exit_code == 0
    assert reviewer(app, "rita@state.example.gov")[1] is True
    logged = audit_actions(app)
    for action in ("role_changed", "queues_changed", "account_deactivated", "account_reactivated"):
        assert action in logged


def test_unknown_account_is_an_error(runner):
    result = runner.invoke(args=["users", "deactivate", "ghost@state.example.gov"])
    assert result.exit_code != 0
    assert "No account for ghost@state.example.gov." in result.output


def test_last_active_admin_cannot_be_demoted_or_deactivated(app, runner, make_reviewer):
    make_reviewer("ada@state.example.gov", role="admin")
    demote = runner.invoke(args=["users", "set-role", "ada@state.example.gov", "reviewer"])
    assert demote.exit_code != 0 and "last active admin" in demote.output
    deactivate = runner.invoke(args=["users", "deactivate", "ada@state.example.gov"])
    assert deactivate.exit_code != 0 and "last active admin" in deactivate.output
    assert reviewer(app, "ada@state.example.gov")[:2] == ("admin", True)


def test_unlock(app, runner, auth, make_reviewer):
    make_reviewer("rita@state.example.gov")
    for _ in range(5):
        auth.sign_in("rita@state.example.gov", "wrong password!")
    assert "\tlocked\t" in runner.invoke(args=["users", "list"]).output
    assert runner.invoke(args=["users", "unlock", "rita@state.example.gov"]).exit_code == 0
    assert "\tactive\t" in runner.invoke(args=["users", "list"]).output


def test_reset_password_prints_a_one_time_password_that_replaces_the_old(app, runner, auth):
    """What `make run` tells a newcomer who lost the admin login it printed."""
    created = runner.invoke(args=["users", "create", "kim@state.example.gov", "--name", "Kim"])
    old = re.search(r"\(shown once\): (\S+)", created.output).group(1)
    result = runner.invoke(args=["users", "reset-password", "KIM@state.example.gov"])
    assert result.exit_code == 0, result.output
    new = re.search(
        r"One-time password for kim@state.example.gov \(shown once\): (\S+)", result.output
    )
    assert new and new.group(1) != old
    assert auth.sign_in("kim@state.example.gov", old, client=app.test_client()).status_code != 302
    assert (
        auth.sign_in("kim@state.example.gov", new.group(1), client=app.test_client()).status_code
        == 302
    )
    assert "password_reset" in audit_actions(app)
    assert runner.invoke(args=["users", "reset-password", "ghost@x.example.gov"]).exit_code != 0
