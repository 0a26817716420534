"""Abuse limits per client: checks, CSV imports, draft saves and draft e-mails, behind proxies,
with the limiter's storage in memory and in Redis."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from donations_app import create_app
from donations_app.extensions import db
from donations_app.models import Draft, OutboxMessage
from tests.api.bodies import offer_body
from tests.intake.helpers import offer_answers, page_token, post_offer
from tests.intake.test_offer_edges import GOOD_CSV, upload

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def limited_app(app_config: dict, **settings: object) -> Flask:
    app_config.update(RATELIMIT_ENABLED=True, **settings)
    return create_app(app_config)


def test_dry_run_checks_are_limited_per_client(app_config: dict) -> None:
    client = limited_app(app_config, CHECK_RATE_LIMIT="2 per hour").test_client()
    for _ in range(2):
        assert client.post("/api/v1/checks", json=offer_body()).status_code == 200
    response = client.post("/api/v1/checks", json=offer_body())
    assert response.status_code == 429
    assert response.get_json()["error"]["title"] == "Too many requests"
    checks = client.get("/api/v1/openapi.json").get_json()["paths"]["/checks"]["post"]
    assert "429" in checks["responses"]


def test_csv_imports_are_limited_and_other_form_actions_are_not(app_config: dict) -> None:
    client = limited_app(app_config, CSV_IMPORT_RATE_LIMIT="1 per hour").test_client()
    assert upload(client, GOOD_CSV.encode()).status_code == 200
    refused = upload(client, GOOD_CSV.encode())
    assert refused.status_code == 429
    assert "Too many requests" in refused.get_data(as_text=True)
    assert post_offer(client, {**offer_answers(), "action": "add"}).status_code == 200


def test_draft_saves_are_limited(app_config: dict) -> None:
    app = limited_app(app_config, DRAFT_SAVE_RATE_LIMIT="2 per hour")
    statuses = [
        post_offer(app.test_client(), {**offer_answers(), "action": "save"}).status_code
        for _ in range(3)
    ]
    assert statuses == [302, 302, 429]
    with app.app_context():
        assert db.session.query(Draft).count() == 2


def save_and_mail(
    client: FlaskClient, email: str, address: str = "127.0.0.1", **answers: str
) -> int:
    """Save the form as a draft and ask for its link by e-mail; the status of that request."""
    post_offer(client, {**offer_answers(**answers), "action": "save"})
    token = page_token(client, "/offer/save")
    return client.post(
        "/offer/save",
        data={"csrf_token": token, "email": email},
        environ_base={"REMOTE_ADDR": address},
    ).status_code


def draft_mails(app: Flask) -> list[str]:
    with app.app_context():
        return [m.to_address for m in db.session.query(OutboxMessage).filter_by(kind="draft_link")]


def test_forty_draft_mails_to_one_stranger_are_cut_off_by_default(app_config: dict) -> None:
    app = limited_app(app_config)
    client = app.test_client()
    statuses = [save_and_mail(client, "stranger@example.org") for _ in range(40)]
    assert statuses.count(302) == 5 and set(statuses[5:]) == {429}
    assert draft_mails(app) == ["stranger@example.org"] * 5


def test_draft_mails_are_limited_per_client(app_config: dict) -> None:
    app = limited_app(app_config, DRAFT_EMAIL_RATE_LIMIT="2 per hour")
    client = app.test_client()
    statuses = [save_and_mail(client, f"person{n}@example.org") for n in range(3)]
    assert statuses == [302, 302, 429]
    assert draft_mails(app) == ["person0@example.org", "person1@example.org"]


def test_draft_mails_are_limited_per_address_whoever_asks(app_config: dict) -> None:
    app = limited_app(app_config, DRAFT_EMAIL_PER_ADDRESS_LIMIT="2 per hour")
    client = app.test_client()
    statuses = [
        save_and_mail(client, "Target@Example.org", address=f"10.0.0.{n}") for n in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert save_and_mail(client, "other@example.org", address="10.0.0.9") == 302
    assert len(draft_mails(app)) == 3


def test_the_address_limit_answers_like_any_other_limit(app_config: dict) -> None:
    app = limited_app(app_config, DRAFT_EMAIL_PER_ADDRESS_LIMIT="1 per hour")
    client = app.test_client()
    save_and_mail(client, "target@example.org", address="10.0.0.1")
    post_offer(client, {**offer_answers(), "action": "save"})
    token = page_token(client, "/offer/save")
    response = client.post(
        "/offer/save",
        data={"csrf_token": token, "email": "target@example.org"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "You have sent too many requests in a short time" in page
    assert "target@example.org" not in page


def test_the_draft_mail_carries_nothing_the_sender_typed(smtp_server, app_config: dict) -> None:
    phishing = "your portal password expires today, re-verify at https://evil.example/verify"
    app_config["PUBLIC_BASE_URL"] = "https://donations.example.gov"
    app = create_app(app_config)
    client = app.test_client()
    client.environ_base["HTTP_HOST"] = "evil.example"
    save_and_mail(client, "jo@agency.gov", **{"agency-name": phishing})
    with app.app_context():
        message = db.session.query(OutboxMessage).filter_by(kind="draft_link").one()
    assert "evil.example" not in message.body_text + message.subject
    assert re.search(r"https://donations\.example\.gov/offer/draft/\S+", message.body_text)


def test_production_refuses_to_start_without_public_base_url(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app(
            {
                "APP_ENV": "production",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}",
                "INSTANCE_PATH": str(tmp_path),
            }
        )


def checks_from(client: FlaskClient, forwarded_for: str) -> int:
    return client.post(
        "/api/v1/checks", json=offer_body(), headers={"X-Forwarded-For": forwarded_for}
    ).status_code


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(app_config: dict) -> None:
    app = limited_app(app_config, CHECK_RATE_LIMIT="1 per hour", TRUSTED_PROXY_COUNT=1)
    client = app.test_client()
    assert checks_from(client, "198.51.100.1") == 200
    assert checks_from(client, "198.51.100.1") == 429
    assert checks_from(client, "198.51.100.2") == 200


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(app_config: dict) -> None:
    client = limited_app(app_config, CHECK_RATE_LIMIT="1 per hour").test_client()
    assert checks_from(client, "198.51.100.1") == 200
    assert checks_from(client, "198.51.100.2") == 429


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own in the Redis server, removed afterwards."""
    redis = pytest.importorskip("redis")
    server = redis.Redis.from_url(REDIS_URL)
    try:
        server.ping()
    except redis.exceptions.ConnectionError as error:
        if os.environ.get("REDIS_REQUIRED") == "1":
            pytest.fail(f"REDIS_REQUIRED=1 but Redis at {REDIS_URL} is unreachable: {error}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable (set REDIS_REQUIRED=1 to fail)")
    prefix = f"donations-test-{uuid.uuid4().hex}"
    yield prefix
    keys = list(server.scan_iter(f"{prefix}*"))
    if keys:
        server.delete(*keys)
    server.close()


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_limits_hold_in_each_storage(app_config: dict, request, storage: str) -> None:
    settings: dict[str, object] = {
        "CHECK_RATE_LIMIT": "1 per hour",
        "DRAFT_EMAIL_PER_ADDRESS_LIMIT": "1 per hour",
    }
    if storage == "redis":
        prefix = request.getfixturevalue("redis_prefix")
        settings["RATELIMIT_STORAGE_URI"] = REDIS_URL
        settings["RATELIMIT_STORAGE_OPTIONS"] = {"key_prefix": prefix}
    app = limited_app(app_config, **settings)
    client = app.test_client()
    assert checks_from(client, "-") == 200
    assert checks_from(client, "-") == 429
    assert save_and_mail(client, "jo@agency.gov", address="10.0.0.1") == 302
    assert save_and_mail(client, "jo@agency.gov", address="10.0.0.2") == 429
    if storage == "redis":
        import redis

        assert list(redis.Redis.from_url(REDIS_URL).scan_iter(f"{prefix}*"))


def production_settings(tmp_path, **settings: object) -> dict:
    return {
        "APP_ENV": "production",
        "PUBLIC_BASE_URL": "https://donations.example.gov",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}",
        "INSTANCE_PATH": str(tmp_path),
        **settings,
    }


def test_production_refuses_to_start_without_a_shared_rate_limit_store(
    monkeypatch, tmp_path, caplog
) -> None:
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI must be set"):
        create_app(production_settings(tmp_path))
    app = create_app(production_settings(tmp_path, RATELIMIT_STORAGE_URI=REDIS_URL))
    assert app.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
    assert "counted in each process apart" not in caplog.text
    create_app(production_settings(tmp_path, RATELIMIT_STORAGE_URI="memory://"))
    assert "counted in each process apart" in caplog.text
    create_app(production_settings(tmp_path, RATELIMIT_ENABLED=False))
