"""Benchmark: `flask rules impact` over 100k stored offers (~300k items), SQLite and PostgreSQL.

Usage:
    .venv/bin/python bench/bench_impact.py [--offers N] [--sqlite PATH]
        [--pg postgresql://user@host:5432/name] [--skip-sqlite] [--skip-pg]

Each database is migrated and filled as bench_review_list.py does, then the real command runs in a
fresh process (`flask rules impact CANDIDATE --format json`), where the candidate is the shipped
rules plus one new rule; its wall time and peak resident memory (ru_maxrss of that process alone)
are reported with the summary's counts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_review_list import bench_app, fill, fresh_pg  # noqa: E402

from donations_app.extensions import db  # noqa: E402

NEW_RULE = """topic: Bench
rules:
  - id: BENCH-QUANTITY
    title: At most 150 radios, computers, phones, cameras or uniforms in one line
    applies_to: [radio, computer, phone, camera, uniform]
    when: quantity > 150
    outcome: review
    message: "{quantity} is a large lot."
    fix: Split the lot.
    reference: Bench
    tags: [needs_confirmation]
    examples:
      - item: {category: uniform, description: Boots, quantity: 151, condition: new,
               acquired_via: own_funds, insignia_removed: true}
        as_of: 2026-01-01
        outcome: review
"""


def fill_database(url: str, offers: int) -> None:
    with bench_app(url).app_context():
        seconds = fill(offers)
        print(f"  filled {offers:,} offers in {seconds:.1f} s", flush=True)
        db.session.remove()
        db.engine.dispose()


def measure(url: str, candidate: Path) -> tuple[float, float, dict]:
    """Run the command in its own process: (seconds, peak MiB, summary)."""
    env = {**os.environ, "APP_ENV": "testing", "DATABASE_URL": url}
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603  (this project's own CLI, fixed arguments)
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "donations_app",
            "rules",
            "impact",
            str(candidate),
            "--format",
            "json",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak_mib, json.loads(done.stdout)["summary"]


def main() -> None:
    """Fill each database, run the impact preview once, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument("--sqlite", default=str(Path(tempfile.gettempdir()) / "bench_impact.db"))
    parser.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-pg", action="store_true")
    options = parser.parse_args()
    candidate = Path(tempfile.mkdtemp(prefix="bench-rules-")) / "rules"
    shutil.copytree(ROOT / "rules", candidate)
    (candidate / "bench.yaml").write_text(NEW_RULE)
    targets = []
    if not options.skip_sqlite:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{options.sqlite}{suffix}").unlink(missing_ok=True)
        targets.append(("SQLite", f"sqlite:///{options.sqlite}"))
    if not options.skip_pg:
        if not options.pg:
            parser.error("give --pg URL or TEST_DATABASE_URL, or --skip-pg")
        targets.append(("PostgreSQL", fresh_pg(options.pg)))
    print(
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    )
    rows = []
    for name, url in targets:
        print(f"{name}:", flush=True)
        fill_database(url, options.offers)
        seconds, peak, summary = measure(url, candidate)
        rows.append((name, seconds, peak, summary))
    print()
    print("| database | offers | items | changed offers | changed items | seconds | peak MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, seconds, peak, summary in rows:
        print(
            f"| {name} | {summary['offers']:,} | {summary['items']:,} | "
            f"{summary['offers_changed']:,} | {summary['items_changed']:,} | {seconds:.1f} | "
            f"{peak:.0f} |"
        )


if __name__ == "__main__":
    main()
