"""Benchmark: the reviewers' offer list at 100k offers / 300k items on SQLite and PostgreSQL.

Usage:
    .venv/bin/python bench/bench_review_list.py [--offers N] [--runs R] [--sqlite PATH]
        [--pg postgresql://user@host:5432/name] [--skip-sqlite] [--skip-pg]

The PostgreSQL URL comes from --pg or TEST_DATABASE_URL; a fresh database named after it with a
"_bench" suffix is created (dropped first if present). Both databases are migrated with Alembic
(so the real indexes are there), filled with bulk core inserts in batches, ANALYZEd, and then each
typical list request is timed through the real service functions (count + one page), median of R
runs after one warm-up.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from donations_app import create_app
from donations_app.extensions import db
from donations_app.models import Evaluation, Finding, Item, Offer, Queue
from donations_app.services import search

CATEGORIES = [
    "body_armor", "helmet", "riot_gear", "restraints", "radio", "computer", "phone", "camera",
    "medical", "tourniquet", "vehicle", "uniform", "electrical", "night_vision", "drone", "other",
]  # fmt: skip
RULES = ["NEED-LIST", "EXPORT-ARMOR-EAR", "DATA-SANITIZE", "MARKINGS", "EXPORT-DRONE", "PROV-BVP"]
STATUSES = ["queued"] * 4 + ["in_review"] * 2 + ["approved", "declined", "needs_info"]
STATUSES += ["rejected"]
TOWNS = [
    "Springfield",
    "Riverside",
    "Franklin",
    "Greenville",
    "Fairview",
    "Madison",
    "Clinton",
    "Salem",
    "Georgetown",
    "Arlington",
    "Ashland",
    "Dover",
    "Oxford",
    "Jackson",
    "Milton",
]
KINDS = ["Police Department", "County Sheriff's Office", "State Police", "Marshal Service"]
WORDS = [
    "vests",
    "plates",
    "radios",
    "laptops",
    "kits",
    "helmets",
    "boots",
    "chargers",
    "drones",
    "gauze",
    "tourniquets",
    "cameras",
    "shields",
    "generators",
    "trucks",
]
STATES = ["IL", "TX", "CA", "NY", "OH", "PA", "FL", "GA", "WA", "MI"]
START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
BATCH = 5000


def generate(offers: int, queue_ids: list[int], seed: int = 5) -> None:
    """Insert `offers` offers with 3 items each on average, an evaluation and findings."""
    rng = random.Random(seed)
    span = (dt.datetime(2026, 3, 1, tzinfo=dt.UTC) - START).total_seconds()
    item_id = finding_id = 0
    for first in range(0, offers, BATCH):
        offer_rows, item_rows, eval_rows, finding_rows = [], [], [], []
        for offer_id in range(first + 1, min(first + BATCH, offers) + 1):
            status = rng.choice(STATUSES)
            submitted = START + dt.timedelta(seconds=rng.random() * span)
            decided = submitted + dt.timedelta(days=rng.randint(1, 40))
            offer_rows.append(
                {
                    "id": offer_id,
                    "reference": f"UA-{submitted.year}-{offer_id:06d}",
                    "public_id": f"bench-{offer_id}",
                    "status": status,
                    "outcome": "rejected"
                    if status == "rejected"
                    else rng.choice(["review", "review", "accepted", "needs_info"]),
                    "queue_id": None if status in ("rejected",) else rng.choice(queue_ids),
                    "assignee_id": None,
                    "source": "web",
                    "agency_name": f"{rng.choice(TOWNS)} {rng.choice(KINDS)} {offer_id % 997}",
                    "agency_type": "municipal_police",
                    "agency_state": rng.choice(STATES),
                    "agency_city": rng.choice(TOWNS),
                    "contact_name": "Pat Officer",
                    "contact_title": "",
                    "contact_email": "pat@agency.example.gov",
                    "recipient": rng.choice(["sbgs", "npu", "any"]),
                    "authority_confirmed": True,
                    "pickup_zip": "62701",
                    "ruleset_version": "bench",
                    "total_value_usd": (
                        None if rng.random() < 0.1 else Decimal(rng.randint(0, 5_000_000)) / 100
                    ),
                    "submitted_at": submitted,
                    "updated_at": submitted,
                    "decided_at": decided if status in ("approved", "declined") else None,
                    "version": 1,
                }
            )
            eval_rows.append(
                {
                    "id": offer_id,
                    "offer_id": offer_id,
                    "ruleset_version": "bench",
                    "as_of": submitted.date(),
                    "outcome": offer_rows[-1]["outcome"],
                    "trigger": "submission",
                    "created_at": submitted,
                }
            )
            for position in range(rng.choice((1, 2, 3, 3, 4, 5))):
                item_id += 1
                item_rows.append(
                    {
                        "id": item_id,
                        "offer_id": offer_id,
                        "position": position,
                        "category": rng.choice(CATEGORIES),
                        "description": f"{rng.choice(WORDS)} lot {item_id} {rng.choice(WORDS)}",
                        "quantity": rng.randint(1, 200),
                        "condition": "good",
                        "acquired_via": "own_funds",
                        "serial_numbers": [],
                        "outcome": "review",
                        "version": 1,
                    }
                )
                if rng.random() < 0.4:
                    finding_id += 1
                    finding_rows.append(
                        {
                            "id": finding_id,
                            "evaluation_id": offer_id,
                            "item_id": item_id,
                            "rule_id": rng.choice(RULES),
                            "outcome": "review",
                            "message": "fired",
                            "fix": "",
                            "reference": "",
                            "tags": [],
                            "values": {},
                        }
                    )
        db.session.execute(sa.insert(Offer.__table__), offer_rows)
        db.session.execute(sa.insert(Item.__table__), item_rows)
        db.session.execute(sa.insert(Evaluation.__table__), eval_rows)
        db.session.execute(sa.insert(Finding.__table__), finding_rows)
        db.session.commit()


CASES = [
    ("no filter, page 1", {}),
    ("no filter, page 400", {"page": "400"}),
    ("status + queue", {"status": "queued", "queue": "sbgs-desk"}),
    ("category", {"category": "drone"}),
    ("rule fired", {"rule": "EXPORT-DRONE"}),
    ("free text", {"q": "tourniquets lot 4"}),
    ("agency contains", {"agency": "riverside state"}),
    ("date range (1 month)", {"from": "2025-06-01", "to": "2025-06-30"}),
    ("sort by value desc", {"sort": "value"}),
    ("sort by agency asc, page 10", {"sort": "agency", "dir": "asc", "page": "10"}),
    ("state + recipient + category", {"state": "TX", "recipient": "npu", "category": "radio"}),
]


def time_cases(runs: int) -> list[tuple[str, float, int]]:
    """Median milliseconds of count + one page of 25 for each case, and the match count."""
    from donations_app.services.rules import active_ruleset

    choices = search.filter_choices(active_ruleset())
    results = []
    for label, args in CASES:
        filters, errors = search.parse_filters(args, choices)
        assert not errors, errors
        search.list_offers(filters)  # warm-up
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            page = search.list_offers(filters)
            samples.append((time.perf_counter() - started) * 1000)
            db.session.rollback()
        assert len(page.rows) == min(25, max(0, page.total - (page.page - 1) * 25))
        results.append((label, statistics.median(samples), page.total))
    return results


def bench_app(url: str) -> Flask:
    """The app on the benchmark's database, with an instance folder of its own."""
    return create_app(
        {
            "APP_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": tempfile.mkdtemp(prefix="bench-instance-"),
        }
    )


def fill(offers: int) -> float:
    """Migrate the app's database, insert `offers` offers and ANALYZE; the seconds it took to
    insert (inside an app context)."""
    import flask_migrate

    flask_migrate.upgrade()
    queue_ids = list(db.session.scalars(sa.select(Queue.id)))
    started = time.perf_counter()
    generate(offers, queue_ids)
    with db.engine.connect() as conn:
        conn.execute(sa.text("ANALYZE"))
        conn.commit()
    return time.perf_counter() - started


def run(url: str, offers: int, runs: int) -> tuple[float, list[tuple[str, float, int]]]:
    """Migrate, fill and time one database."""
    with bench_app(url).app_context():
        generated = fill(offers)
        counts = db.session.execute(
            sa.select(
                sa.select(sa.func.count()).select_from(Offer).scalar_subquery(),
                sa.select(sa.func.count()).select_from(Item).scalar_subquery(),
            )
        ).one()
        print(f"  {counts[0]:,} offers, {counts[1]:,} items in {generated:.1f} s", flush=True)
        results = time_cases(runs)
        db.session.remove()
        db.engine.dispose()
    return generated, results


def fresh_pg(url: str) -> str:
    """Create (or recreate) <database>_bench on the server of `url`; return its URL."""
    server = make_url(url).set(drivername="postgresql+psycopg")
    name = f"{server.database or 'donations'}_bench"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def main() -> None:
    """Parse arguments, run the benchmark on each database and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--sqlite", default=str(Path(tempfile.gettempdir()) / "bench_review.sqlite3")
    )
    parser.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-pg", action="store_true")
    options = parser.parse_args()

    targets = []
    if not options.skip_sqlite:
        path = Path(options.sqlite)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        targets.append(("SQLite", f"sqlite:///{path}"))
    if not options.skip_pg:
        if not options.pg:
            parser.error("give --pg URL or TEST_DATABASE_URL, or --skip-pg")
        targets.append(("PostgreSQL", fresh_pg(options.pg)))

    print(
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    )
    print(f"{options.offers:,} offers, median of {options.runs} runs (count + page of 25), ms")
    table: dict[str, dict[str, tuple[float, int]]] = {}
    for name, url in targets:
        print(f"{name}:", flush=True)
        _generated, results = run(url, options.offers, options.runs)
        table[name] = {label: (ms, total) for label, ms, total in results}
    names = [name for name, _ in targets]
    print()
    print("| request | matches | " + " | ".join(f"{n} ms" for n in names) + " |")
    print("|---|---:|" + "---:|" * len(names))
    for label, _args in CASES:
        total = table[names[0]][label][1]
        cells = " | ".join(f"{table[n][label][0]:.1f}" for n in names)
        print(f"| {label} | {total:,} | {cells} |")


if __name__ == "__main__":
    main()
