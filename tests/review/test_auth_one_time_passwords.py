"""Passwords someone else chose (one-time passwords) must be changed before anything else."""

from __future__ import annotations

import re

import pytest

from donations_app.extensions import db
from donations_app.models import Reviewer
from donations_app.services import accounts
from tests.conftest import csrf_token


@pytest.fixture
def app_config(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def change_password(client, current: str, new: str):
    page = client.get("/review/account/password")
    return client.post(
        "/review/account/password",
        data={
            "csrf_token": csrf_token(page.text),
            "current_password": current,
            "new_password": new,
            "confirm_password": new,
        },
    )


def must_change(app, email: str) -> bool:
    with app.app_context():
        return db.session.query(Reviewer).filter_by(email=email).one().must_change_password


def test_an_account_made_by_an_admin_must_change_its_password_first(app, auth):
    auth.as_role("admin")
    page = auth.client.get("/review/admin/accounts/new")
    created = auth.client.post(
        "/review/admin/accounts/new",
        data={
            "csrf_token": csrf_token(page.text),
            "name": "Kim Reviewer",
            "email": "kim@state.example.gov",
            "role": "reviewer",
        },
    )
    password = re.search(r'id="one-time-password">([^<]+)<', created.text).group(1)
    assert must_change(app, "kim@state.example.gov")

    kim = app.test_client()
    signed_in = auth.sign_in("kim@state.example.gov", password, client=kim)
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"].endswith("/review/account/password")
    # Every other reviewer page sends Kim back to the change-password page.
    for url in ("/review/", "/review/offers", "/review/exports"):
        response = kim.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].endswith("/review/account/password")
    assert (
        "Choose your own password before you carry on." in kim.get("/review/account/password").text
    )

    assert change_password(kim, password, "gravel lantern orbit mosaic").status_code == 302
    assert not must_change(app, "kim@state.example.gov")
    assert kim.get("/review/").status_code == 200


def test_sign_out_works_before_the_password_is_changed(app, auth, runner):
    result = runner.invoke(args=["users", "create", "kim@state.example.gov", "--name", "Kim"])
    password = re.search(r"One-time password \(shown once\): (\S+)", result.output).group(1)
    assert "must be changed at the first sign-in" in result.output
    assert must_change(app, "kim@state.example.gov")
    auth.sign_in("kim@state.example.gov", password)
    assert auth.sign_out().status_code == 302
    assert auth.client.get("/review/account/password").status_code == 302  # signed out


def test_a_self_chosen_password_from_the_cli_need_not_change(app, runner, auth):
    runner.invoke(
        args=["users", "create", "kim@state.example.gov", "--name", "Kim", "--password-stdin"],
        input="gravel lantern orbit mosaic\n",
    )
    assert not must_change(app, "kim@state.example.gov")
    auth.sign_in("kim@state.example.gov", "gravel lantern orbit mosaic")
    assert auth.client.get("/review/").status_code == 200


def test_a_reset_password_must_be_changed_at_the_next_sign_in(app, auth, make_reviewer):
    rita = make_reviewer()
    assert not must_change(app, rita.email)
    with app.app_context():
        password = accounts.reset_password(db.session.get(Reviewer, rita.id))
    assert must_change(app, rita.email)
    auth.sign_in(rita.email, password)
    assert auth.client.get("/review/").headers["Location"].endswith("/review/account/password")


def test_the_bootstrap_admin_must_change_its_password(app, runner):
    app.config["CREATE_ADMIN_ON_EMPTY_DB"] = True
    result = runner.invoke(args=["bootstrap"])
    assert "admin@inl.example.gov" in result.output
    assert must_change(app, "admin@inl.example.gov")


def test_changing_the_password_keeps_the_one_time_flag_until_it_succeeds(app, auth, runner):
    result = runner.invoke(args=["users", "create", "kim@state.example.gov", "--name", "Kim"])
    password = re.search(r"One-time password \(shown once\): (\S+)", result.output).group(1)
    auth.sign_in("kim@state.example.gov", password)
    assert change_password(auth.client, password, "password1234").status_code == 400
    assert must_change(app, "kim@state.example.gov")
    assert auth.client.get("/review/").status_code == 302
