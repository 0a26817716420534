"""Easy-to-guess passwords are refused, with a message on the field saying what to do."""

from __future__ import annotations

import pytest

from donations_app.services import accounts
from tests.conftest import PASSWORD, csrf_token

HARD_TO_GUESS = "Choose a password that is hard to guess"


@pytest.fixture
def app_config(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def change_password(client, new: str):
    page = client.get("/review/account/password")
    return client.post(
        "/review/account/password",
        data={
            "csrf_token": csrf_token(page.text),
            "current_password": PASSWORD,
            "new_password": new,
            "confirm_password": new,
        },
    )


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaaaa",
        "password1234",
        "qwertyuiop123",
        "123456789012",
        # Built from the reviewer's own e-mail address and name.
        "rita.reviewer1",
        "ReviewerRita2026",
    ],
)
def test_easy_passwords_are_refused_on_the_field(auth, password):
    auth.as_role("reviewer", name="Rita Reviewer")
    response = change_password(auth.client, password)
    assert response.status_code == 400
    assert "<title>Error: Change your password" in response.text
    assert 'href="#new_password"' in response.text
    assert HARD_TO_GUESS in response.text
    assert "four or more unrelated words" in response.text


def test_a_hard_password_is_accepted(auth):
    auth.as_role("reviewer")
    assert change_password(auth.client, "gravel lantern orbit mosaic").status_code == 302


def test_a_long_passphrase_is_judged_by_its_start(app):
    with app.app_context():
        accounts.check_password_strength("gravel lantern orbit mosaic " * 9)  # 252 characters
        with pytest.raises(accounts.AccountError, match="hard to guess"):
            accounts.check_password_strength("a" * 200)


def test_the_minimum_length_stays_twelve(app):
    assert accounts.MIN_PASSWORD_LENGTH == 12
    with app.app_context(), pytest.raises(accounts.AccountError, match="at least 12"):
        accounts.check_password_strength("x7#Kq!m2Lp9")


def test_generated_one_time_passwords_pass_the_check(app):
    with app.app_context():
        for _ in range(50):
            accounts.check_password_strength(
                accounts.generate_password(), ("kim@state.example.gov", "Kim Reviewer")
            )


def test_the_cli_refuses_a_common_password(app, runner):
    result = runner.invoke(
        args=["users", "create", "kim@state.example.gov", "--name", "Kim", "--password-stdin"],
        input="password1234\n",
    )
    assert result.exit_code != 0
    assert HARD_TO_GUESS in result.output
