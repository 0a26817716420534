"""The INL donations service: create_app builds the Flask application."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from donations_app.config import (
    PROJECT_ROOT,
    check_production_links,
    check_production_rate_limits,
    check_production_secret,
    check_upload_limits,
    config_for,
    instance_secret_key,
)
from donations_app.services.text_fold import fold


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app for APP_ENV, with `config` overriding settings (tests pass a dict)."""
    instance_path = (
        (config or {}).get("INSTANCE_PATH")
        or os.environ.get("INSTANCE_PATH")
        or str(PROJECT_ROOT / "instance")
    )
    app = Flask(
        __name__,
        instance_path=instance_path,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.from_object(config_for((config or {}).get("APP_ENV"))())
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY") and app.config["ENV_NAME"] != "production":
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        db_file = Path(app.instance_path) / "donations.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_file}"
    if not app.config.get("ATTACHMENTS_DIR"):
        app.config["ATTACHMENTS_DIR"] = str(Path(app.instance_path) / "attachments")
    if not app.config.get("EXPORTS_DIR"):
        app.config["EXPORTS_DIR"] = str(Path(app.instance_path) / "exports")
    check_upload_limits(app.config)
    if app.config["ENV_NAME"] == "production":
        check_production_secret(app.config["SECRET_KEY"])
        check_production_links(app.config)
        check_production_rate_limits(app.config)

    register_proxies(app)
    register_observability(app)
    register_extensions(app)
    register_rules(app)
    register_blueprints(app)
    register_labels(app)
    register_security(app)
    register_errors(app)
    register_commands(app)
    register_outbox_sender(app)
    register_static_files(app)
    return app


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers work while a submission writes; foreign keys are off by default in SQLite.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # The offer list tests a row the way the FTS5 search tables match it (services/search).
        dbapi_connection.create_function("fts_fold", 1, fold, deterministic=True)


def register_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXY_COUNT reverse proxies, take the client's address from X-Forwarded-*.

    With the default 0 the headers are ignored, so a client cannot choose its own address
    (and with it, its own rate-limit budget).
    """
    hops = app.config["TRUSTED_PROXY_COUNT"]
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def register_observability(app: Flask) -> None:
    """Request ids, JSON logs, metrics and error reporting (first, so every request has an id)."""
    from donations_app.observability import init_observability

    init_observability(app)


def register_extensions(app: Flask) -> None:
    """Bind the database, migrations, CSRF, sign-in and rate limiting to the app."""
    from donations_app.extensions import csrf, db, limiter, login_manager

    db.init_app(app)
    if app.config["CLI_MIGRATIONS"]:
        register_migrations(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    import donations_app.auth  # noqa: F401  (registers the user loader)

    limiter.init_app(app)


def register_migrations(app: Flask) -> None:
    """`flask db ...` through Flask-Migrate. It imports alembic, which only migrations need:
    the web server builds the app with CLI_MIGRATIONS off (gunicorn.conf.py), so its workers
    never load it."""
    from flask_migrate import Migrate

    from donations_app.extensions import db

    Migrate(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)


def register_rules(app: Flask) -> None:
    """Serve the database's active rule set (publishing RULES_DIR on a fresh database)."""
    from donations_app.services.rules import install_rulebook

    install_rulebook(app)


def register_blueprints(app: Flask) -> None:
    """Mount the public, reviewer, API and system blueprints."""
    from donations_app.api import bp as api_bp
    from donations_app.extensions import csrf
    from donations_app.intake import bp as intake_bp
    from donations_app.review import bp as review_bp
    from donations_app.system import bp as system_bp

    app.register_blueprint(system_bp)
    app.register_blueprint(intake_bp)
    app.register_blueprint(review_bp)
    # The API authenticates nothing by cookie, so cross-site request forgery does not apply to it.
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)


def register_labels(app: Flask) -> None:
    """Give templates the label filters: the one way a code becomes words on a page."""
    from donations_app.labels import register_label_filters
    from donations_app.mail_format import quote

    register_label_filters(app)
    app.jinja_env.filters["quote"] = quote


def register_security(app: Flask) -> None:
    """Send a strict Content-Security-Policy and the other protective headers on every response."""
    from donations_app.security import set_security_headers

    app.after_request(set_security_headers)


def register_errors(app: Flask) -> None:
    """Answer errors as pages in the browser and as JSON on the API, never a bare 500."""
    from donations_app.errors import register_error_handlers

    register_error_handlers(app)


def register_commands(app: Flask) -> None:
    """Add the flask CLI groups."""
    from donations_app.cli import register_cli

    register_cli(app)


def register_static_files(app: Flask) -> None:
    """Serve the fingerprinted, compressed build of `make assets` with far-future caching."""
    from donations_app.static_assets import register_static_files as serve_built_assets

    serve_built_assets(app)


def register_outbox_sender(app: Flask) -> None:
    """With OUTBOX_IN_APP_SENDER (`make run`), send the outbox from a thread of the server, and
    with JOBS_IN_APP_WORKER run the jobs started from pages in another.

    The threads start with the first request, so CLI commands such as `flask db upgrade`
    never start them; production runs `flask outbox send --loop` and `flask jobs work --loop`
    as workers instead.
    """
    if app.config.get("TESTING"):
        return
    import threading

    from donations_app.services.jobs import start_in_app_worker
    from donations_app.services.notify import start_in_app_sender

    wanted = {
        name: start
        for name, setting, start in (
            ("outbox_sender", "OUTBOX_IN_APP_SENDER", start_in_app_sender),
            ("job_worker", "JOBS_IN_APP_WORKER", start_in_app_worker),
        )
        if app.config.get(setting)
    }
    if not wanted:
        return
    lock = threading.Lock()

    @app.before_request
    def _start_background_threads() -> None:
        if all(name in app.extensions for name in wanted):
            return
        with lock:
            for name, start in wanted.items():
                if name not in app.extensions:
                    start(app)
