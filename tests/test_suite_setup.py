"""The suite's own contract: with TEST_DATABASE_URL set, an unreachable PostgreSQL fails the run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_postgres_run_fails_not_skips_when_the_server_is_unreachable():
    env = {**os.environ, "TEST_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--db=postgresql",
            "tests/test_models.py::test_reference_format",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "PostgreSQL is unreachable" in result.stdout
    assert "skipped" not in result.stdout.splitlines()[-1]
