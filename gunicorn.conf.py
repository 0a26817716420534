"""gunicorn settings for `make run` and production:

    gunicorn --config gunicorn.conf.py

Each can be set from the environment (README, "Production"). gunicorn also reads this file
when it is started from the project folder without --config.

Reloading without dropping a request: `kill -HUP <master>` starts new workers with re-read
settings and stops the old ones gracefully (they finish their requests within
`graceful_timeout`). The app is preloaded in the master, so new code needs a new master:
`kill -USR2 <master>` starts one beside the old, then `kill -QUIT <old master>`. With
GUNICORN_PRELOAD=false, HUP loads new code too.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if not value else value.lower() in {"1", "true", "yes", "on"}


# The app, without the `flask db` commands (and so without importing alembic) in the server.
wsgi_app = "donations_app:create_app({'CLI_MIGRATIONS': False})"
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
# Threads share one process's memory (and its rule set); processes use the cores.
workers = _int("WEB_CONCURRENCY", 2)
threads = _int("GUNICORN_THREADS", 4)
# A request still running after `timeout` seconds has its worker restarted.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# The app is built once, before the workers fork: a broken rules directory stops the start at
# once (exit status 4) instead of failing in every worker, and the workers share its pages.
preload_app = _bool("GUNICORN_PRELOAD", True)
# Restarting a worker every N requests (with jitter) bounds any slow leak; 0 never does.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
# The app decides which proxy headers to believe (TRUSTED_PROXY_COUNT); gunicorn believes none.
forwarded_allow_ips = ""
# Worker heartbeats in memory rather than on a disk that may be slow.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
proc_name = "donations"
# No control socket (gunicorn 24+): its default path is per user, shared by every server the
# user runs; signals do the same job.
control_socket_disable = True


# Prometheus multiprocess mode (donations_app/metrics.py): the workers write their counts to files
# in one directory and /metrics adds them up. Without PROMETHEUS_MULTIPROC_DIR a directory of the
# server's own is made; it must be set before the app (and prometheus_client) is imported.
_created_metrics_dir = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _created_metrics_dir = tempfile.mkdtemp(prefix="donations-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _created_metrics_dir


def on_starting(server: Any) -> None:
    """Start counting from zero: files left by an earlier server would be added up too."""
    for stale in Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """A worker that exits keeps its counts; its live gauges are dropped."""
    from donations_app.metrics import mark_worker_dead

    mark_worker_dead(worker.pid)


def on_exit(server: Any) -> None:
    if _created_metrics_dir:
        shutil.rmtree(_created_metrics_dir, ignore_errors=True)
