"""Bulk item entry: the CSV template with the catalog's columns, and an all-or-nothing import."""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Iterator, Mapping
from typing import IO, Any, NamedTuple

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


class Problem(NamedTuple):
    """One problem of a row: its row number, the column's position (-1: the whole row), text."""

    row: int
    column: int
    text: str


def _cell_problem(row: int, header: list[str], name: str, value: str, message: str) -> Problem:
    """A problem of one cell, quoting the value as typed."""
    shown = value if len(value) <= 60 else value[:57] + "..."
    position = header.index(name) if name in header else len(header)
    return Problem(row, position, f'Row {row}, column {name}: "{shown}": {message}')


def suggestion(value: str, spec: Any) -> str:
    """' Did you mean "code" (label)?' for the answer of a list closest to value, or ''."""
    pairs = spec.choice_labels or ()
    if not value or not pairs:
        return ""
    by_text = {code.lower(): (code, label) for code, label in pairs}
    by_text.update({label.lower(): (code, label) for code, label in pairs})
    close = difflib.get_close_matches(value.lower(), list(by_text), n=1, cutoff=0.6)
    if not close:
        return ""
    code, label = by_text[close[0]]
    return f' Did you mean "{code}" ({label})?'


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


def _answer(catalog: Catalog, name: str, value: str) -> str | None:
    """The form answer for one cell (stripped): choices by code or label, yes/no, serials one
    per line; None for a yes/no cell that is neither."""
    spec = _spec(catalog, name)
    if not value:
        return ""
    if spec.type == "bool":
        if value.lower() in _YES:
            return "yes"
        if value.lower() in _NO:
            return "no"
        return None
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
        problems: list[Problem] = []
        items, rows_of_items = _item_rows(reader, header, catalog, MAX_ITEMS - existing, problems)
    except csv.Error as error:
        raise CsvImportError([f"The file is not a readable CSV file ({error})."]) from None
    if not items and not problems:
        raise CsvImportError(["The file has no item rows. Add one row per item under the header."])
    problems += _schema_problems(items, rows_of_items, header, catalog, offer_answers)
    if problems:
        raise CsvImportError([problem.text for problem in sorted(problems)])
    return items


def _check_header(header: list[str], catalog: Catalog) -> None:
    known = columns(catalog)
    problems = []
    for index, name in enumerate(header):
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f' Did you mean "{close[0]}"?' if close else ""
            problems.append(
                f"Column {index + 1} ({name or 'no name'}) is not one of the template's "
                f"columns.{hint}"
            )
    if "category" not in header:
        problems.append("The file needs a category column (use the template).")
    if problems:
        raise CsvImportError(problems)


def _item_rows(
    reader: Iterator[list[str]],
    header: list[str],
    catalog: Catalog,
    room: int,
    problems: list[Problem],
) -> tuple[list[dict[str, str]], list[int]]:
    """The item rows and their row numbers; stops at the first row the offer has no room for."""
    items: list[dict[str, str]] = []
    rows_of_items: list[int] = []
    for number, row in enumerate(reader, start=2):
        if len(row) > len(header):
            problems.append(
                Problem(number, -1, f"Row {number} has more cells than the header row has columns.")
            )
            continue
        answers = _row_answers(header, row, number, catalog, problems)
        if is_blank_item(answers):
            continue
        if len(items) >= room:
            typed = f" and the form already has {MAX_ITEMS - room}" if room < MAX_ITEMS else ""
            text = (
                f"An offer can have at most {MAX_ITEMS} items{typed}: row {number} is one item "
                "too many. Split the items into several offers."
            )
            problems.append(Problem(number, -1, text))
            break
        items.append(answers)
        rows_of_items.append(number)
    return items, rows_of_items


def _row_answers(
    header: list[str], row: list[str], number: int, catalog: Catalog, problems: list[Problem]
) -> dict[str, str]:
    """The form answers of one row; a yes/no cell that is neither is kept and reported."""
    answers = {}
    for name, cell in zip(header, row, strict=False):
        value = cell.strip()
        answer = _answer(catalog, name, value)
        if answer is None:
            problems.append(_cell_problem(number, header, name, value, "enter yes or no."))
            answer = value
        answers[name] = answer
    return answers


def _schema_problems(
    items: list[dict[str, str]],
    rows: list[int],
    header: list[str],
    catalog: Catalog,
    offer_answers: Mapping[str, Any],
) -> list[Problem]:
    """Row and column of each item error the API schema reports (offer-level ones are ignored)."""
    if not items:
        return []
    _, messages = validate({**offer_answers, "items": items}, catalog)
    item_messages = (messages or {}).get("items")
    if not isinstance(item_messages, Mapping):
        return []
    problems = []
    for path, message in flatten(item_messages):
        if not (path and path[0].isdigit() and int(path[0]) < len(rows)):
            continue
        line, row = int(path[0]), rows[int(path[0])]
        if len(path) < 2:
            problems.append(Problem(row, -1, f"Row {row}: {message}"))
            continue
        name = path[1]
        value = items[line].get(name, "")
        spec = _spec(catalog, name) if name in header else None
        hint = suggestion(value, spec) if spec is not None else ""
        problems.append(_cell_problem(row, header, name, value, message + hint))
    return problems
