"""The SQLite database's disk fills up: submissions are refused with a clear 507 (a page in the
browser, JSON on the API), nothing half-written stays behind, and once space is freed
submissions work again.

As root (as on the CI machines) the database lives on a tmpfs mounted by the test with a
size limit and filled with a ballast file: a real ENOSPC. Without the right to mount, SQLite's
`PRAGMA max_page_count` caps the file instead, which SQLite reports with the same SQLITE_FULL.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from donations_app import create_app
from donations_app.extensions import db
from tests.api.bodies import offer_body
from tests.faults.stored import complete_offers
from tests.intake.helpers import offer_answers, page_token, post_offer

pytestmark = pytest.mark.slow

DISK_BYTES = 8 * 1024 * 1024
FREE_BYTES = 1024 * 1024  # left free next to the ballast: room for some offers


class TinyDisk:
    """Where the database lives, and how to fill and free its space."""

    def __init__(self, folder: Path, mounted: bool) -> None:
        self.folder = folder
        self.mounted = mounted
        self.ballast = folder / "ballast"
        self.page_limit: int | None = None

    def fill(self, database: Path) -> None:
        if self.mounted:
            free = shutil.disk_usage(self.folder).free
            with self.ballast.open("wb") as handle:
                handle.write(b"\0" * max(free - FREE_BYTES, 0))
        else:
            page_size = 4096
            self.page_limit = database.stat().st_size // page_size + FREE_BYTES // page_size

    def free(self) -> None:
        if self.mounted:
            self.ballast.unlink()
        else:
            self.page_limit = None


def submit_form(client):
    """Fill in the web form, check the answers and submit: the last answer."""
    response = post_offer(client, offer_answers(), headers={"Accept": "text/html"})
    if response.status_code != 302:
        return response
    token = page_token(client, "/offer/check")
    return client.post("/offer/submit", data={"csrf_token": token}, headers={"Accept": "text/html"})


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[TinyDisk]:
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = os.geteuid() == 0 and (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(folder)],
            capture_output=True,
        ).returncode
        == 0
    )
    yield TinyDisk(folder, mounted)
    if mounted:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def test_disk_full_refuses_cleanly_and_recovers(backend, database_url, app_config, tiny_disk):
    if backend != "sqlite":
        pytest.skip("SQLite only: the database file is on a disk the test controls")
    database = tiny_disk.folder / "donations.sqlite3"
    shutil.copyfile(make_url(database_url).database, database)
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"})
    with app.app_context():

        @sa.event.listens_for(db.engine, "connect")
        def _cap_pages(connection, _record) -> None:
            if tiny_disk.page_limit is not None:
                connection.execute(f"PRAGMA max_page_count = {tiny_disk.page_limit}")

    client = app.test_client()
    tiny_disk.fill(database)
    statuses = []
    for n in range(2000):
        response = client.post(
            "/api/v1/offers", json=offer_body(), headers={"Idempotency-Key": f"full-{n}"}
        )
        statuses.append(response.status_code)
        if response.status_code != 201:
            break
    accepted = statuses.count(201)
    assert statuses[-1] == 507, statuses[-1]
    assert accepted >= 1
    error = response.get_json()["error"]
    assert error["status"] == 507 and "storage" in error["detail"]
    assert int(response.headers["Retry-After"]) > 0

    # The web form's offer is smaller: it may still fit in what the refused one left.
    for _ in range(50):
        page = submit_form(client)
        if page.status_code != 302:
            break
        accepted += 1
    assert page.status_code == 507 and page.mimetype == "text/html"
    assert "cannot store anything now" in page.text and "Traceback" not in page.text

    with app.app_context():
        stored = complete_offers()
        assert len(stored) == accepted  # the refused ones left nothing behind
        db.session.remove()

    tiny_disk.free()
    with app.app_context():
        db.engine.dispose()  # new connections, without the page cap of the fallback
    for n in range(3):
        response = client.post(
            "/api/v1/offers", json=offer_body(), headers={"Idempotency-Key": f"after-{n}"}
        )
        assert response.status_code == 201, response.get_data(as_text=True)
    confirmed = submit_form(client)
    assert confirmed.status_code == 302 and confirmed.location.endswith("/offer/confirmation")
    with app.app_context():
        assert len(complete_offers()) == accepted + 3 + 1
        db.session.remove()
        db.engine.dispose()
    print(
        f"\ndisk full ({'tmpfs' if tiny_disk.mounted else 'max_page_count'}) after "
        f"{accepted} offers; refused with 507, {accepted} found; 4 stored after freeing space"
    )
