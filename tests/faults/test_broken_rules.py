"""A rule directory with a YAML error stops every way of starting the service, with the
error as file:line:col on stderr and no Python traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from donations_app import create_app
from donations_app.services.rules import EXIT_RULES_DO_NOT_LOAD
from tests.faults.conftest import PROJECT

RULES = PROJECT / "rules"
# An unclosed flow sequence: the YAML parser stops at the line after it.
BROKEN_TOPIC = "topic: Armor\nrules:\n  - id: ARMOR-X\n    applies_to: [body_armor\n"


@pytest.fixture
def broken_rules(tmp_path: Path) -> tuple[Path, str]:
    """A copy of the rules with armor.yaml broken, and where the error is reported."""
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    (rules / "armor.yaml").write_text(BROKEN_TOPIC)
    return rules, f"{rules / 'armor.yaml'}:5:1:"


def assert_clean_refusal(output: str, where: str) -> None:
    assert where in output, output
    assert "YAML syntax" in output
    assert "Traceback" not in output and 'File "' not in output, output


def test_create_app_refuses_to_start(broken_rules, app_config, capsys):
    rules, where = broken_rules
    with pytest.raises(SystemExit) as stopped:
        create_app({**app_config, "RULES_DIR": str(rules)})
    assert stopped.value.code == EXIT_RULES_DO_NOT_LOAD
    assert_clean_refusal(capsys.readouterr().err, where)


def _env(rules: Path, database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "APP_ENV": "testing",
        "RULES_DIR": str(rules),
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
    }


def test_flask_db_upgrade_refuses_to_start(broken_rules, database_url, tmp_path):
    rules, where = broken_rules
    flask = Path(sys.executable).parent / "flask"
    done = subprocess.run(
        [str(flask), "--app", "donations_app", "db", "upgrade"],
        cwd=PROJECT,
        env=_env(rules, database_url, tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == EXIT_RULES_DO_NOT_LOAD
    assert_clean_refusal(done.stderr, where)


def test_gunicorn_refuses_to_start_before_any_worker(broken_rules, start_server, database_url):
    rules, where = broken_rules
    server = start_server(database_url, wait=False, RULES_DIR=str(rules))
    assert server.process.wait(timeout=60) == EXIT_RULES_DO_NOT_LOAD
    output = server.log()
    assert_clean_refusal(output, where)
    # --preload loads the app in the master, so no worker ever started. (Without it, two
    # workers failing at once can make gunicorn itself print a traceback while it halts.)
    assert "Booting worker" not in output
