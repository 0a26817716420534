"""Benchmark: the offer list's CSV written in the request, against the same file prepared by a job.

Usage:
    .venv/bin/python bench/bench_exports.py [--offers N] [--runs R] [--port P]

A fresh SQLite file (in a temporary folder, deleted at the end) is migrated and filled with N
offers (default 20,000) by bench_review_list.py's generator, then migrated to the head. The app
is served by Werkzeug's server on 127.0.0.1:P in a thread of this process and a reviewer signs
in through the form. Timed over HTTP with urllib (one warm-up, then R runs; p50 and p95 in ms):

- the direct CSV of every offer (EXPORT_DIRECT_ROWS raised above N), the whole body read;
- with EXPORT_DIRECT_ROWS at its default (1000): the GET of the same address, which answers
  the page with the "Prepare the CSV file" button;
- the POST of that button (CSRF token included), up to its 303 answer (not followed);
- the worker: `run_due_jobs()` running the job that POST queued, in this process (each POST is
  followed by the worker: a press while the same job waits would lead to that job); then once
  more with tracemalloc, for the peak of Python memory the worker allocates writing the file;
- the download of the prepared file from /review/jobs/<id>/file.

The prepared file is checked byte for byte against the direct download first.
"""

from __future__ import annotations

import argparse
import logging
import platform
import re
import shutil
import sys
import tempfile
import threading
import time
import tracemalloc
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import sqlalchemy as sa
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_review_list as filled

from donations_app.extensions import db
from donations_app.models import Offer
from donations_app.services import accounts, jobs

CSV_PATH = "/review/offers.csv"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Return a redirect as it is (the POST's 303), without following it."""

    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def summary(label: str, samples: list[float]) -> tuple[str, float, float]:
    return label, filled.percentile(samples, 0.5), filled.percentile(samples, 0.95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--offers", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port", type=int, default=5097)
    options = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-exports-"))
    try:
        app = filled.bench_app(f"sqlite:///{folder / 'bench.sqlite3'}")
        app.config["EXPORTS_DIR"] = str(folder / "exports")
        with app.app_context():
            seconds = filled.fill(options.offers)
            count = db.session.scalar(sa.select(sa.func.count()).select_from(Offer))
            accounts.create_reviewer("bench@state.example.gov", "Bench", filled.PASSWORD)
            db.session.commit()
            db.session.remove()
        print(f"{count:,} offers filled in {seconds:.1f} s", flush=True)

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = make_server("127.0.0.1", options.port, app, threaded=False)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{options.port}"
        results = []
        try:
            opener = filled.signed_in_opener(base)
            # The cookie jar of the signed-in opener, without redirects, for the POST.
            cookies = next(h for h in opener.handlers if hasattr(h, "cookiejar"))
            poster = urllib.request.build_opener(cookies, NoRedirect())

            app.config["EXPORT_DIRECT_ROWS"] = options.offers * 10
            samples, direct = filled.timed(
                lambda: opener.open(base + CSV_PATH).read(), options.runs
            )
            results.append(summary(f"direct CSV, {count:,} rows (before)", samples))

            app.config["EXPORT_DIRECT_ROWS"] = 1000
            samples, page = filled.timed(lambda: opener.open(base + CSV_PATH).read(), options.runs)
            assert b"Prepare the CSV file" in page, "the GET did not answer the button page"
            results.append(summary("GET of the same address: the button page", samples))

            html = page.decode()
            action = re.search(r'<form method="post" action="([^"]+/prepare[^"]*)"', html)
            assert action is not None
            token = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            form = urllib.parse.urlencode({"csrf_token": token}).encode()

            def post() -> str:
                try:
                    poster.open(base + action.group(1).replace("&amp;", "&"), form)
                except urllib.error.HTTPError as answer:
                    assert answer.code == 303, answer.code
                    return answer.headers["Location"]
                raise AssertionError("the POST did not redirect")

            def work() -> None:
                with app.app_context():
                    assert jobs.run_due_jobs(limit=1) == (1, 0)
                    db.session.remove()

            # A press while the same job waits leads to it: each POST is followed by the worker
            # running the job it queued (a warm-up, then R of each).
            posts, works = [], []
            for _ in range(options.runs + 1):
                started = time.perf_counter()
                location = post()
                posts.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                work()
                works.append((time.perf_counter() - started) * 1000)
            results.append(summary("POST Prepare (job queued, 303)", posts[1:]))
            results.append(summary(f"worker: the job writes and stores {count:,} rows", works[1:]))
            # Once more, with the Python memory the worker allocates traced.
            location = post()
            tracemalloc.start()
            work()
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()

            file_url = base + str(location) + "/file"
            samples, prepared = filled.timed(lambda: opener.open(file_url).read(), options.runs)
            results.append(summary("download of the prepared file", samples))
            assert prepared == direct, "the prepared file differs from the direct download"
        finally:
            server.shutdown()
            with app.app_context():
                db.engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(app.instance_path, ignore_errors=True)

    print(
        f"\nSQLite, {count:,} offers, {options.runs} runs after a warm-up; "
        f"{platform.machine()}, Python {platform.python_version()}; the prepared file "
        f"({len(direct):,} bytes) is byte for byte the direct download"
    )
    print(f"{'request':<52} {'p50 ms':>9} {'p95 ms':>9}")
    for label, p50, p95 in results:
        print(f"{label:<52} {p50:>9,.0f} {p95:>9,.0f}")
    print(f"peak Python memory the worker allocated writing the file: {peak / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
