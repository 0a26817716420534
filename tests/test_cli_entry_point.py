"""`flask rules ...` as an operator types it: the real `flask` executable finds every rules
command (the group is an entry point, found before the app loads)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
COMMANDS = {"check", "test", "explain", "schema", "publish", "stage", "activate", "versions"}
COMMANDS |= {"diff", "impact", "recheck", "replay"}


def test_the_flask_executable_lists_every_rules_command(tmp_path):
    flask = Path(sys.executable).parent / "flask"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "APP_ENV": "testing",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "INSTANCE_PATH": str(tmp_path / "instance"),
    }
    done = subprocess.run(
        [str(flask), "--app", "donations_app", "rules", "--help"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    listed = {line.split()[0] for line in done.stdout.split("Commands:")[1].splitlines() if line}
    assert sorted(COMMANDS - listed) == []
