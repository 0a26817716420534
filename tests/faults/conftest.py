"""Fault-injection fixtures: the app served by gunicorn in a separate process (so a test can
kill it, or take its database away, as happens in production), and HTTP helpers."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port

GUNICORN = Path(sys.executable).parent / "gunicorn"
PROJECT = Path(__file__).resolve().parents[2]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: a fault test that runs a server process for several seconds"
    )


def http_request(
    port: int,
    method: str,
    path: str,
    body: dict | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request to 127.0.0.1:port: (status, headers, body bytes)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        sent = {"Content-Type": "application/json"} if payload is not None else {}
        connection.request(method, path, body=payload, headers={**sent, **(headers or {})})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


class ServerProcess:
    """`gunicorn --preload 'donations_app:create_app()'` on a free port, in its own process
    group, with threaded workers, as the README runs it in production."""

    def __init__(
        self, env: dict[str, str], log_path: Path, workers: int = 2, config_file: bool = False
    ) -> None:
        self.env = env
        self.log_path = log_path
        self.workers = workers
        # True: `make run`'s command, every setting from gunicorn.conf.py but the address.
        self.config_file = config_file
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self, wait: bool = True) -> ServerProcess:
        command = self._config_file_command() if self.config_file else self._command()
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command,
            cwd=PROJECT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        if wait:
            self.wait_until_listening()
        return self

    def _command(self) -> list[str]:
        return [
            str(GUNICORN),
            "--workers",
            str(self.workers),
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--no-control-socket",
            "--preload",
            "--graceful-timeout",
            "2",
            "donations_app:create_app()",
        ]

    def _config_file_command(self) -> list[str]:
        self.env["WEB_CONCURRENCY"] = str(self.workers)
        # The app too comes from the config file (its wsgi_app).
        return [str(GUNICORN), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}"]

    def wait_until_listening(self, timeout: float = 30) -> None:
        """Wait until a worker answers /healthz (with any status)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                pytest.fail(f"the server exited with {self.process.returncode}:\n{self.log()}")
            try:
                http_request(self.port, "GET", "/healthz", timeout=5)
                return
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"the server did not answer within {timeout} s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL the master and its workers at once: no graceful shutdown of anything."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def get(self, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        return http_request(self.port, "GET", path, headers=headers)

    def post_json(
        self, path: str, body: dict[str, Any], **headers: str
    ) -> tuple[int, dict[str, str], bytes]:
        return http_request(
            self.port, "POST", path, body, headers={"Accept": "application/json", **headers}
        )


def server_env(database_url: str, tmp_path: Path, **settings: str) -> dict[str, str]:
    """The environment of a server process for this test's database."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key in {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "PYTHONPATH"}
    }
    env.update(
        APP_ENV="testing",
        DATABASE_URL=database_url,
        INSTANCE_PATH=str(tmp_path / "server-instance"),
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(free_port()),
        PYTHONUNBUFFERED="1",
    )
    env.update(settings)
    return env


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Any]:
    """start_server(database_url, workers=2, config_file=False, **env) -> a running
    ServerProcess, stopped after; with config_file, started as `make run` starts it."""
    servers: list[ServerProcess] = []

    def start(
        database_url: str,
        workers: int = 2,
        wait: bool = True,
        config_file: bool = False,
        **settings: str,
    ):
        log = tmp_path / f"server-{len(servers)}.log"
        env = server_env(database_url, tmp_path, **settings)
        server = ServerProcess(env, log, workers, config_file)
        servers.append(server)
        return server.start(wait=wait)

    yield start
    for server in servers:
        server.stop()
