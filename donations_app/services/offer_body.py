"""The one mapping between a stored offer and the offer body of the API.

The API, the web form (which builds the same body) and a donor's corrections all arrive as a
body; `offer_columns` turns it into the offer's columns. `offer_body` turns a stored offer back
into a body, for the status page's correction form, re-evaluation and anything that explains a
stored offer. An item's fields with a column of their own (`Item.FIELDS`) map one to one;
every other catalog field is kept in the item's `answers`, so a field added to the catalog is
stored, re-evaluated and shown like the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from donations_app.guidelines import Catalog
from donations_app.guidelines.engine import jsonable
from donations_app.models import Item, Offer
from donations_app.services.rules import active_ruleset

# body section -> {body key: offer column}
SECTIONS: dict[str, dict[str, str]] = {
    "agency": {
        "name": "agency_name",
        "type": "agency_type",
        "ori": "agency_ori",
        "state": "agency_state",
        "city": "agency_city",
    },
    "contact": {
        "name": "contact_name",
        "title": "contact_title",
        "email": "contact_email",
        "phone": "contact_phone",
    },
    "pickup": {"zip": "pickup_zip", "available_from": "pickup_available_from"},
}
TOP_LEVEL = ("recipient", "authority_confirmed")


def offer_columns(body: dict[str, Any]) -> dict[str, Any]:
    """The offer's columns from a validated body (its items are set by `item_columns`)."""
    columns: dict[str, Any] = {name: body[name] for name in TOP_LEVEL}
    for section, keys in SECTIONS.items():
        values = body.get(section) or {}
        for key, column in keys.items():
            columns[column] = values.get(key)
    # The title is optional in the body but stored as text.
    columns["contact_title"] = columns["contact_title"] or ""
    return columns


def item_columns(line: dict[str, Any]) -> dict[str, Any]:
    """An item's columns from one validated item line (absent fields stored as empty)."""
    columns = {
        name: list(line.get(name) or []) if name == "serial_numbers" else line.get(name)
        for name in Item.FIELDS
    }
    columns["answers"] = {
        name: jsonable(value)
        for name, value in line.items()
        if name not in columns and value is not None
    }
    return columns


def item_line(item: Item, catalog: Catalog | None = None) -> dict[str, Any]:
    """A stored item as an item line of the body: absent values left out, native types."""
    return line_from_values(
        Item.FIELDS, [getattr(item, name) for name in Item.FIELDS], item.answers, catalog
    )


def line_from_values(
    names: Sequence[str],
    values: Sequence[Any],
    answers: Mapping[str, Any] | None,
    catalog: Catalog | None = None,
) -> dict[str, Any]:
    """An item line from an item's stored column values (named by `names`, e.g. a row read
    without the ORM) and its `answers`.

    Answers without a column take their type from the catalog (the active one by default); an
    answer to a field the catalog no longer has is kept as stored.
    """
    line = {name: value for name, value in zip(names, values, strict=True) if value is not None}
    if answers:
        catalog = catalog or active_ruleset().catalog
        for name, value in answers.items():
            if value is not None and name not in line:
                line[name] = _native(catalog, name, value)
    return line


def _native(catalog: Catalog, name: str, value: Any) -> Any:
    kind = catalog.field(name).type if name in catalog.fields or name in catalog.item_fields else ""
    try:
        if kind == "date" and isinstance(value, str):
            return dt.date.fromisoformat(value)
        if kind == "decimal" and isinstance(value, str | int | float):
            return Decimal(str(value))
    except (ValueError, ArithmeticError):
        return value
    return value


def offer_body(offer: Offer, *, as_json: bool = False) -> dict[str, Any]:
    """The stored offer as a body; `as_json` gives ISO dates and decimal text, as the API takes.

    Empty optional answers are left out, as a client would leave them out.
    """
    convert = jsonable if as_json else (lambda value: value)
    body: dict[str, Any] = {name: getattr(offer, name) for name in TOP_LEVEL}
    for section, keys in SECTIONS.items():
        body[section] = {
            key: convert(getattr(offer, column))
            for key, column in keys.items()
            if getattr(offer, column) not in (None, "")
        }
    body["items"] = [
        {name: convert(value) for name, value in item_line(item).items()} for item in offer.items
    ]
    return body
