"""Benchmark: every filter of the reviewers' offer list over HTTP, on SQLite and PostgreSQL.

Usage:
    .venv/bin/python bench/bench_review_list.py [--offers N] [--runs R] [--sqlite PATH]
        [--pg postgresql://user@host:5432/name] [--skip-sqlite] [--skip-pg] [--port P]

The PostgreSQL URL comes from --pg or TEST_DATABASE_URL; a fresh database named after it with a
"_bench" suffix is created (dropped first if present). Each database is migrated with Alembic to
revision 0006, filled (SQLite: bulk core inserts in batches; PostgreSQL: one
INSERT ... SELECT over generate_series per table), migrated to the head (so later revisions build
their indexes over the filled tables, as an upgrade in production does), then compacted and
analyzed as the README's upgrade section says (PostgreSQL) or ANALYZEd (SQLite). Then the app
is served by Werkzeug's server on 127.0.0.1:P in a thread of this process, a reviewer signs in
through the sign-in form, and each list request (the page, or the CSV address, which for a
large list answers the page that prepares the file as a job) is timed with urllib over HTTP: one
warm-up, then R runs; p50 and p95 in milliseconds. Last, the CSV file that job writes is timed
in process (the same writer).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import logging
import os
import platform
import random
import re
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from decimal import Decimal
from http.cookiejar import CookieJar
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from donations_app import create_app
from donations_app.extensions import db
from donations_app.models import Evaluation, Finding, Item, Offer, Queue, Reviewer
from donations_app.services import accounts

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


# The revision the tables are filled at; later revisions then index the filled tables.
FILL_REVISION = "0006_catalog_answers"
PASSWORD = "bench-reviewer-password-1"


def _sql_array(values: list[str]) -> str:
    quoted = (value.replace("'", "''") for value in values)
    return "ARRAY[" + ", ".join(f"'{value}'" for value in quoted) + "]"


def _pick(values: list[str], draw: str) -> str:
    """SQL choosing one of `values` with the random number `draw` (0 <= draw < 1)."""
    return f"({_sql_array(values)})[1 + floor({draw} * {len(values)})::int]"


def generate_in_postgresql(offers: int) -> None:
    """The same kind of rows as `generate`, written by PostgreSQL itself (INSERT ... SELECT over
    generate_series, one statement per table): 1M offers take minutes, not an hour."""
    span = (dt.datetime(2026, 3, 1, tzinfo=dt.UTC) - START).total_seconds()
    statuses = _pick(STATUSES, "r.s")
    offer_sql = f"""
        INSERT INTO offers (id, reference, public_id, status, outcome, queue_id, source,
            agency_name, agency_type, agency_state, agency_city, contact_name, contact_title,
            contact_email, recipient, authority_confirmed, pickup_zip, ruleset_version,
            total_value_usd, submitted_at, updated_at, decided_at, version)
        SELECT g, 'UA-' || extract(year FROM t.at)::int || '-' || lpad(g::text, 6, '0'),
            'bench-' || g, t.status,
            CASE WHEN t.status = 'rejected' THEN 'rejected'
                 ELSE {_pick(["review", "review", "accepted", "needs_info"], "r.o")} END,
            CASE WHEN t.status = 'rejected' THEN NULL
                 ELSE (SELECT min(id) FROM queues) + floor(r.q * (SELECT count(*) FROM queues))::int
            END,
            'web', {_pick(TOWNS, "r.t")} || ' ' || {_pick(KINDS, "r.k")} || ' ' || (g % 997),
            'municipal_police', {_pick(STATES, "r.st")}, {_pick(TOWNS, "r.c")}, 'Pat Officer', '',
            'pat@agency.example.gov', {_pick(["sbgs", "npu", "any"], "r.rc")}, true, '62701',
            'bench', CASE WHEN r.v < 0.1 THEN NULL ELSE round((r.v * 50000)::numeric, 2) END,
            t.at, t.at,
            CASE WHEN t.status IN ('approved', 'declined')
                 THEN t.at + (1 + floor(r.d * 40)) * interval '1 day' END, 1
        FROM generate_series(1, :offers) g,
            LATERAL (SELECT random() AS s, random() AS o, random() AS q, random() AS t,
                random() AS k, random() AS st, random() AS c, random() AS rc, random() AS v,
                random() AS d, random() AS a, g AS seq) r,
            LATERAL (SELECT {statuses} AS status,
                timestamptz '{START.isoformat()}' + r.a * {span} * interval '1 second' AS at) t
    """
    item_sql = f"""
        INSERT INTO items (id, offer_id, position, category, description, quantity, condition,
            acquired_via, serial_numbers, outcome, version)
        SELECT o.id * 8 + p, o.id, p, {_pick(CATEGORIES, "random()")},
            {_pick(WORDS, "random()")} || ' lot ' || (o.id * 8 + p) || ' '
                || {_pick(WORDS, "random()")},
            1 + floor(random() * 200)::int, 'good', 'own_funds', '[]', 'review', 1
        FROM offers o, generate_series(0, (ARRAY[0, 1, 2, 2, 3, 4])[1 + o.id % 6]) p
    """
    evaluation_sql = """
        INSERT INTO evaluations (id, offer_id, ruleset_version, as_of, outcome, trigger, created_at)
        SELECT id, id, 'bench', submitted_at::date, outcome, 'submission', submitted_at FROM offers
    """
    finding_sql = f"""
        INSERT INTO findings (evaluation_id, item_id, rule_id, outcome, message, fix, reference,
            tags, "values")
        SELECT offer_id, id, {_pick(RULES, "random()")}, 'review', 'fired', '', '', '[]', '{{}}'
        FROM items WHERE random() < 0.4
    """
    db.session.execute(sa.text(offer_sql), {"offers": offers})
    for statement in (item_sql, evaluation_sql, finding_sql):
        db.session.execute(sa.text(statement))
    db.session.commit()


CASES = [
    ("no filter, page 1", {}),
    ("no filter, page 400", {"page": "400"}),
    ("status + queue", {"status": "queued", "queue": "sbgs-desk"}),
    ("outcome", {"outcome": "needs_info"}),
    ("category", {"category": "drone"}),
    ("rule fired", {"rule": "EXPORT-DRONE"}),
    ("free text, rare phrase", {"q": "tourniquets lot 4"}),
    ("free text, broad word", {"q": "radios"}),
    ("free text, no match", {"q": "zeppelin"}),
    ("reference, partial", {"q": "2025-0012"}),
    ("reference, no match", {"q": "UA-2019-999999", "status": "queued"}),
    ("agency contains", {"agency": "riverside state"}),
    ("state", {"state": "TX"}),
    ("recipient", {"recipient": "npu"}),
    ("date range (1 month)", {"from": "2025-06-01", "to": "2025-06-30"}),
    ("sort by value desc", {"sort": "value"}),
    ("sort by agency asc, page 10", {"sort": "agency", "dir": "asc", "page": "10"}),
    ("state + recipient + category", {"state": "TX", "recipient": "npu", "category": "radio"}),
]
CSV_CASES = [("CSV address, category (large: the Prepare page)", {"category": "drone"})]
# The large CSV is written by the job worker, outside any request: its writer, timed in process.
WRITER_CASES = [("CSV file, category (the job's writer)", {"category": "drone"})]


T = TypeVar("T")


def timed(action: Callable[[], T], runs: int) -> tuple[list[float], T]:
    """One warm-up, then `runs` timed calls of `action()`; the ms samples and the last result."""
    result = action()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, result


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile of the samples."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


def signed_in_opener(base: str) -> urllib.request.OpenerDirector:
    """An HTTP client holding the session cookie of a reviewer signed in through the form."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    page = opener.open(f"{base}/review/sign-in").read().decode()
    token = page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    form = {"csrf_token": token, "email": "bench@state.example.gov", "password": PASSWORD}
    answer = opener.open(f"{base}/review/sign-in", urllib.parse.urlencode(form).encode())
    assert "/review/sign-in" not in answer.geturl(), "the bench reviewer could not sign in"
    return opener


def time_cases(app: Flask, runs: int, port: int) -> list[tuple[str, float, float, str]]:
    """p50 and p95 ms of each list request over HTTP, and what the page says it matched."""
    with app.app_context():
        known = sa.select(Reviewer.id).filter_by(email="bench@state.example.gov")
        if db.session.scalar(known) is None:
            accounts.create_reviewer("bench@state.example.gov", "Bench", PASSWORD)
            db.session.commit()
        db.session.remove()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", port, app, threaded=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    try:
        opener = signed_in_opener(base)
        # What start-up and the migrations allocated is collected now, not by a collection
        # that would land on one of the first timed requests (a 100 ms outlier each run).
        gc.collect()
        gc.freeze()
        results = []
        for path, cases in (("/review/offers", CASES), ("/review/offers.csv", CSV_CASES)):
            for label, args in cases:
                url = f"{base}{path}?{urllib.parse.urlencode(args)}"
                samples, body = timed(lambda url=url: opener.open(url).read().decode(), runs)
                results.append(
                    (label, percentile(samples, 0.5), percentile(samples, 0.95), matched(body))
                )
        results += time_writer(app, runs)
    finally:
        server.shutdown()
    return results


def time_writer(app: Flask, runs: int) -> list[tuple[str, float, float, str]]:
    """p50 and p95 ms of the CSV file the offers_csv job writes (without storing it)."""
    from donations_app.services import exports, search
    from donations_app.services.rules import active_ruleset

    results = []
    with app.app_context():
        choices = search.filter_choices(active_ruleset())
        for label, args in WRITER_CASES:
            filters, errors = search.parse_filters(args, choices)
            assert not errors, errors
            samples, text = timed(lambda f=filters: "".join(exports.offer_csv_chunks(f)), runs)
            rows = text.count("\n") - 1
            results.append(
                (label, percentile(samples, 0.5), percentile(samples, 0.95), f"{rows:,} rows")
            )
        db.session.remove()
    return results


def matched(body: str) -> str:
    """The number of matches the page states (or the CSV's rows)."""
    if found := re.search(r"Showing offers [\d,]+ to [\d,]+ of ((more than )?[\d,]+)", body):
        return found.group(1)  # "12,345" or "more than 1,000"
    if "Prepare the CSV file" in body:
        return "a Prepare button"
    if body.startswith("Reference,"):  # a list small enough for the direct download
        return f"{body.count(chr(10)) - 1:,} rows"
    return "0"


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
    """Migrate the app's database, insert `offers` offers, migrate to the head and analyze; the
    seconds it took (inside an app context)."""
    import flask_migrate

    flask_migrate.upgrade(revision=FILL_REVISION)
    queue_ids = list(db.session.scalars(sa.select(Queue.id)))
    started = time.perf_counter()
    if db.engine.dialect.name == "postgresql":
        generate_in_postgresql(offers)
    else:
        generate(offers, queue_ids)
    db.session.remove()
    flask_migrate.upgrade()
    analyze()
    return time.perf_counter() - started


def analyze() -> None:
    """After migrating, what the README's upgrade section tells operators: on PostgreSQL
    `VACUUM (FULL, ANALYZE) offers` (0013's backfill rewrites every offer row, leaving half the
    table's pages empty) and VACUUM ANALYZE of the rest (a visibility map that index-only scans
    can trust); ANALYZE on SQLite."""
    postgres = db.engine.dialect.name == "postgresql"
    statements = ["VACUUM (FULL, ANALYZE) offers", "VACUUM ANALYZE"] if postgres else ["ANALYZE"]
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for statement in statements:
            conn.execute(sa.text(statement))


def upgrade_filled() -> float:
    """Migrate a database a previous run filled to the head and analyze; the seconds it took
    (the indexes of later revisions are built over the filled tables, as in production)."""
    import flask_migrate

    started = time.perf_counter()
    flask_migrate.upgrade()
    analyze()
    elapsed = time.perf_counter() - started
    print(f"  migrated to the head and analyzed in {elapsed:.1f} s", flush=True)
    return elapsed


def run(url: str, offers: int, runs: int, port: int, reuse: bool) -> tuple[float, list]:
    """Migrate, fill (or, with reuse, only upgrade) and time one database."""
    app = bench_app(url)
    with app.app_context():
        generated = upgrade_filled() if reuse else fill(offers)
        counts = db.session.execute(
            sa.select(
                sa.select(sa.func.count()).select_from(Offer).scalar_subquery(),
                sa.select(sa.func.count()).select_from(Item).scalar_subquery(),
            )
        ).one()
        print(f"  {counts[0]:,} offers, {counts[1]:,} items in {generated:.1f} s", flush=True)
        db.session.remove()
    results = time_cases(app, runs, port)
    with app.app_context():
        db.engine.dispose()
    return generated, results


def fresh_pg(url: str, reuse: bool) -> str:
    """Create (or recreate) <database>_bench on the server of `url`; return its URL."""
    server = make_url(url).set(drivername="postgresql+psycopg")
    name = f"{server.database or 'donations'}_bench"
    if reuse:
        return server.set(database=name).render_as_string(hide_password=False)
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
    parser.add_argument("--port", type=int, default=5661)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="time the databases a previous run filled (at an older revision) after migrating "
        "them to the head, instead of filling new ones",
    )
    options = parser.parse_args()

    targets = []
    if not options.skip_sqlite:
        path = Path(options.sqlite)
        for suffix in ("", "-wal", "-shm"):
            if not options.reuse:
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        targets.append(("SQLite", f"sqlite:///{path}"))
    if not options.skip_pg:
        if not options.pg:
            parser.error("give --pg URL or TEST_DATABASE_URL, or --skip-pg")
        targets.append(("PostgreSQL", fresh_pg(options.pg, options.reuse)))

    print(
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    )
    print(f"{options.offers:,} offers, {options.runs} runs per request over HTTP, ms")
    table: dict[str, dict[str, tuple[float, float, str]]] = {}
    for name, url in targets:
        print(f"{name}:", flush=True)
        _generated, results = run(url, options.offers, options.runs, options.port, options.reuse)
        table[name] = {label: (p50, p95, total) for label, p50, p95, total in results}
    names = [name for name, _ in targets]
    print()
    heads = " | ".join(f"{n} p50 | {n} p95" for n in names)
    print(f"| request | matches | {heads} |")
    print("|---|---:|" + "---:|---:|" * len(names))
    for label, _args in CASES + CSV_CASES + WRITER_CASES:
        total = table[names[0]][label][2]
        cells = " | ".join(f"{table[n][label][0]:.1f} | {table[n][label][1]:.1f}" for n in names)
        print(f"| {label} | {total} | {cells} |")


if __name__ == "__main__":
    main()
