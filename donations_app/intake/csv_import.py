"""Bulk item entry: the CSV template with the catalog's columns, and an all-or-nothing import."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from donations_app.guidelines import Catalog
from donations_app.intake.answers import flatten, is_blank_item, validate
from donations_app.intake.forms import category_fields

MAX_ITEMS = 500
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


class CsvImportError(ValueError):
    """The file cannot be imported; `problems` lists every row and column at fault."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def columns(catalog: Catalog) -> list[str]:
    """The template's columns: the common item fields, then every category field once."""
    names = list(catalog.item_fields)
    return names + [name for name in category_fields(catalog) if name not in names]


def template_csv(catalog: Catalog) -> str:
    """The downloadable template: a header row with the catalog's columns."""
    out = io.StringIO()
    csv.writer(out).writerow(columns(catalog))
    return out.getvalue()


def _spec(catalog: Catalog, name: str) -> Any:
    return catalog.fields[name] if name in catalog.fields else catalog.item_fields[name]


def _answer(catalog: Catalog, name: str, raw: str, row: int, problems: list[str]) -> str:
    """The form answer for one cell: choices by code or label, yes/no, serials one per line."""
    value = raw.strip()
    spec = _spec(catalog, name)
    if not value:
        return ""
    if spec.type == "bool":
        if value.lower() in _YES:
            return "yes"
        if value.lower() in _NO:
            return "no"
        problems.append(f"Row {row}, column {name}: enter yes or no.")
        return value
    if spec.type == "enum":
        for code, label in spec.choice_labels or ():
            if value.lower() in (code.lower(), label.lower()):
                return code
        return value
    if spec.type == "list":
        return "\n".join(part.strip() for part in value.split(";") if part.strip())
    return value


def read_items(
    data: bytes, catalog: Catalog, offer_answers: Mapping[str, Any], existing: int
) -> list[dict[str, str]]:
    """Item answers from a CSV file, checked by the API schema; CsvImportError if a row fails."""
    rows = _csv_rows(data)
    header = [cell.strip().lower() for cell in rows[0]]
    problems = _header_problems(header, catalog)
    if problems:
        raise CsvImportError(problems)
    items: list[dict[str, str]] = []
    rows_of_items: list[int] = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) > len(header):
            problems.append(f"Row {number} has more cells than the header row has columns.")
            continue
        answers = {
            name: _answer(catalog, name, cell, number, problems)
            for name, cell in zip(header, row, strict=False)
        }
        if is_blank_item(answers):
            continue
        items.append(answers)
        rows_of_items.append(number)
    if not items and not problems:
        problems.append("The file has no item rows. Add one row per item under the header.")
    if existing + len(items) > MAX_ITEMS:
        problems.append(
            f"An offer can have at most {MAX_ITEMS} items; this file would make "
            f"{existing + len(items)}."
        )
    problems += _schema_problems(items, rows_of_items, catalog, offer_answers)
    if problems:
        raise CsvImportError(problems)
    return items


def _csv_rows(data: bytes) -> list[list[str]]:
    """The rows of a UTF-8 CSV file, at least one; CsvImportError when it cannot be read."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvImportError(["The file must be a CSV file saved as UTF-8 text."]) from None
    if "\x00" in text:
        raise CsvImportError(["The file must be a CSV file saved as UTF-8 text."])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as error:
        raise CsvImportError([f"The file is not a readable CSV file ({error})."]) from None
    if not rows:
        raise CsvImportError(["The file is empty. Use the template and add one row per item."])
    return rows


def _header_problems(header: list[str], catalog: Catalog) -> list[str]:
    known = columns(catalog)
    problems = [
        f"Column {index + 1} ({name or 'no name'}) is not one of the template's columns."
        for index, name in enumerate(header)
        if name not in known
    ]
    if "category" not in header:
        problems.append("The file needs a category column (use the template).")
    return problems


def _schema_problems(
    items: list[dict[str, str]],
    rows: list[int],
    catalog: Catalog,
    offer_answers: Mapping[str, Any],
) -> list[str]:
    """Row and column of each item error the API schema reports (offer-level ones are ignored)."""
    if not items:
        return []
    _, messages = validate({**offer_answers, "items": items}, catalog)
    item_messages = (messages or {}).get("items")
    if not isinstance(item_messages, Mapping):
        return []
    problems = []
    for path, message in flatten(item_messages):
        if path and path[0].isdigit() and int(path[0]) < len(rows):
            column = path[1] if len(path) > 1 else "the row"
            problems.append(f"Row {rows[int(path[0])]}, column {column}: {message}")
    return problems
