"""Cells for files reviewers open in a spreadsheet (CSV and XLSX exports).

A spreadsheet runs a text cell that starts with = + - @ (or a tab or CR) as a formula, so a
donor could plant one in an agency name or description (CSV injection). Every export writes
its text through `guard_formula`; numbers are left alone so they stay numbers.
"""

from __future__ import annotations

import unicodedata
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard_formula(value: Any) -> Any:
    """Quote text a spreadsheet would otherwise evaluate as a formula; numbers pass unchanged.

    The first character is compared in its compatibility form too: some spreadsheets read a
    full-width sign (U+FF1D, U+FF0B ...) as the ASCII one.
    """
    if isinstance(value, str) and value:
        first = unicodedata.normalize("NFKC", value[0])
        if first.startswith(FORMULA_STARTS) or value.startswith(FORMULA_STARTS):
            return "'" + value
    return value
