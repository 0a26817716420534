"""Whole numbers from request text: only ASCII digits, bounded, never an exception."""

from __future__ import annotations

import pytest

from donations_app.parsing import whole_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", 0), ("42", 42), (" 7 ", 7), ("1000000000", 10**9)],
)
def test_whole_numbers_are_read(text, expected):
    assert whole_number(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "-1", "+3", "1.5", "²", "١٢", "1e3", "9" * 5000, "1000000001", None, 12, "0x10"],
)
def test_anything_else_is_none(text):
    assert whole_number(text) is None


def test_bounds_are_the_callers():
    assert whole_number("5", minimum=1, maximum=5) == 5
    assert whole_number("0", minimum=1) is None
