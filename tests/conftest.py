"""Shared fixtures: an app on a fresh, migrated database (SQLite, or PostgreSQL with --db),
a test client, a CLI runner, a real SMTP server that collects the mail the app sends, reviewer
accounts made through the account service, and signing in through the sign-in page."""

from __future__ import annotations

import functools
import os
import re
import shutil
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.engine import make_url
from werkzeug.test import TestResponse

from donations_app import create_app
from donations_app.extensions import db
from donations_app.guidelines import RuleSet, load_rules
from donations_app.models import AuditEvent, Reviewer
from donations_app.services import accounts
from donations_app.services import rules as rulebook_module
from donations_app.services.queues import all_queues

# The upgrade tests' fixtures (an empty database of the backend under test).
pytest_plugins = ["tests.migrations"]

# Tables whose rows are data fixed by the migrations, kept between tests.
SEEDED_TABLES = {"alembic_version", "queues"}
# The password of every account the tests make, unless a test is about another one.
PASSWORD = "correct horse battery staple"
# Who holds each role when a test does not name someone.
EMAIL_FOR_ROLE = {
    "reviewer": "rita@state.example.gov",
    "lead": "lena@state.example.gov",
    "admin": "ada@state.example.gov",
}
_CSRF_TOKEN = re.compile(
    r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"'
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="database backend; postgresql needs TEST_DATABASE_URL",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--db") == "postgresql" and not os.environ.get("TEST_DATABASE_URL"):
        raise pytest.UsageError("--db=postgresql needs TEST_DATABASE_URL")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Tests marked `postgres` are about PostgreSQL only: on the SQLite run they are skipped.
    if config.getoption("--db") != "postgresql":
        skip = pytest.mark.skip(reason="PostgreSQL only: runs with --db=postgresql")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


def _migrate(url: str, instance: Path) -> None:
    import flask_migrate

    app = create_app(
        {"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance)}
    )
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


def _cached_rule_loader() -> Callable[..., RuleSet]:
    """load_rules, remembered per directory and file stamps: a RuleSet is immutable, and
    loading it again for each test's app would cost ~0.1 s a test."""
    cache: dict[tuple, RuleSet] = {}

    def load(path: str | Path, *args: object, **kwargs: object) -> RuleSet:
        folder = Path(path).resolve()
        stamps = tuple(
            (p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.iterdir())
        )
        key = (str(folder), stamps, args, tuple(sorted(kwargs.items())))
        if key not in cache:
            cache[key] = load_rules(path, *args, **kwargs)
        return cache[key]

    return load


@pytest.fixture(scope="session", autouse=True)
def _reuse_loaded_rules() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rulebook_module, "load_rules", _cached_rule_loader())
        yield


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return request.config.getoption("--db")


@pytest.fixture(scope="session")
def database_template(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database for this test session: a template SQLite file, or a new PG database."""
    instance = tmp_path_factory.mktemp("instance")
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "template.sqlite3"
        _migrate(f"sqlite:///{path}", instance)
        yield str(path)
        return
    server = make_url(os.environ["TEST_DATABASE_URL"]).set(drivername="postgresql+psycopg")
    name = f"{server.database or 'donations_test'}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        pytest.fail(f"TEST_DATABASE_URL is set but PostgreSQL is unreachable: {error}")
    url = server.set(database=name).render_as_string(hide_password=False)
    _migrate(url, instance)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(backend: str, database_template: str, tmp_path: Path) -> str:
    """A clean, migrated database for one test."""
    if backend == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(database_template, path)
        return f"sqlite:///{path}"
    engine = sa.create_engine(database_template)
    with engine.begin() as conn:
        # DELETE with triggers off (replica role) is ten times faster than TRUNCATE on small
        # tables; the append-only trigger on audit_events would refuse it otherwise.
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for table in sa.inspect(conn).get_table_names():
            if table not in SEEDED_TABLES:
                conn.execute(sa.text(f'DELETE FROM "{table}"'))
    engine.dispose()
    return database_template


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict:
    """Settings for the test app; a test may change them before asking for `app`."""
    return {
        "APP_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
    }


@pytest.fixture
def app(app_config: dict) -> Iterator[Flask]:
    app = create_app(app_config)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MailCollector:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Wait until at least `count` messages arrived (mail is sent from another thread)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


def mail_text(message: EmailMessage) -> str:
    """The plain-text part of an e-mail (every mail also has an HTML part)."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the e-mail has no plain-text part"
    return part.get_content()


@pytest.fixture
def smtp_server(app_config: dict) -> Iterator[MailCollector]:
    """A real SMTP server on a free local port; the app is configured to send through it."""
    collector = MailCollector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    app_config["SMTP_HOST"] = "127.0.0.1"
    app_config["SMTP_PORT"] = port
    yield collector
    controller.stop()


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = _CSRF_TOKEN.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1) or match.group(2)


def audit_actions(app: Flask) -> list[str]:
    """Every audit action recorded, oldest first."""
    with app.app_context():
        return [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]


def create_account(
    app: Flask,
    email: str | None = None,
    *,
    role: str = "reviewer",
    queues: Iterable[str] | None = None,
    name: str = "",
    active: bool = True,
) -> Reviewer:
    """A committed reviewer account made by the account service, as an admin would make it.

    Without `queues` the reviewer works every queue (a reviewer may only pick up work in their
    own queues); `queues=()` makes one who works none. The reviewer is returned detached, with
    its queues loaded, so a test can read it anywhere.
    """
    email = email or EMAIL_FOR_ROLE[role]
    with app.app_context():
        chosen = all_queues() if queues is None else accounts.queues_by_slug(queues)
        reviewer = accounts.create_reviewer(
            email,
            name or email.split("@")[0].title(),
            PASSWORD,
            role=role,
            queues=chosen,
        )
        if not active:
            accounts.deactivate(reviewer)
        db.session.commit()
        db.session.refresh(reviewer)
        _ = reviewer.queues
        db.session.expunge(reviewer)
        return reviewer


@pytest.fixture
def make_reviewer(app: Flask) -> Callable[..., Reviewer]:
    """make_reviewer(email=None, role=..., queues=(slugs), name=..., active=...)."""
    return functools.partial(create_account, app)


class AuthActions:
    """Signs test clients in and out through the sign-in page, as a reviewer does."""

    def __init__(self, client: FlaskClient, make_reviewer: Callable[..., Reviewer]) -> None:
        self.client = client
        self.make_reviewer = make_reviewer

    def sign_in(
        self,
        email: str = EMAIL_FOR_ROLE["reviewer"],
        password: str = PASSWORD,
        *,
        next_url: str | None = None,
        client: FlaskClient | None = None,
    ) -> TestResponse:
        """Post the sign-in form (default client unless `client`) and return the answer."""
        client = client or self.client
        page = client.get("/review/sign-in")
        url = "/review/sign-in" + (f"?next={next_url}" if next_url else "")
        return client.post(
            url, data={"csrf_token": csrf_token(page.text), "email": email, "password": password}
        )

    def sign_in_as(self, reviewer: Reviewer, client: FlaskClient | None = None) -> FlaskClient:
        """Sign the client in as the reviewer (it must succeed) and return the client."""
        client = client or self.client
        response = self.sign_in(reviewer.email, client=client)
        assert response.status_code == 302, response.text
        return client

    def as_role(
        self, role: str = "reviewer", *, client: FlaskClient | None = None, **fields: object
    ) -> Reviewer:
        """Make a reviewer with this role (and `fields` for make_reviewer) and sign them in."""
        reviewer = self.make_reviewer(role=role, **fields)
        self.sign_in_as(reviewer, client)
        return reviewer

    def sign_out(self, client: FlaskClient | None = None) -> TestResponse:
        """Press "Sign out" on a reviewer page."""
        client = client or self.client
        page = client.get("/review/account/password")
        return client.post("/review/sign-out", data={"csrf_token": csrf_token(page.text)})


@pytest.fixture
def auth(client: FlaskClient, make_reviewer: Callable[..., Reviewer]) -> AuthActions:
    return AuthActions(client, make_reviewer)
