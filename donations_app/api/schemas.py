"""Marshmallow schemas of an offer (docs/offer.md), built from the active rule set's catalog.

`load_offer` validates an API-shaped body and returns the dict the rule engine and the offers
service read: dates as `datetime.date`, money as `Decimal`, text stripped, and the category
fields that the item's category does not ask for dropped. The schemas are built once per
rule-set version, so a category added to rules/catalog.yaml is accepted as soon as it is active.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validates_schema,
)

from donations_app.api.fields import (
    Amount,
    Choice,
    Day,
    Email,
    SerialNumbers,
    Text,
    WholeNumber,
    YesNo,
)
from donations_app.guidelines import Catalog, FieldSpec
from donations_app.services.rules import active_ruleset

MAX_ITEMS = 500
# Optional free text without a limit of its own is capped at the column size.
DEFAULT_TEXT_LIMIT = 200
ITEM_TEXT_LIMITS = {"description": (1, 500), "manufacturer": (0, 200), "model": (0, 200)}
ORI = re.compile(r"^[A-Z]{2}[A-Z0-9]{7}$")
ZIP = re.compile(r"^[0-9]{5}(-[0-9]{4})?$")  # ASCII only: \d also matches other scripts' digits
PHONE = re.compile(r"^[0-9+().\- ]+(?:\s*(?:x|ext\.?)\s*[0-9]+)?$", re.IGNORECASE)
UNKNOWN_FIELD = "This is not a field of an offer. Remove it or check its spelling."
UNKNOWN_ITEM_FIELD = "This is not a field of an item line. Remove it or check its spelling."
# The rules add days to as_of (as_of + days(365)): a date near 9999-12-31 would overflow.
AS_OF_EARLIEST = dt.date(2000, 1, 1)
AS_OF_LATEST = dt.date(2100, 12, 31)


def _required(message: str) -> dict[str, str | list[Any] | dict[Any, Any]]:
    return {"required": message, "null": message, "invalid": message}


class _Part(Schema):
    """A nested part of the offer: unknown keys are errors, absent optional answers dropped."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": UNKNOWN_FIELD, "type": "Enter this part as a JSON object."}

    @post_load
    def drop_absent(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {name: value for name, value in data.items() if value is not None}


class _ItemBase(_Part):
    """Cross-field checks of an item line."""

    error_messages = {"unknown": UNKNOWN_ITEM_FIELD, "type": "Enter each item as a JSON object."}

    @validates_schema(skip_on_field_errors=False)
    def expiry_after_manufacture(self, data: dict[str, Any], **kwargs: Any) -> None:
        made, expires = data.get("manufactured_on"), data.get("expires_on")
        if isinstance(made, dt.date) and isinstance(expires, dt.date) and expires < made:
            raise ValidationError(
                "Enter a warranty or shelf-life end date that is the same as or after the "
                "date of manufacture.",
                "expires_on",
            )


def _enum_values(catalog: Catalog, name: str) -> tuple[str, ...]:
    return tuple(value for value, _ in catalog.enums.get(name, ()))


ITEM_REQUIRED = {
    "category": "Choose a category",
    "description": "Enter a description of the item",
    "quantity": "Enter a quantity",
    "condition": "Choose the item's condition",
    "acquired_via": "Choose how your agency acquired the item",
}


def item_field(spec: FieldSpec) -> fields.Field:
    """The marshmallow field for a catalog field, by its type."""
    required = spec.name in ITEM_REQUIRED
    common: dict[str, Any] = {"required": required, "allow_none": not required}
    label = spec.label[0].lower() + spec.label[1:]
    if spec.type in ("integer", "decimal"):
        return _number_field(spec, label, common)
    if required:
        common["error_messages"] = _required(ITEM_REQUIRED[spec.name])
    if spec.type == "enum":
        message = (
            f"{ITEM_REQUIRED[spec.name]} from the list"
            if required
            else f"Choose the {label} from the list"
        )
        return Choice(spec.choices or (), message=message, **common)
    if spec.type == "text":
        low, high = ITEM_TEXT_LIMITS.get(spec.name, (0, DEFAULT_TEXT_LIMIT))
        return Text(
            min_length=low,
            max_length=high,
            multiline=spec.name == "description",
            too_long=f"Enter a {label} of {high:,} characters or fewer.",
            **common,
        )
    if spec.type == "date":
        return Day(label=f"the {label}", past_only=spec.name == "manufactured_on", **common)
    if spec.type == "bool":
        return YesNo(message=f"Answer \u201c{spec.label}\u201d with true or false.", **common)
    if spec.type == "list":
        return SerialNumbers(**common)
    raise ValueError(f"no API field for catalog type {spec.type!r}")


def _number_field(spec: FieldSpec, label: str, common: dict[str, Any]) -> fields.Field:
    """A number field within the catalog's min and max (whole for integer fields)."""
    if spec.minimum is None or spec.maximum is None:
        raise ValueError(f"the catalog gives the number field {spec.name!r} no min and max")
    if spec.type == "decimal":
        if common["required"]:
            common["error_messages"] = _required(ITEM_REQUIRED[spec.name])
        return Amount(minimum=spec.minimum, maximum=spec.maximum, unit=spec.unit, **common)
    message = f"Enter a {label} {spec.range_text()}."
    if common["required"]:
        common["error_messages"] = _required(f"{ITEM_REQUIRED[spec.name]} {spec.range_text()}")
    return WholeNumber(
        minimum=int(spec.minimum),
        maximum=int(spec.maximum),
        unit=spec.unit,
        message=message,
        **common,
    )


class ItemLine(fields.Field):
    """An item line, validated with the schema of its category (category-only fields dropped)."""

    def __init__(self, catalog: Catalog, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.catalog = catalog
        common = {name: item_field(spec) for name, spec in catalog.item_fields.items()}
        self.category_only = frozenset(catalog.fields) - frozenset(catalog.item_fields)
        self.listed = {category.id: frozenset(category.fields) for category in catalog.categories}
        self.common = _ItemBase.from_dict(common, name="Item")()
        self.by_category = {
            category.id: _ItemBase.from_dict(
                {
                    **common,
                    **{
                        name: item_field(catalog.fields[name])
                        for name in category.fields
                        if name not in common
                    },
                },
                name=f"Item_{category.id}",
            )()
            for category in catalog.categories
        }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict:
        if not isinstance(value, dict):
            raise ValidationError({"_schema": ["Enter each item as a JSON object."]})
        category = value.get("category")
        category = category.strip() if isinstance(category, str) else category
        schema = self.by_category.get(category) if isinstance(category, str) else None
        listed = (
            self.listed[category]
            if schema is not None and isinstance(category, str)
            else frozenset()
        )
        kept = {
            key: item
            for key, item in value.items()
            if key not in self.category_only or key in listed
        }
        if schema is None:
            kept.pop("category", None)
            errors: dict[str, Any] = {
                "category": [
                    "Choose a category from the list: " + ", ".join(self.catalog.category_ids) + "."
                    if category not in (None, "")
                    else ITEM_REQUIRED["category"] + "."
                ]
            }
            try:
                self.common.load(kept, partial=("category",))
            except ValidationError as error:
                errors.update(error.messages)  # type: ignore[arg-type]
            raise ValidationError(errors)
        quick = quick_load(schema, kept)
        return quick if quick is not None else schema.load(kept)


def quick_load(schema: Schema, line: dict[str, Any]) -> dict[str, Any] | None:
    """What `schema.load(line)` returns for a valid item line, or None when the line has any
    problem (the caller then loads it with the schema, for marshmallow's messages).

    The same fields deserialize the same values, and the item schema's own checks (no unknown
    keys, required fields present, expiry after manufacture, absent answers dropped) are
    repeated here; what is skipped is marshmallow's per-load machinery (error stores, hooks,
    processors), which is most of the cost of a 500-item dry run.
    """
    fields_ = schema.load_fields
    if not line.keys() <= fields_.keys():
        return None
    loaded: dict[str, Any] = {}
    try:
        for name, field in fields_.items():
            if name in line:
                value = field.deserialize(line[name], name, line)
                if value is not None:
                    loaded[name] = value
            elif field.required:
                return None
    except ValidationError:
        return None
    made, expires = loaded.get("manufactured_on"), loaded.get("expires_on")
    if isinstance(made, dt.date) and isinstance(expires, dt.date) and expires < made:
        return None
    return loaded


class ItemList(fields.Field):
    """1 to 500 item lines; errors keyed by the line's index."""

    def __init__(self, catalog: Catalog, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.line = ItemLine(catalog)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list:
        if not isinstance(value, list):
            raise ValidationError("Enter the items as a list of item lines.")
        if not value:
            raise ValidationError("Add at least one item.")
        if len(value) > MAX_ITEMS:
            raise ValidationError(
                f"An offer can have at most {MAX_ITEMS} item lines; this one has "
                f"{len(value):,}. Split the items into several offers."
            )
        lines, errors = [], {}
        for index, raw in enumerate(value):
            try:
                lines.append(self.line.deserialize(raw))
            except ValidationError as error:
                errors[index] = error.messages
        if errors:
            raise ValidationError(errors)
        return lines


def _agency_schema(catalog: Catalog) -> type[Schema]:
    states = _enum_values(catalog, "state")

    class Agency(_Part):
        name = Text(
            required=True,
            min_length=1,
            max_length=200,
            error_messages=_required("Enter the agency's name"),
            too_long="Enter an agency name of 200 characters or fewer.",
        )
        type = Choice(
            _enum_values(catalog, "agency_type"),
            required=True,
            message="Choose the type of agency from the list",
            error_messages=_required("Choose the type of agency"),
        )
        ori = Text(allow_none=True, max_length=9, too_long=ORI_MESSAGE)
        state = Choice(
            states,
            required=True,
            message="Choose the agency's state or territory, as its 2-letter USPS code",
            error_messages=_required("Choose the agency's state or territory"),
        )
        city = Text(
            required=True,
            min_length=1,
            max_length=100,
            error_messages=_required("Enter the agency's city"),
            too_long="Enter a city name of 100 characters or fewer.",
        )

        @post_load
        def check_ori(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
            ori = data.get("ori")
            if ori is not None:
                ori = ori.upper()
                if not ORI.match(ori) or ori[:2] not in states:
                    raise ValidationError(ORI_MESSAGE, "ori")
                data["ori"] = ori
            return data

    return Agency


def _contact_schema() -> type[Schema]:
    class Contact(_Part):
        name = Text(
            required=True,
            min_length=1,
            max_length=120,
            error_messages=_required("Enter the contact's full name"),
            too_long="Enter a name of 120 characters or fewer.",
        )
        title = Text(
            allow_none=True,
            max_length=120,
            error_messages={"invalid": "Enter the contact's job title as text."},
            too_long="Enter a job title of 120 characters or fewer.",
        )
        email = Email(
            required=True,
            min_length=1,
            max_length=254,
            error_messages=_required("Enter the contact's email address"),
            too_long="Enter an email address of 254 characters or fewer.",
        )
        phone = Text(
            allow_none=True,
            max_length=25,
            error_messages={"invalid": PHONE_MESSAGE},
            too_long=PHONE_MESSAGE,
        )

        @post_load
        def check_phone(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
            phone = data.get("phone")
            digits = sum(char.isdigit() for char in phone or "")
            if phone is not None and (len(phone) < 7 or digits < 7 or not PHONE.match(phone)):
                raise ValidationError(PHONE_MESSAGE, "phone")
            data.setdefault("title", "")
            return data

    return Contact


def _pickup_schema(stored: bool) -> type[Schema]:
    """Where and when the items can be collected. A new offer's date may not be in the past;
    a stored offer's date (`stored`), checked again when the donor corrects items, may be."""

    class Pickup(_Part):
        zip = Text(
            required=True,
            min_length=1,
            max_length=10,
            error_messages=_required("Enter the ZIP code where the items can be collected"),
            too_long=ZIP_MESSAGE,
            metadata={"pattern": ZIP.pattern},
        )
        available_from = Day(
            label="the date the items are available from", not_past=not stored, allow_none=True
        )

        @post_load
        def check_zip(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
            if not ZIP.match(data["zip"]):
                raise ValidationError(ZIP_MESSAGE, "zip")
            return data

    return Pickup


def _build_offer_schema(catalog: Catalog, allow_as_of: bool, stored: bool) -> Schema:
    def nested(schema: type[Schema], message: str) -> fields.Nested:
        return fields.Nested(schema, required=True, error_messages=_required(message))

    attrs: dict[str, Any] = {
        "agency": nested(_agency_schema(catalog), "Enter the agency's details"),
        "contact": nested(_contact_schema(), "Enter the contact's details"),
        "recipient": Choice(
            _enum_values(catalog, "recipient"),
            required=True,
            message="Choose which Ukrainian agency the items are for, from the list",
            error_messages=_required("Choose which Ukrainian agency the items are for"),
        ),
        "authority_confirmed": YesNo(
            required=True,
            message=AUTHORITY_MESSAGE,
            error_messages=_required(AUTHORITY_MESSAGE),
            metadata={"enum": [True], "description": "The agency has the authority to donate"},
        ),
        "pickup": nested(_pickup_schema(stored), "Enter where and when the items can be collected"),
        "items": ItemList(
            catalog, required=True, error_messages=_required("Add at least one item.")
        ),
    }
    if allow_as_of:
        attrs["as_of"] = Day(
            label="the date to check against",
            earliest=AS_OF_EARLIEST,
            latest=AS_OF_LATEST,
            allow_none=True,
        )
    offer_schema = _Part.from_dict(attrs, name="OfferAsOf" if allow_as_of else "Offer")

    class Offer(offer_schema):  # type: ignore[misc,valid-type]
        @validates_schema(skip_on_field_errors=False)
        def authority(self, data: dict[str, Any], **kwargs: Any) -> None:
            if data.get("authority_confirmed") is False:
                raise ValidationError(AUTHORITY_MESSAGE, "authority_confirmed")

    return Offer()


ORI_MESSAGE = (
    "Enter the ORI as 9 characters: the agency's 2-letter state code then 7 letters or "
    "digits, like IL0840200."
)
PHONE_MESSAGE = "Enter a phone number of 7 to 25 characters, like 217-555-0100."
ZIP_MESSAGE = "Enter a ZIP code of 5 digits, or ZIP+4 like 62701-1234."
AUTHORITY_MESSAGE = (
    "Confirm that your agency has the authority to donate these items. We cannot accept an "
    "offer without it."
)

_cache: dict[tuple[str, bool, bool], Schema] = {}
_cache_lock = threading.Lock()


def offer_schema(*, allow_as_of: bool = False, stored: bool = False) -> Schema:
    """The offer schema of the active rule set's catalog (built once per rule-set version).

    `stored`: the schema of an offer already submitted, whose dates may since have passed."""
    ruleset = active_ruleset()
    key = (ruleset.version, allow_as_of, stored)
    schema = _cache.get(key)
    if schema is None:
        with _cache_lock:
            schema = _cache.get(key)
            if schema is None:
                schema = _build_offer_schema(ruleset.catalog, allow_as_of, stored)
                _cache[key] = schema
    return schema


def load_offer(payload: dict, *, allow_as_of: bool = False, stored: bool = False) -> dict:
    """Validate an API-shaped offer and return it engine-shaped; ValidationError when invalid."""
    return offer_schema(allow_as_of=allow_as_of, stored=stored).load(payload)


def string_keys(messages: Any) -> Any:
    """Error messages with every key as text, as JSON renders them."""
    if isinstance(messages, dict):
        return {str(key): string_keys(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [string_keys(value) for value in messages]
    return messages
