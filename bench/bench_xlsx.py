"""Benchmark: time and peak Python memory of writing an XLSX manifest of N rows.

Usage:
    .venv/bin/python bench/bench_xlsx.py [--rows N] [--runs R] [--memory-rows M]

The rows are made up here, one per approved item, with the manifest's columns and value types
(text, dates, a UTC time, decimals, a quantity), so the writer is measured without a database.
Each run consumes `exports.manifest_xlsx(rows, "sbgs")` piece by piece, as the job worker does
when it stores the file; a small first run is a warm-up (it imports openpyxl). Reported: the
file's size, p50 of the seconds per run, and the peak of Python memory one more, untimed run of
--memory-rows rows allocates (tracemalloc; it slows the writer several times over).
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import time
import tracemalloc
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from donations_app.services import exports, manifests


def rows(count: int) -> Iterator[list[Any]]:
    """`count` manifest rows in the columns' order (services/manifests.COLUMNS)."""
    decided = dt.datetime(2026, 3, 2, 9, 30)
    for n in range(count):
        yield [
            f"UA-2026-{n // 3 + 1:06d}",
            "Springfield Police Department",
            "Springfield",
            "IL",
            "62701",
            dt.date(2027, 1, 15),
            "Pat Officer",
            "pat.officer@springfield.example.gov",
            "(217) 555-0100",
            "Body armor",
            f"Level IIIA vests, lot {n}",
            "Good, fully serviceable",
            "NIJ Level IIIA",
            dt.date(2029, 6, 30),
            12,
            Decimal("450.00"),
            Decimal("5400.00"),
            f"SN-{n:08d}",
            "Point Blank",
            "Alpha Elite",
            "Rita Reviewer",
            decided + dt.timedelta(minutes=n),
        ]


def write_once(count: int) -> tuple[int, float]:
    """One workbook of `count` rows: its size in bytes and the seconds it took."""
    started = time.perf_counter()
    size = sum(len(piece) for piece in exports.manifest_xlsx(rows(count), "sbgs"))
    return size, time.perf_counter() - started


def peak_memory(count: int) -> int:
    """The peak of Python memory one workbook of `count` rows allocates, in bytes (tracemalloc
    slows the writer several times over: this run is not timed)."""
    tracemalloc.start()
    try:
        write_once(count)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--memory-rows", type=int, default=20_000)
    options = parser.parse_args()
    assert len(next(rows(1))) == len(manifests.COLUMNS)

    write_once(100)  # warm-up: imports openpyxl
    results = [write_once(options.rows) for _ in range(options.runs)]
    peak = peak_memory(options.memory_rows)
    print(
        f"{options.rows:,} rows, {options.runs} runs; {platform.machine()}, "
        f"Python {platform.python_version()}"
    )
    print(f"file size: {results[-1][0]:,} bytes")
    print(f"seconds per workbook, p50: {median(seconds for _, seconds in results):.2f}")
    print(
        f"peak Python memory per workbook of {options.memory_rows:,} rows: {peak / 2**20:.1f} MiB"
    )


if __name__ == "__main__":
    main()
