"""Between the offer form and the API schema: answers -> API-shaped body, schema errors -> fields.

The form keeps the donor's answers as typed (text, "yes"/"no", one serial number per line).
`offer_body` turns them into the body the JSON API accepts, `validate` runs the API's own
schema on it, and `attach_errors` puts the schema's nested messages back on the form fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError
from wtforms import Field, FieldList, FormField
from wtforms.form import BaseForm

from donations_app.guidelines import Catalog
from donations_app.intake.forms import CHOICE_SUFFIX, OTHER_CHOICE, category_fields

_MISSING_MESSAGES = {"Missing data for required field.", "Field may not be null."}
# ASCII digits, as many as WholeNumber reads: longer text stays text and gets WholeNumber's
# message (int() refuses more than 4,300 digits, and \d matches digits of every script).
_INTEGER = re.compile(r"[+-]?[0-9]{1,12}")
SECTIONS = {
    "agency": ("name", "type", "ori", "state", "city"),
    "contact": ("name", "title", "email", "phone"),
    "pickup": ("zip", "available_from"),
}


@dataclass(frozen=True)
class ErrorLink:
    """One entry of the error summary: the field's id and the message."""

    field_id: str
    text: str


def _text(value: Any) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def convert(kind: str, value: Any) -> Any:
    """A typed answer as the API expects it, or None when the donor left it blank."""
    text = _text(value)
    if text is None:
        return None
    if kind == "integer":
        plain = text.replace(",", "")
        return int(plain) if _INTEGER.fullmatch(plain) else text
    if kind == "decimal":
        return text.removeprefix("$").replace(",", "").strip()
    if kind == "bool":
        return {"yes": True, "no": False}.get(text.lower(), text)
    if kind == "list":
        lines = [line.strip() for line in text.splitlines()]
        return [line for line in lines if line] or None
    return text


def with_legacy_choices(answers: Mapping[str, Any]) -> dict[str, Any]:
    """An item line of a draft saved by an earlier form, whose suggestions were picked in a
    select of their own ("<field>_choice", see forms.CHOICE_SUFFIX), with each picked suggestion
    moved into its empty text box."""
    found = {}
    for key, choice in answers.items():
        name = key.removesuffix(CHOICE_SUFFIX)
        picked = _text(choice)
        if name != key and picked and picked != OTHER_CHOICE and not _text(answers.get(name)):
            found[name] = picked
    return {**answers, **found}


def item_body(answers: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    """One item line as the API takes it: common fields plus the chosen category's fields only."""
    category = _text(answers.get("category"))
    listed = (
        catalog.category(category).fields if category is not None and category in catalog else ()
    )
    names = list(catalog.item_fields)
    names += [n for n in listed if n not in names]
    answers = with_legacy_choices(answers)
    body: dict[str, Any] = {}
    for name in names:
        value = answers.get(name)
        spec = catalog.fields[name] if name in catalog.fields else catalog.item_fields[name]
        converted = convert(spec.type, value)
        if converted is not None:
            body[name] = converted
    return body


def offer_body(answers: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    """The whole offer as the JSON API takes it."""
    body: dict[str, Any] = {}
    for section, names in SECTIONS.items():
        given = answers.get(section) or {}
        part = {name: _text(given.get(name)) for name in names}
        body[section] = {name: value for name, value in part.items() if value is not None}
    recipient = _text(answers.get("recipient"))
    if recipient is not None:
        body["recipient"] = recipient
    body["authority_confirmed"] = bool(answers.get("authority_confirmed"))
    body["items"] = [item_body(item or {}, catalog) for item in answers.get("items") or []]
    return body


def load_body(body: dict[str, Any], *, stored: bool = False) -> tuple[dict | None, dict | None]:
    """(engine-shaped offer, None) when the API schema accepts the body, else (None, messages).

    `stored`: the body of a submitted offer (its pickup date may since have passed)."""
    from donations_app.api.schemas import load_offer

    try:
        return load_offer(body, stored=stored), None
    except ValidationError as error:
        messages = error.messages
        return None, messages if isinstance(messages, dict) else {"_schema": messages}


def validate(answers: Mapping[str, Any], catalog: Catalog) -> tuple[dict | None, dict | None]:
    """(engine-shaped offer, None) when the answers are valid, else (None, schema messages)."""
    return load_body(offer_body(answers, catalog))


def flatten(messages: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """Each (field path, message) of marshmallow's nested messages; "_schema" means the parent."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            yield from flatten(value, path if key == "_schema" else (*path, str(key)))
    elif isinstance(messages, list | tuple):
        for value in messages:
            yield from flatten(value, path)
    else:
        yield path, str(messages)


def form_fields(form: BaseForm) -> dict[str, Field]:
    """Every answerable field of a form by id, descending into sections and item lines."""
    found: dict[str, Field] = {}

    def walk(field: Field) -> None:
        if isinstance(field, FormField):
            for sub in field:
                walk(sub)
        elif isinstance(field, FieldList):
            for entry in field:
                walk(entry)
        elif field.type not in ("CSRFTokenField", "HiddenField"):
            found[field.id] = field

    for field in form:
        walk(field)
    return found


def _message(field: Field, message: str) -> str:
    if message in _MISSING_MESSAGES:
        verb = "Select" if field.type in ("SelectField", "RadioField") else "Enter"
        if field.type == "BooleanField":
            return "Confirm this to continue"
        return f"{verb} {field.label.text[0].lower()}{field.label.text[1:]}".replace(
            " (optional)", ""
        )
    return message


def _item_number(field_id: str, positions: Mapping[int, int] | None) -> str:
    match = re.match(r"items-(\d+)-", field_id)
    if not match:
        return ""
    index = int(match.group(1))
    return f"Item {(positions or {}).get(index, index) + 1}: "


def attach_errors(
    form: BaseForm,
    messages: Mapping[str, Any],
    index_map: Mapping[int, int] | None = None,
    fallback_id: str = "offer-form",
) -> list[ErrorLink]:
    """Put schema messages on the form's fields and return the error summary.

    `index_map` maps an item index of the API body to the index of its line on the form
    (the info-response form shows only some items); by default they are the same.
    """
    fields = form_fields(form)
    positions = {v: k for k, v in index_map.items()} if index_map else None
    summary: list[ErrorLink] = []
    for path, message in flatten(messages):
        parts = list(path)
        if index_map and len(parts) > 1 and parts[0] == "items" and parts[1].isdigit():
            parts[1] = str(index_map.get(int(parts[1]), parts[1]))
        field = None
        for end in range(len(parts), 0, -1):
            field = fields.get("-".join(parts[:end]))
            if field is not None:
                break
        if field is None:
            target = "items" if parts[:1] == ["items"] else fallback_id
            summary.append(ErrorLink(target, message))
            continue
        text = _message(field, message)
        field.errors = [*list(field.errors or []), text]
        label = field.label.text.replace(" (optional)", "")
        summary.append(ErrorLink(field.id, f"{_item_number(field.id, positions)}{label}: {text}"))
    return summary


def is_blank_item(answers: Mapping[str, Any]) -> bool:
    """True for an item line with nothing typed in it."""
    return all(_text(value) is None for value in answers.values())


def catalog_field_users(catalog: Catalog) -> dict[str, str]:
    """Category field -> "Only for: ..." labels, for hints and for the script's data attributes."""
    labels = {category.id: category.label for category in catalog.categories}
    return {
        name: ", ".join(labels[c] for c in users)
        for name, users in category_fields(catalog).items()
    }
