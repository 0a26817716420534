"""Migration 0003_account_security upgrades a database filled by the previous release."""

from __future__ import annotations

import datetime as dt

import flask_migrate
import sqlalchemy as sa

from donations_app import create_app
from donations_app.extensions import db
from donations_app.models import Reviewer
from donations_app.services import sign_in

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
ARGON_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"


def fill_previous_release(conn: sa.Connection) -> None:
    """Accounts, an offer with an item and an evaluation, and audit events, as 0002 held them."""
    meta = sa.MetaData()
    meta.reflect(conn)
    reviewers, offers, items = meta.tables["reviewers"], meta.tables["offers"], meta.tables["items"]
    account = {
        "password_hash": ARGON_HASH,
        "role": "reviewer",
        "active": True,
        "failed_logins": 0,
        "created_at": NOW,
        "last_login_at": None,
        "locked_until": None,
        "session_token": "0" * 32,
    }
    conn.execute(
        reviewers.insert(),
        [
            {**account, "id": 1, "email": "ada@state.example.gov", "name": "Ada", "role": "admin",
             "last_login_at": NOW},
            # Given a one-time password by an admin, never signed in.
            {**account, "id": 2, "email": "new@state.example.gov", "name": "New"},
            # Locked by the old 15-minute lockout.
            {**account, "id": 3, "email": "rita@state.example.gov", "name": "Rita",
             "last_login_at": NOW, "failed_logins": 5,
             "locked_until": NOW + dt.timedelta(minutes=15)},
        ],
    )  # fmt: skip
    queue_id = conn.execute(sa.select(meta.tables["queues"].c.id).limit(1)).scalar_one()
    conn.execute(
        offers.insert(),
        {
            "id": 1, "reference": "INL-2026-000001", "public_id": "p" * 40, "status": "in_review",
            "outcome": "review", "queue_id": queue_id, "assignee_id": 3, "source": "web",
            "agency_name": "Springfield PD", "agency_type": "municipal_police",
            "agency_state": "IL", "agency_city": "Springfield", "contact_name": "Pat Doe",
            "contact_title": "Chief", "contact_email": "pat@springfield.example.gov",
            "recipient": "npu", "authority_confirmed": True, "pickup_zip": "62701",
            "ruleset_version": "v" * 64, "submitted_at": NOW, "updated_at": NOW, "version": 1,
        },
    )  # fmt: skip
    conn.execute(
        items.insert(),
        {
            "id": 1, "offer_id": 1, "position": 0, "category": "helmet",
            "description": "Ballistic helmets", "quantity": 20, "condition": "good",
            "acquired_via": "own_funds", "serial_numbers": [], "outcome": "review", "version": 1,
        },
    )  # fmt: skip
    conn.execute(
        meta.tables["evaluations"].insert(),
        {"id": 1, "offer_id": 1, "ruleset_version": "v" * 64, "as_of": NOW.date(),
         "outcome": "review", "trigger": "submission", "created_at": NOW},
    )  # fmt: skip
    event = {"offer_id": None, "actor_id": None, "actor_type": "system", "reason": "",
             "visible_to_donor": False, "created_at": NOW}  # fmt: skip
    conn.execute(
        meta.tables["audit_events"].insert(),
        [
            {**event, "action": "account_created", "actor_label": "", "data": {"reviewer_id": 2}},
            {**event, "action": "account_locked", "actor_label": "rita@state.example.gov",
             "data": {"reviewer_id": 3, "failed_logins": 5}},
            {**event, "action": "offer_submitted", "offer_id": 1, "actor_label": "",
             "actor_type": "donor", "data": {}},
        ],
    )  # fmt: skip


def count_rows(conn: sa.Connection) -> dict[str, int]:
    tables = ("reviewers", "offers", "items", "evaluations", "audit_events", "queues")
    return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}


def test_upgrade_keeps_every_row_and_sets_sensible_values(empty_database, tmp_path):
    app = create_app(
        {
            "APP_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": empty_database,
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    with app.app_context():
        flask_migrate.upgrade(revision="0002")
        with db.engine.begin() as conn:
            fill_previous_release(conn)
            before = count_rows(conn)
        flask_migrate.upgrade(revision="0003_account_security")
        with db.engine.connect() as conn:
            assert count_rows(conn) == before
            assert conn.execute(
                sa.text("SELECT version_num FROM alembic_version")
            ).scalar_one() == ("0003_account_security")
        accounts = {r.email: r for r in db.session.scalars(sa.select(Reviewer))}
        # Only the account that never signed in still holds a password someone else chose.
        assert {email: r.must_change_password for email, r in accounts.items()} == {
            "ada@state.example.gov": False,
            "new@state.example.gov": True,
            "rita@state.example.gov": False,
        }
        assert all(r.totp_secret is None and r.unlock_nonce is None for r in accounts.values())
        rita = accounts["rita@state.example.gov"]
        assert rita.failed_logins == 5
        assert sign_in.is_locked(rita, NOW) and not sign_in.is_locked(rita, NOW + sign_in.MAX_WAIT)
        # The new table works on the upgraded database.
        attempt = sign_in.authenticate("nobody@state.example.gov", "wrong password!", "10.0.0.1")
        assert attempt.reviewer is None
        assert db.session.execute(sa.text("SELECT count(*) FROM sign_in_backoffs")).scalar() == 2
        db.session.commit()
        db.session.remove()
        # And back: the previous release finds its rows and columns as it left them.
        flask_migrate.downgrade(revision="0002")
        with db.engine.connect() as conn:
            assert count_rows(conn) == before
            columns = {c["name"] for c in sa.inspect(conn).get_columns("reviewers")}
            assert "must_change_password" not in columns and "failed_logins" in columns
            assert "sign_in_backoffs" not in sa.inspect(conn).get_table_names()
        db.engine.dispose()
