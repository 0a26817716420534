"""Plumbing for the upgrade tests: an empty database of the backend under test, and a
migration module read from migrations/versions/ (its revision and down_revision)."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import make_url

VERSIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"


def migration(filename: str) -> ModuleType:
    """The migration module `filename` (e.g. "0005_rule_sets.py"), loaded from its file."""
    spec = importlib.util.spec_from_file_location(f"migration_{filename[:4]}", VERSIONS / filename)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database (SQLite file, or a PostgreSQL database of its own)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'previous.sqlite3'}"
        return
    server = make_url(os.environ["TEST_DATABASE_URL"]).set(drivername="postgresql+psycopg")
    name = f"{server.database or 'donations_test'}_up_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextlib.contextmanager
def app_at_revision(database_url: str, instance: Path, revision: str) -> Iterator[Flask]:
    """A testing app on `database_url` migrated to `revision`, inside its app context (the
    previous release's schema, for an upgrade test to fill and upgrade)."""
    from donations_app import create_app
    from donations_app.extensions import db

    app = create_app(
        {
            "APP_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": str(instance / "instance"),
        }
    )
    with app.app_context():
        flask_migrate.upgrade(revision=revision)
        yield app
        db.session.remove()
        db.engine.dispose()
