"""Two OS processes on one database: a gunicorn server (two workers) and this process, which
publishes, fails to publish and rolls back; the server follows within RULES_REFRESH_SECONDS."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.conftest import ServerProcess, server_env

RULES = Path(__file__).resolve().parents[2] / "rules"
REFRESH_SECONDS = 1


@pytest.fixture
def server(app, database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    # This process publishes RULES_DIR first, as the first process on a fresh database does.
    assert app.test_cli_runner().invoke(args=["rules", "versions"]).exit_code == 0
    env = server_env(database_url, tmp_path, RULES_REFRESH_SECONDS=str(REFRESH_SECONDS))
    process = ServerProcess(env, tmp_path / "server.log", workers=2).start()
    yield process
    process.stop()


def served_versions(server: ServerProcess, requests: int = 6) -> set[str]:
    """The versions the server's workers name on /healthz over a few requests."""
    versions = set()
    for _ in range(requests):
        status, _headers, body = server.get("/healthz")
        assert status == 200, body
        versions.add(json.loads(body)["ruleset"]["version"])
    return versions


def wait_for(server: ServerProcess, version: str, limit: float) -> float:
    """Seconds until every answer names `version` (fails after `limit`)."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if served_versions(server) == {version}:
            return time.monotonic() - started
        time.sleep(0.1)
    pytest.fail(f"the server still serves {served_versions(server)} after {limit} s")


def test_publish_broken_publish_and_rollback_reach_the_other_process(app, server, tmp_path):
    runner = app.test_cli_runner()
    (first,) = served_versions(server)
    edited = tmp_path / "edited"
    shutil.copytree(RULES, edited)
    armor = edited / "armor.yaml"
    armor.write_text(armor.read_text().replace("title: ", "title: (edited) ", 1))
    published = runner.invoke(args=["rules", "publish", str(edited), "--note", "edited title"])
    assert published.exit_code == 0, published.output
    with app.app_context():
        from donations_app.services.rulesets import active_version

        second = active_version()
    assert second != first
    # Within the refresh interval, plus the time a busy machine takes to answer.
    assert wait_for(server, second, limit=REFRESH_SECONDS + 10) < REFRESH_SECONDS + 10

    armor.write_text("topic: [broken")
    broken = runner.invoke(args=["rules", "publish", str(edited)])
    assert broken.exit_code == 1 and "armor.yaml:" in broken.output
    time.sleep(REFRESH_SECONDS + 0.5)
    assert served_versions(server) == {second}

    rolled_back = runner.invoke(args=["rules", "activate", first])
    assert rolled_back.exit_code == 0, rolled_back.output
    wait_for(server, first, limit=REFRESH_SECONDS + 10)
