"""Bulk item entry: the CSV template with the catalog's columns, and an all-or-nothing import."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from typing import IO, Any

from flask import current_app

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


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    return f"{max(limit // 1024, 1)} KB"


def read_items(
    source: IO[bytes], catalog: Catalog, offer_answers: Mapping[str, Any], existing: int
) -> list[dict[str, str]]:
    """Item answers from an uploaded CSV file, checked by the API schema.

    At most CSV_IMPORT_MAX_BYTES are read, and rows are read one at a time up to the first
    item the offer has no room for, so an oversized file costs no more than a full offer.
    CsvImportError lists every problem found.
    """
    max_bytes = current_app.config["CSV_IMPORT_MAX_BYTES"]
    data = source.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise CsvImportError(
            [
                f"The file is larger than {_size(max_bytes)}. An offer has at most {MAX_ITEMS} "
                "items: remove empty rows and columns, or split the items into several offers."
            ]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvImportError(["The file must be a CSV file saved as UTF-8 text."]) from None
    if "\x00" in text:
        raise CsvImportError(["The file must be a CSV file saved as UTF-8 text."])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip().lower() for cell in next(reader, [])]
        if not header:
            raise CsvImportError(["The file is empty. Use the template and add one row per item."])
        _check_header(header, catalog)
        problems: list[str] = []
        items, rows_of_items = _item_rows(reader, header, catalog, MAX_ITEMS - existing, problems)
    except csv.Error as error:
        raise CsvImportError([f"The file is not a readable CSV file ({error})."]) from None
    if not items and not problems:
        problems.append("The file has no item rows. Add one row per item under the header.")
    problems += _schema_problems(items, rows_of_items, catalog, offer_answers)
    if problems:
        raise CsvImportError(problems)
    return items


def _check_header(header: list[str], catalog: Catalog) -> None:
    known = columns(catalog)
    problems = [
        f"Column {index + 1} ({name or 'no name'}) is not one of the template's columns."
        for index, name in enumerate(header)
        if name not in known
    ]
    if "category" not in header:
        problems.append("The file needs a category column (use the template).")
    if problems:
        raise CsvImportError(problems)


def _item_rows(
    reader: Iterator[list[str]],
    header: list[str],
    catalog: Catalog,
    room: int,
    problems: list[str],
) -> tuple[list[dict[str, str]], list[int]]:
    """The item rows and their row numbers; stops at the first row the offer has no room for."""
    items: list[dict[str, str]] = []
    rows_of_items: list[int] = []
    for number, row in enumerate(reader, start=2):
        if len(row) > len(header):
            problems.append(f"Row {number} has more cells than the header row has columns.")
            continue
        answers = {
            name: _answer(catalog, name, cell, number, problems)
            for name, cell in zip(header, row, strict=False)
        }
        if is_blank_item(answers):
            continue
        if len(items) >= room:
            typed = f" and the form already has {MAX_ITEMS - room}" if room < MAX_ITEMS else ""
            problems.append(
                f"An offer can have at most {MAX_ITEMS} items{typed}: row {number} is one item "
                "too many. Split the items into several offers."
            )
            break
        items.append(answers)
        rows_of_items.append(number)
    return items, rows_of_items


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
