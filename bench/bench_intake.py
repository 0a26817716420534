"""Intake throughput: the service's API against a bare Flask + SQLAlchemy baseline, same run.

For each database (SQLite, and PostgreSQL with --pg), each app runs under gunicorn with the same
settings (2 sync workers, `--preload` off, access log off) on a freshly migrated database, and
`wrk` (C, one thread, so it takes little of the CPU the workers need) POSTs offers of 1, 5 and
40 items whose items are all accepted, at concurrency 8. Reported per app and size: req/s and
the ratio to the baseline, p50/p95 latency, worker CPU per request (utime + stime of the worker
processes from /proc/<pid>/stat, before and after the run), resident memory per worker after the
run and the start-up time (process start to the first answer of /healthz). Then the dry-run
check API of the service at 1, 50 and 500 items the same way.

`--tree` runs the service from another checkout (e.g. a `git worktree` of an older commit) with
this checkout's virtualenv: its `donations_app` comes first on PYTHONPATH.

    .venv/bin/python bench/bench_intake.py --duration 10 \\
        --pg postgresql://postgres@127.0.0.1:5432/donations_bench [--tree /tmp/before]
"""

# Runs local programs (gunicorn, wrk, flask, git) and talks HTTP to its own local servers.
# ruff: noqa: S603, S607, S310
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
ITEM = {
    "category": "medical",
    "description": "Individual first-aid kits",
    "quantity": 100,
    "condition": "new",
    "acquired_via": "donated_to_agency",
    "expires_on": "2031-01-31",
}
OFFER = {
    "agency": {
        "name": "Springfield Police Department",
        "type": "municipal_police",
        "ori": "IL0840200",
        "state": "IL",
        "city": "Springfield",
    },
    "contact": {
        "name": "Pat Example",
        "title": "Quartermaster",
        "email": "pat@springfield.example.gov",
        "phone": "217-555-0100",
    },
    "recipient": "sbgs",
    "authority_confirmed": True,
    # A pickup date in the past is refused: a month from today.
    "pickup": {
        "zip": "62701",
        "available_from": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
    },
}
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open(os.getenv("BENCH_BODY"), "r"); wrk.body = f:read("*a"); f:close()
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def offer(items: int) -> dict[str, Any]:
    return {**OFFER, "items": [dict(ITEM) for _ in range(items)]}


def _run(cmd: list[str], env: dict[str, str], cwd: Path) -> None:
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{cmd} failed:\n{done.stderr[-2000:]}")


def prepare_database(kind: str, pg: str | None, tag: str, tree: Path, tmp: Path) -> str:
    """A fresh database of `kind` migrated by the tree's migrations; its URL."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp / f'{tag}.sqlite3'}"
    else:
        import sqlalchemy as sa

        assert pg is not None
        server = sa.make_url(pg).set(drivername="postgresql+psycopg")  # psycopg 3, as the app
        # The named database need not exist: its name is a prefix; the server's own does the work.
        admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
        name = f"{server.database}_{tag}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = server.set(database=name).render_as_string(hide_password=False)
    env = app_env(url, tree)
    _run([str(BIN / "flask"), "--app", "donations_app", "db", "upgrade"], env, tree)
    return url


def app_env(url: str, tree: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(tree),
        "APP_ENV": "production",
        "SECRET_KEY": "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DATABASE_URL": url,
        "PUBLIC_BASE_URL": "https://donations.example.gov",
        "TRUSTED_HOSTS": "127.0.0.1",
        "RATELIMIT_ENABLED": "0",
        "OUTBOX_IN_APP_SENDER": "0",
        "RULES_DIR": str(tree / "rules"),
    }


class Server:
    """gunicorn with 2 sync workers on a port; its workers' pids, CPU and memory."""

    def __init__(self, target: str, url: str, port: int, tree: Path, workers: int) -> None:
        env = app_env(url, tree)
        started = time.perf_counter()
        self.workers = workers
        self.process = subprocess.Popen(
            # -c /dev/null: not the tree's gunicorn.conf.py (threads, a preloaded app), so both
            # apps run alike, in plain sync workers that each build their own app.
            [str(BIN / "gunicorn"), "-c", "/dev/null", "-w", str(workers),
             "-b", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "120", target],
            env=env, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.base = f"http://127.0.0.1:{port}"
        while True:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=1):
                    break  # urlopen raises HTTPError on any answer but 2xx
            except urllib.error.HTTPError:
                self.stop()
                raise
            except OSError:
                if self.process.poll() is not None or time.perf_counter() - started > 120:
                    self.stop()
                    raise RuntimeError(f"{target} did not start") from None
                time.sleep(0.02)
        self.startup = time.perf_counter() - started

    def worker_pids(self) -> list[int]:
        for _ in range(100):
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            pids = [int(p) for p in children.read_text().split()]
            if len(pids) == self.workers:
                return pids
            time.sleep(0.05)
        raise RuntimeError("gunicorn workers did not start")

    def cpu_seconds(self) -> float:
        total = 0
        for pid in self.worker_pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
        return total / TICK

    def rss_mib(self) -> list[float]:
        return [
            int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20
            for pid in self.worker_pids()
        ]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)


def post(base: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        base + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def load(server: Server, path: str, body: dict, args: argparse.Namespace, tmp: Path) -> dict:
    """One wrk run: req/s, p50/p95 ms, worker CPU ms per request; every answer must be 2xx."""
    body_file = tmp / "body.json"
    body_file.write_text(json.dumps(body))
    script = tmp / "post.lua"
    script.write_text(WRK_SCRIPT)
    for _ in range(3):  # warm up both workers (imports, first queries, rules)
        post(server.base, path, body)
    cpu = server.cpu_seconds()
    out = subprocess.run(
        ["wrk", "-t1", f"-c{args.concurrency}", f"-d{args.duration}s", "--timeout", "30s",
         "-s", str(script), server.base + path],
        env={**os.environ, "BENCH_BODY": str(body_file)}, capture_output=True, text=True,
        check=True,
    ).stdout  # fmt: skip
    cpu = server.cpu_seconds() - cpu
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    assert match, out
    requests, duration_us, p50, p95, bad_status, socket_errors = map(int, match.groups())
    if bad_status or socket_errors:
        raise RuntimeError(f"{bad_status} non-2xx answers, {socket_errors} socket errors")
    return {
        "rps": requests / (duration_us / 1e6),
        "p50": p50 / 1000,
        "p95": p95 / 1000,
        "cpu_ms": cpu * 1000 / requests,
        "requests": requests,
    }


def bench_database(kind: str, args: argparse.Namespace, tmp: Path) -> list[str]:
    lines = [f"== {kind}"]
    runs: dict[str, dict[int, dict]] = {}
    memory: dict[str, list[float]] = {}
    startup: dict[str, float] = {}
    apps = {
        "baseline": ("bench.baseline_app:create_app()", ROOT),
        "service": ("donations_app:create_app()", args.tree),
    }
    for port, (name, (target, tree)) in enumerate(apps.items(), start=args.port):
        url = prepare_database(kind, args.pg, f"intake_{name}", args.tree, tmp)
        server = Server(target, url, port, tree if name == "service" else ROOT, args.workers)
        try:
            startup[name] = server.startup
            runs[name] = {}
            for size in args.items:
                expected = post(server.base, "/api/v1/offers", offer(size))
                assert expected["outcome"] == "accepted", expected
                runs[name][size] = load(server, "/api/v1/offers", offer(size), args, tmp)
            if name == "service":
                runs["check"] = {
                    size: load(server, "/api/v1/checks", offer(size), args, tmp)
                    for size in args.check_items
                }
            memory[name] = server.rss_mib()
        finally:
            server.stop()
    lines.append("offers API (POST /api/v1/offers, all items accepted):")
    lines.append("items | app      |   req/s | vs baseline | p50 ms | p95 ms | CPU ms/req")
    for size in args.items:
        for name in ("baseline", "service"):
            r = runs[name][size]
            ratio = r["rps"] / runs["baseline"][size]["rps"]
            lines.append(
                f"{size:>5} | {name:<8} | {r['rps']:>7.1f} | {ratio:>10.2f}x | {r['p50']:>6.1f} "
                f"| {r['p95']:>6.1f} | {r['cpu_ms']:>10.2f}"
            )
    lines.append("check API (POST /api/v1/checks, service):")
    lines.append("items |   req/s | p50 ms | p95 ms | CPU ms/req")
    for size, r in runs["check"].items():
        lines.append(
            f"{size:>5} | {r['rps']:>7.1f} | {r['p50']:>6.1f} | {r['p95']:>6.1f} "
            f"| {r['cpu_ms']:>10.2f}"
        )
    for name in ("baseline", "service"):
        rss = ", ".join(f"{m:.0f}" for m in memory[name])
        lines.append(f"{name}: start-up {startup[name]:.2f} s, RSS per worker {rss} MiB")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", help="PostgreSQL URL; its database name gets _intake_* suffixes")
    parser.add_argument("--tree", type=Path, default=ROOT, help="checkout of the service to run")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=5650)
    parser.add_argument("--items", type=int, nargs="+", default=[1, 5, 40])
    parser.add_argument("--check-items", type=int, nargs="+", default=[1, 50, 500])
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    args.tree = args.tree.resolve()
    commit = subprocess.run(
        ["git", "-C", str(args.tree), "rev-parse", "--short", "HEAD"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    print(f"# {' '.join(sys.argv)}")
    print(
        f"# service tree {args.tree} at {commit}; {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    kinds = ["sqlite"] + (["postgresql"] if args.pg else [])
    if args.only:
        kinds = [args.only]
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            print("\n".join(bench_database(kind, args, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()
