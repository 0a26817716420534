"""Cells for files reviewers open in a spreadsheet (CSV and XLSX exports).

A spreadsheet runs a text cell that starts with = + - @ (or a tab or CR) as a formula, so a
donor could plant one in an agency name or description (CSV injection). Every export writes
its text through `guard_formula`; numbers are left alone so they stay numbers.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard_formula(value: Any) -> Any:
    """Quote text a spreadsheet would otherwise evaluate as a formula; numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
