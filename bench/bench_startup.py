"""Start-up and memory of `make run`'s server: gunicorn with gunicorn.conf.py, on SQLite.

For each of --runs starts: the seconds from spawning gunicorn to the first 200 from /healthz,
then, after every worker has served the start page, the offer form and the sign-in page,
each process's RSS and PSS (/proc/PID/smaps_rollup: PSS splits pages shared after the
preloading fork between the processes that share them). Also, in this process: the seconds to
import the app and build it once, and whether alembic and openpyxl were imported by it.

    .venv/bin/python bench/bench_startup.py --runs 5 --port 5671
    .venv/bin/python bench/bench_startup.py --runs 5 --port 5671 --app 'donations_app:create_app()'
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("/", "/offer", "/review/sign-in")


def get(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def memory_kib(pid: int) -> tuple[int, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])
    return fields["Rss"], fields["Pss"]


def children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in found]


def one_start(port: int, workers: int, env: dict[str, str], app: list[str]) -> dict[str, object]:
    command = [
        str(ROOT / ".venv/bin/gunicorn"), "--config", "gunicorn.conf.py",
        "--bind", f"127.0.0.1:{port}", *app,
    ]  # fmt: skip
    started = time.perf_counter()
    server = subprocess.Popen(  # noqa: S603  (gunicorn of this project, fixed arguments)
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while get(port, "/healthz") != 200:
            if server.poll() is not None:
                raise SystemExit("gunicorn exited")
            time.sleep(0.02)
        ready = time.perf_counter() - started
        pids = children(server.pid)
        while len(pids) < workers:
            time.sleep(0.05)
            pids = children(server.pid)
        for _ in range(10 * workers):
            for path in PAGES:
                get(port, path)
        return {
            "ready_s": ready,
            "master": memory_kib(server.pid),
            "workers": [memory_kib(pid) for pid in pids],
        }
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def in_process() -> str:
    code = (
        "import sys, time; t = time.perf_counter();"
        "from donations_app import create_app; create_app({'CLI_MIGRATIONS': False});"
        "print(f'{time.perf_counter() - t:.2f} s to import and build the app;',"
        " 'alembic imported:', 'alembic' in sys.modules,"
        " '| openpyxl imported:', 'openpyxl' in sys.modules)"
    )
    out = subprocess.run(  # noqa: S603  (this project's Python, fixed code)
        [str(ROOT / ".venv/bin/python"), "-c", code],
        cwd=ROOT, env=os.environ | {"INSTANCE_PATH": tempfile.mkdtemp()},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port", type=int, default=5671)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--app", help="the app to serve (default: gunicorn.conf.py's wsgi_app)")
    args = parser.parse_args()
    instance = tempfile.mkdtemp()
    env = os.environ | {
        "INSTANCE_PATH": instance,
        "WEB_CONCURRENCY": str(args.workers),
        "OUTBOX_IN_APP_SENDER": "false",
    }
    subprocess.run(  # noqa: S603  (this project's own CLI, fixed arguments)
        [str(ROOT / ".venv/bin/flask"), "--app", "donations_app", "db", "upgrade"],
        cwd=ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    runs = [
        one_start(args.port, args.workers, env, [args.app] if args.app else [])
        for _ in range(args.runs)
    ]
    ready = [run["ready_s"] for run in runs]
    workers = [w for run in runs for w in run["workers"]]  # type: ignore[attr-defined]
    masters = [run["master"] for run in runs]
    mib = 1024
    print(in_process())
    print(f"ready (spawn to first 200 /healthz): median {statistics.median(ready):.2f} s, "
          f"min {min(ready):.2f} s over {len(runs)} starts")  # fmt: skip
    print(f"per worker: RSS median {statistics.median(r for r, _ in workers) / mib:.1f} MiB, "
          f"PSS median {statistics.median(p for _, p in workers) / mib:.1f} MiB")  # fmt: skip
    print(f"master: RSS median {statistics.median(r for r, _ in masters) / mib:.1f} MiB, "
          f"PSS median {statistics.median(p for _, p in masters) / mib:.1f} MiB")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
