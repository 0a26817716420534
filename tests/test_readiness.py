"""GET /readyz: 200 when the database answers, a rule set is loaded and the outbox keeps up;
otherwise 503 with a JSON body naming each failing check."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from donations_app import create_app
from donations_app.config import PROJECT_ROOT
from donations_app.extensions import db
from donations_app.models import OutboxMessage, utcnow


def add_mail(app, *, due_seconds_ago: float, status: str = "pending") -> None:
    with app.app_context():
        due = utcnow() - dt.timedelta(seconds=due_seconds_ago)
        db.session.add(
            OutboxMessage(
                kind="test",
                to_address="pat@springfield.example.gov",
                subject="s",
                body_text="b",
                status=status,
                next_attempt_at=due,
                created_at=due,
            )
        )
        db.session.commit()


@pytest.fixture
def unreachable_database(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite3'}"
    # Nothing listens on port 1: the connection is refused at once.
    return "postgresql+psycopg://postgres@127.0.0.1:1/donations"


def test_ready_when_everything_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready" and body["failing"] == []
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["rules"]["status"] == "ok" and body["checks"]["rules"]["version"]
    assert body["checks"]["outbox"] == {"status": "ok", "lag_seconds": 0.0, "max_lag_seconds": 300}


def test_outbox_lag_within_the_limit_is_ready_and_beyond_it_is_not(app_config):
    app_config["READY_OUTBOX_MAX_LAG_SECONDS"] = 120
    app = create_app(app_config)
    client = app.test_client()
    add_mail(app, due_seconds_ago=30)
    body = client.get("/readyz").get_json()
    assert body["status"] == "ready"
    assert 30 <= body["checks"]["outbox"]["lag_seconds"] < 120

    add_mail(app, due_seconds_ago=600)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["failing"] == ["outbox"]
    assert body["checks"]["outbox"]["status"] == "failing"
    assert body["checks"]["outbox"]["lag_seconds"] >= 600
    assert body["checks"]["database"]["status"] == "ok"


def test_sent_dead_and_not_yet_due_mail_is_no_lag(app_config):
    app = create_app(app_config)
    add_mail(app, due_seconds_ago=3600, status="sent")
    add_mail(app, due_seconds_ago=3600, status="dead")
    add_mail(app, due_seconds_ago=-3600)  # waiting for its retry, an hour from now
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["outbox"]["lag_seconds"] == 0.0


def test_database_down_is_named(app_config, unreachable_database):
    app_config["SQLALCHEMY_DATABASE_URI"] = unreachable_database
    app = create_app(app_config)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failing"] == ["database"]
    assert body["checks"]["database"] == {"status": "failing", "error": "unreachable"}
    # The rules directory still serves while the database is away.
    assert body["checks"]["rules"]["status"] == "ok"
    assert body["checks"]["outbox"]["status"] == "unknown"


def test_no_rule_set_loaded_is_named(app_config, unreachable_database, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(PROJECT_ROOT / "rules", rules)
    app_config.update(SQLALCHEMY_DATABASE_URI=unreachable_database, RULES_DIR=str(rules))
    app = create_app(app_config)
    # The rules directory breaks before the first request, with no database to fall back on.
    (rules / "catalog.yaml").write_text("categories: [")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failing"] == ["database", "rules"]
    assert body["checks"]["rules"]["error"] == "no rule set is loaded"
    assert body["checks"]["rules"]["errors"]
