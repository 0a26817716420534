"""The formula guard of every export quotes text a spreadsheet would run as a formula."""

from __future__ import annotations

import pytest

from donations_app.services.spreadsheets import guard_formula


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\uff1dHYPERLINK(1)", "\uff0b1", "\uff20x"],
)
def test_formula_starts_are_quoted(text):
    assert guard_formula(text) == "'" + text


@pytest.mark.parametrize("value", ["Springfield", "", "1=1", 12, None])
def test_other_values_pass_unchanged(value):
    assert guard_formula(value) == value
