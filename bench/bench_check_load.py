"""CPU time of the dry run's parts at 500 items, in one process: `load_offer` (the item lines'
quick load), the same with marshmallow's full load forced, and the engine with `as_dict()`.

    .venv/bin/python bench/bench_check_load.py --items 500 --repeat 15

Times are `time.process_time` (CPU of this process, so a busy machine inflates them less than
wall time), best and median of the repeats.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_intake import offer

import donations_app.api.schemas as schemas
from donations_app import create_app
from donations_app.services.offers import check_offer


def cpu_ms(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return min(times) * 1000, statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    body = offer(args.items)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'check.sqlite3'}",
                "PUBLIC_BASE_URL": "https://donations.example.gov",
            }
        )
        with app.test_request_context():
            data = schemas.load_offer(body)
            rows = {
                "load_offer (quick item load)": cpu_ms(
                    lambda: schemas.load_offer(body), args.repeat
                ),
                "engine + as_dict": cpu_ms(lambda: check_offer(data), args.repeat),
            }
            quick = schemas.quick_load
            schemas.quick_load = lambda schema, line: None  # every line through schema.load
            try:
                rows["load_offer (full marshmallow load)"] = cpu_ms(
                    lambda: schemas.load_offer(body), args.repeat
                )
            finally:
                schemas.quick_load = quick
    print(f"{args.items} items, CPU ms (best / median of {args.repeat})")
    for name, (best, median) in rows.items():
        print(f"{name:<36} {best:8.1f} {median:8.1f}")


if __name__ == "__main__":
    main()
