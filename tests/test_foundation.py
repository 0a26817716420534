"""The app skeleton: configuration, health check, security headers and error formats."""

from __future__ import annotations

import pytest

from donations_app import create_app
from donations_app.config import check_production_secret


def test_healthz_reports_database_and_ruleset(client, app):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["ruleset"]["version"] == app.extensions["rulebook"].active.version


def test_healthz_is_503_when_database_is_unreachable(app_config, tmp_path):
    app_config["SQLALCHEMY_DATABASE_URI"] = (
        "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    )
    app = create_app(app_config)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_production_refuses_missing_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app({"APP_ENV": "production"})


@pytest.mark.parametrize("weak", ["dev", "changeme", "short-but-not-32-characters"])
def test_production_refuses_weak_secret_key(monkeypatch, weak):
    monkeypatch.setenv("SECRET_KEY", weak)
    with pytest.raises(RuntimeError, match="too weak"):
        check_production_secret(weak)


def test_production_accepts_strong_secret_key(monkeypatch, tmp_path):
    strong = "x" * 20 + "A1b2C3d4E5f6G7h8"
    monkeypatch.setenv("SECRET_KEY", strong)
    app = create_app(
        {
            "APP_ENV": "production",
            "PUBLIC_BASE_URL": "https://donations.example.gov",
            "RATELIMIT_STORAGE_URI": "memory://",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}",
            "INSTANCE_PATH": str(tmp_path),
        }
    )
    assert app.config["SECRET_KEY"] == strong
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_default_database_is_sqlite_in_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"APP_ENV": "testing", "INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'donations.sqlite3'}"


def test_database_url_from_environment(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    app = create_app({"APP_ENV": "testing", "INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == url


def test_security_headers_on_every_response(client):
    response = client.get("/healthz")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_unknown_page_is_404_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"Page not found" in response.data


def test_unknown_api_route_is_404_json(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


def test_bootstrap_creates_one_admin_on_an_empty_database_and_prints_it_once(app_config):
    from donations_app.extensions import db
    from donations_app.models import Reviewer
    from donations_app.services.accounts import verify_password

    app_config["CREATE_ADMIN_ON_EMPTY_DB"] = True
    app = create_app(app_config)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["bootstrap"])
    assert first.exit_code == 0
    assert "password:" in first.output
    password = first.output.split("password:")[1].split()[0]
    with app.app_context():
        admins = db.session.query(Reviewer).all()
        assert [a.role for a in admins] == ["admin"]
        assert verify_password(admins[0].password_hash, password)
        assert password not in admins[0].password_hash
    second = runner.invoke(args=["bootstrap"])
    assert second.exit_code == 0
    assert "password" not in second.output


def test_bootstrap_does_nothing_where_admin_creation_is_off(app):
    result = app.test_cli_runner().invoke(args=["bootstrap"])
    assert result.exit_code == 0
    assert result.output == ""
