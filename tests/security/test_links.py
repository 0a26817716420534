"""Links that leave the site never follow a forged Host header.

Audit finding (high): with PUBLIC_BASE_URL unset, the confirmation e-mail, the draft e-mail and
the API's Location header pointed at whatever host the client named.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from donations_app import create_app
from donations_app.extensions import db
from donations_app.models import OutboxMessage
from tests.api.bodies import offer_body

STRONG_SECRET = "x" * 20 + "A1b2C3d4E5f6G7h8"
FORGED = {"Host": "evil.example.com"}


@pytest.fixture
def production_config(app_config, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", STRONG_SECRET)
    return {
        **app_config,
        "APP_ENV": "production",
        "SECRET_KEY": STRONG_SECRET,
        "RATELIMIT_STORAGE_URI": "memory://",
    }


def test_production_refuses_to_start_without_public_base_url(production_config):
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL must be set"):
        create_app(production_config)
    with pytest.raises(RuntimeError, match="https address"):
        create_app({**production_config, "PUBLIC_BASE_URL": "http://donations.example.gov"})


def test_production_answers_only_to_its_own_host(production_config):
    app = create_app({**production_config, "PUBLIC_BASE_URL": "https://donations.example.gov"})
    client = app.test_client()
    ok = client.get("/healthz", base_url="https://donations.example.gov")
    assert ok.status_code == 200
    forged = client.post(
        "/api/v1/offers",
        json=offer_body(),
        headers=FORGED,
        base_url="https://donations.example.gov",
    )
    assert forged.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_links_in_answers_and_mail_use_public_base_url_whatever_the_host(app_config):
    app = create_app({**app_config, "PUBLIC_BASE_URL": "https://donations.example.gov"})
    client = app.test_client()
    response = client.post("/api/v1/offers", json=offer_body(), headers=FORGED)
    assert response.status_code == 201
    assert response.headers["Location"].startswith("https://donations.example.gov/status/")
    assert response.get_json()["status_url"].startswith("https://donations.example.gov/status/")
    with app.app_context():
        bodies = [m.body_text for m in db.session.scalars(sa.select(OutboxMessage))]
    assert bodies and all("evil.example.com" not in body for body in bodies)
    assert any("https://donations.example.gov/status/" in body for body in bodies)


def test_development_signs_with_a_key_of_its_own(monkeypatch, tmp_path):
    # Audit finding (low): an unset APP_ENV ran with a development key published in the code.
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("APP_ENV", raising=False)
    first = create_app({"INSTANCE_PATH": str(tmp_path / "a")}).config["SECRET_KEY"]
    again = create_app({"INSTANCE_PATH": str(tmp_path / "a")}).config["SECRET_KEY"]
    other = create_app({"INSTANCE_PATH": str(tmp_path / "b")}).config["SECRET_KEY"]
    assert len(first) >= 48 and first == again != other
    assert (tmp_path / "a" / "secret_key").stat().st_mode & 0o077 == 0
