"""`make run` (scripts/run.sh) as a newcomer starts it: the web server answers, the outbox sender
and the job worker run as processes of their own beside it (no background threads in the web
workers), an offer's confirmation e-mail arrives at the local mail server, and Ctrl+C stops
every process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.api.bodies import offer_body
from tests.conftest import free_port
from tests.faults.conftest import PROJECT, http_request

BIN = Path(sys.executable).parent
# A terminal's Ctrl+C reaches `make run` with SIGINT handled by default. A suite started in the
# background by a shell (scripts/test-suites.sh runs one so) inherits SIGINT ignored, and sh
# cannot trap a signal that was ignored when it started: the script runs as from a terminal.
_WITH_CTRL_C = [
    sys.executable,
    "-c",
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL);"
    " os.execvp(sys.argv[1], sys.argv[1:])",
]


def _wait_for(log: Path, text: str, process: subprocess.Popen, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        output = log.read_text(errors="replace")
        if text in output:
            return output
        assert process.poll() is None, f"make run's script exited:\n{output}"
        time.sleep(0.2)
    raise AssertionError(f"{text!r} did not appear within {timeout} s:\n{log.read_text()}")


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found |= {int(child)} | _descendants(int(child))
    return found


def _command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_make_run_serves_sends_mail_from_its_own_worker_and_stops_everything(tmp_path: Path):
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    port, mail_port = free_port(), free_port()
    env.update(
        BIN=str(BIN),
        HOST="127.0.0.1",
        PORT=str(port),
        MAIL_PORT=str(mail_port),
        DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}",
        INSTANCE_PATH=str(tmp_path / "instance"),
        OUTBOX_POLL_SECONDS="1",
        PYTHONUNBUFFERED="1",
    )
    subprocess.run(
        [str(BIN / "flask"), "--app", "donations_app", "db", "upgrade"],
        cwd=PROJECT,
        env=env,
        check=True,
        capture_output=True,
    )
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*_WITH_CTRL_C, "sh", "scripts/run.sh"],
            cwd=PROJECT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        summary = _wait_for(log, "Lost the admin password?", process)
        assert f"Serving on http://127.0.0.1:{port}/" in summary
        commands = [_command_line(pid) for pid in _descendants(process.pid)]
        assert any("outbox send --loop" in command for command in commands)
        assert any("jobs work --loop" in command for command in commands)

        status, _headers, body = http_request(port, "POST", "/api/v1/offers", offer_body())
        assert status == 201, body
        # The web workers start no sender thread: the mail arrives through the worker process.
        output = _wait_for(log, "Subject:", process)
        assert offer_body()["contact"]["email"] in output
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    assert process.returncode == 0
    # Nothing of it is left running.
    leftover = subprocess.run(
        ["pgrep", "-s", str(process.pid)], capture_output=True, text=True, check=False
    )
    assert leftover.stdout.strip() == ""
