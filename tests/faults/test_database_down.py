"""The database goes away under a running server: pages answer 503 with Retry-After (an error
page in the browser, JSON on the API and for JSON clients), /healthz says "unreachable", and
when the database is back the same server process serves again, without a restart."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from donations_app.extensions import db
from tests.api.bodies import offer_body

pytestmark = pytest.mark.slow


@contextmanager
def postgres_down(database_url: str) -> Iterator[None]:
    """Refuse new connections to the database and end every open one, until the block ends."""
    url = make_url(database_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = url.database
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
        yield
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
        admin.dispose()


@contextmanager
def sqlite_file_gone(database_url: str) -> Iterator[None]:
    """Move the database file away and leave a directory in its place, so it cannot open."""
    path = Path(make_url(database_url).database or "")
    aside = path.with_name(path.name + ".aside")
    shutil.move(path, aside)
    path.mkdir()
    try:
        yield
    finally:
        path.rmdir()
        shutil.move(aside, path)


def assert_unavailable(server, status_path: str) -> None:
    status, headers, body = server.get("/healthz")
    assert status == 503 and json.loads(body)["database"] == "unreachable"

    status, headers, body = server.post_json("/api/v1/offers", offer_body())
    assert status == 503, body
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"]["status"] == 503
    assert int(headers["Retry-After"]) > 0

    status, headers, body = server.get(status_path, Accept="text/html")
    assert status == 503 and headers["Content-Type"].startswith("text/html")
    page = body.decode()
    assert "Sorry, the service is unavailable" in page and "Traceback" not in page
    assert int(headers["Retry-After"]) > 0

    status, headers, body = server.get(status_path, Accept="application/json")
    assert status == 503 and json.loads(body)["error"]["title"]


def recovered(server, status_path: str) -> None:
    for _ in range(4):  # whichever worker answers
        status, _, body = server.get("/healthz")
        assert status == 200 and json.loads(body)["database"] == "ok"
    status, _, body = server.post_json("/api/v1/offers", offer_body())
    assert status == 201, body
    assert server.get(status_path, Accept="text/html")[0] == 200
    # The same two workers served throughout: nothing crashed and nothing was restarted.
    assert server.process.poll() is None
    assert server.log().count("Booting worker") == 2, server.log()


def first_offer(client) -> str:
    """Submit an offer (before the fault) and return the path of its status page."""
    response = client.post("/api/v1/offers", json=offer_body())
    assert response.status_code == 201
    return urlsplit(response.get_json()["status_url"]).path


@pytest.mark.postgres
def test_postgres_down_then_back_without_a_restart(database_url, client, start_server):
    status_path = first_offer(client)
    server = start_server(database_url)
    # The workers hold pooled connections now, which the fault has to break.
    for _ in range(6):
        assert server.get(status_path)[0] == 200
    with postgres_down(database_url):
        for _ in range(2):
            assert_unavailable(server, status_path)
    recovered(server, status_path)


def test_sqlite_file_missing_then_back_without_a_restart(
    backend, database_url, client, start_server
):
    # An open SQLite connection keeps reading and writing a file that was moved or deleted
    # (it holds the inode), so the fault is a file that is not there when the server connects.
    if backend != "sqlite":
        pytest.skip("SQLite only")
    status_path = first_offer(client)
    with sqlite_file_gone(database_url):
        server = start_server(database_url)
        for _ in range(2):
            assert_unavailable(server, status_path)
    recovered(server, status_path)


def test_signed_in_reviewer_gets_the_outage_page(backend, app, client, auth, database_url):
    # Rendering any page loads the signed-in reviewer from the database that is down.
    auth.as_role("reviewer")
    assert client.get("/review/").status_code == 200
    if backend == "sqlite":
        with app.app_context():
            db.engine.dispose()  # the open connection would go on reading the moved file
        outage = sqlite_file_gone(database_url)
    else:
        outage = postgres_down(database_url)
    with outage:
        page = client.get("/review/", headers={"Accept": "text/html"})
        assert page.status_code == 503 and page.mimetype == "text/html"
        assert "Sorry, the service is unavailable" in page.text
        assert page.headers["Retry-After"]
    assert client.get("/review/").status_code == 200  # still signed in once it is back
