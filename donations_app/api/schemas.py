"""Marshmallow schemas of an offer (SPEC section 2), built from the active rule set's catalog.

`load_offer` validates an API-shaped body and returns the dict the rule engine and the offers
service read: dates as `datetime.date`, money as `Decimal`, text stripped, and the category
fields that the item's category does not ask for dropped. The schemas are built once per
rule-set version, so a category added to rules/catalog.yaml is accepted as soon as it is active.
The response schemas at the end only describe answers, for the OpenAPI document.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from email_validator import EmailNotValidError, validate_email
from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validates_schema,
)

from donations_app.guidelines import Catalog, FieldSpec
from donations_app.models.vocabulary import OFFER_STATUSES
from donations_app.services.rules import active_ruleset

MAX_ITEMS = 500
MAX_QUANTITY = 100_000
MAX_UNIT_VALUE = Decimal("9999999999.99")
MAX_SERIAL_NUMBERS = 10_000
MAX_SERIAL_LENGTH = 100
# Optional free text without a limit of its own in the SPEC is capped at the column size.
DEFAULT_TEXT_LIMIT = 200
ITEM_TEXT_LIMITS = {"description": (1, 500), "manufacturer": (0, 200), "model": (0, 200)}
ORI = re.compile(r"^[A-Z]{2}[A-Z0-9]{7}$")
ZIP = re.compile(r"^\d{5}(-\d{4})?$")
PHONE = re.compile(r"^[0-9+().\- ]+(?:\s*(?:x|ext\.?)\s*[0-9]+)?$", re.IGNORECASE)
UNKNOWN_FIELD = "This is not a field of an offer. Remove it or check its spelling."
UNKNOWN_ITEM_FIELD = "This is not a field of an item line. Remove it or check its spelling."

# Characters that never belong in text a person typed: C0/C1 controls (NUL included),
# unpaired surrogates (which no database can store) and non-characters.
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


class Text(fields.String):
    """Text without control characters, stripped; an empty optional answer counts as absent."""

    def __init__(
        self,
        *,
        max_length: int,
        min_length: int = 0,
        multiline: bool = False,
        too_long: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.min_length = min_length
        self.max_length = max_length
        self.multiline = multiline
        self.too_long = too_long

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        text = super()._deserialize(value, attr, data, **kwargs)
        for char in text:
            category = unicodedata.category(char)
            allowed = self.multiline and char in _ALLOWED_CONTROLS
            if (category in ("Cc", "Cs") and not allowed) or _noncharacter(char):
                raise ValidationError(
                    "Remove the control characters (such as null bytes) from this answer."
                )
        text = text.strip()
        if not text:
            if self.min_length:
                raise self.make_error("required")
            return None
        if len(text) > self.max_length:
            raise ValidationError(
                self.too_long or f"Enter {self.max_length:,} characters or fewer."
            )
        return text


def _noncharacter(char: str) -> bool:
    code = ord(char)
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


class Choice(Text):
    """One value from a fixed list; the message names the list."""

    def __init__(self, choices: tuple[str, ...], *, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", max((len(c) for c in choices), default=1))
        super().__init__(**kwargs)
        self.choices = choices
        self.message = message

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        if isinstance(value, str) and value.strip() not in self.choices:
            raise ValidationError(f"{self.message}: {', '.join(self.choices)}.")
        return super()._deserialize(value, attr, data, **kwargs)


class WholeNumber(fields.Field):
    """A whole number in a range; numeric text like "12" is accepted, 1.5 and true are not."""

    def __init__(self, *, minimum: int, maximum: int, message: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.minimum, self.maximum, self.message = minimum, maximum, message

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        number: int | None = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif isinstance(value, Decimal | float) and value == value and value % 1 == 0:
            number = int(value) if abs(value) < 10**12 else None
        elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,12}\s*", value):
            number = int(value)
        if number is None or not self.minimum <= number <= self.maximum:
            raise ValidationError(self.message)
        return number


class UsdAmount(fields.Field):
    """A non-negative amount of US dollars with at most two decimal places."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise ValidationError("Enter the value as a number, like 350.00.")
        try:
            amount = Decimal(
                str(value).strip().replace(",", "")
                if isinstance(value, str)
                else (str(value) if isinstance(value, float) else value)
            )
        except (InvalidOperation, ValueError):
            raise ValidationError("Enter the value as a number, like 350.00.") from None
        if not amount.is_finite():
            raise ValidationError("Enter the value as a number, like 350.00.")
        if amount < 0:
            raise ValidationError("Enter a value of 0 or more.")
        if amount > MAX_UNIT_VALUE:
            raise ValidationError("Enter a value of less than 10,000,000,000 US dollars.")
        if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):
            raise ValidationError("Enter the value with no more than 2 decimal places.")
        return amount.quantize(Decimal("0.01"))


class Day(fields.Date):
    """A calendar date written YYYY-MM-DD (a `datetime.date` is accepted as is)."""

    def __init__(self, *, label: str, past_only: bool = False, **kwargs: Any) -> None:
        message = f"Enter {label} as a real date in the format YYYY-MM-DD, like 2026-03-31."
        kwargs.setdefault("error_messages", {})
        kwargs["error_messages"].setdefault("invalid", message)
        super().__init__(**kwargs)
        self.label, self.past_only = label, past_only

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.date:
        if isinstance(value, dt.datetime):
            raise self.make_error("invalid")
        if isinstance(value, dt.date):
            day = value
        else:
            if not isinstance(value, str):
                raise self.make_error("invalid")
            day = super()._deserialize(value.strip(), attr, data, **kwargs)
        if self.past_only and day > today():
            raise ValidationError(f"Enter {self.label} that is not in the future.")
        return day


class YesNo(fields.Boolean):
    """true or false (the text "true"/"false" too, as HTML forms send)."""

    def __init__(self, *, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {})
        kwargs["error_messages"].setdefault("invalid", message)
        super().__init__(truthy={True, "true"}, falsy={False, "false"}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool | str):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class SerialNumbers(fields.Field):
    """A list of short serial numbers; blank entries are dropped."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        if not isinstance(value, list):
            raise ValidationError("Enter the serial numbers as a list of text values.")
        if len(value) > MAX_SERIAL_NUMBERS:
            raise ValidationError(f"Enter {MAX_SERIAL_NUMBERS:,} serial numbers or fewer.")
        entry = Text(
            max_length=MAX_SERIAL_LENGTH,
            too_long=f"Enter serial numbers of {MAX_SERIAL_LENGTH} characters or fewer.",
            error_messages={"invalid": "Enter each serial number as text."},
        )
        serials, errors = [], {}
        for index, raw in enumerate(value):
            try:
                serial = entry.deserialize(raw)
            except ValidationError as error:
                errors[index] = error.messages
                continue
            if serial:
                serials.append(serial)
        if errors:
            raise ValidationError(errors)
        return serials


class Email(Text):
    """An e-mail address checked with email-validator (syntax only), normalised."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        text = super()._deserialize(value, attr, data, **kwargs)
        if text is None:
            return None
        try:
            return validate_email(text, check_deliverability=False).normalized
        except EmailNotValidError:
            raise ValidationError(
                "Enter an email address in the correct format, like name@example.gov."
            ) from None


def today() -> dt.date:
    """Today's date in UTC, the date offers are evaluated and validated against."""
    return dt.datetime.now(dt.UTC).date()


def _required(message: str) -> dict[str, str]:
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
    "quantity": f"Enter a quantity between 1 and {MAX_QUANTITY:,}",
    "condition": "Choose the item's condition",
    "acquired_via": "Choose how your agency acquired the item",
}


def item_field(spec: FieldSpec) -> fields.Field:
    """The marshmallow field for a catalog field, by its type."""
    required = spec.name in ITEM_REQUIRED
    common: dict[str, Any] = {"required": required, "allow_none": not required}
    label = spec.label[0].lower() + spec.label[1:]
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
    if spec.type == "integer":
        return WholeNumber(
            minimum=1,
            maximum=MAX_QUANTITY,
            message=f"Enter a {label} between 1 and {MAX_QUANTITY:,}.",
            **common,
        )
    if spec.type == "decimal":
        return UsdAmount(**common)
    if spec.type == "date":
        return Day(label=f"the {label}", past_only=spec.name == "manufactured_on", **common)
    if spec.type == "bool":
        return YesNo(message=f"Answer \u201c{spec.label}\u201d with true or false.", **common)
    if spec.type == "list":
        return SerialNumbers(**common)
    raise ValueError(f"no API field for catalog type {spec.type!r}")


class ItemLine(fields.Field):
    """An item line, validated with the schema of its category (category-only fields dropped)."""

    def __init__(self, catalog: Catalog, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.catalog = catalog
        common = {name: item_field(spec) for name, spec in catalog.item_fields.items()}
        self.category_only = frozenset(catalog.fields) - frozenset(catalog.item_fields)
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
        listed = set(self.catalog.category(category).fields) if schema is not None else set()
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
        return schema.load(kept)


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


def _build_offer_schema(catalog: Catalog, allow_as_of: bool) -> Schema:
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

    class Pickup(_Part):
        zip = Text(
            required=True,
            min_length=1,
            max_length=10,
            error_messages=_required("Enter the ZIP code where the items can be collected"),
            too_long=ZIP_MESSAGE,
        )
        available_from = Day(label="the date the items are available from", allow_none=True)

        @post_load
        def check_zip(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
            if not ZIP.match(data["zip"]):
                raise ValidationError(ZIP_MESSAGE, "zip")
            return data

    def nested(schema: type[Schema], message: str) -> fields.Nested:
        return fields.Nested(schema, required=True, error_messages=_required(message))

    attrs: dict[str, Any] = {
        "agency": nested(Agency, "Enter the agency's details"),
        "contact": nested(Contact, "Enter the contact's details"),
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
        ),
        "pickup": nested(Pickup, "Enter where and when the items can be collected"),
        "items": ItemList(
            catalog, required=True, error_messages=_required("Add at least one item.")
        ),
    }
    if allow_as_of:
        attrs["as_of"] = Day(label="the date to check against", allow_none=True)
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

_cache: dict[tuple[str, bool], Schema] = {}
_cache_lock = threading.Lock()


def offer_schema(*, allow_as_of: bool = False) -> Schema:
    """The offer schema of the active rule set's catalog (built once per rule-set version)."""
    ruleset = active_ruleset()
    key = (ruleset.version, allow_as_of)
    schema = _cache.get(key)
    if schema is None:
        with _cache_lock:
            schema = _cache.get(key)
            if schema is None:
                schema = _build_offer_schema(ruleset.catalog, allow_as_of)
                _cache[key] = schema
    return schema


def load_offer(payload: dict, *, allow_as_of: bool = False) -> dict:
    """Validate an API-shaped offer and return it engine-shaped; ValidationError when invalid."""
    return offer_schema(allow_as_of=allow_as_of).load(payload)


def string_keys(messages: Any) -> Any:
    """Error messages with every key as text, as JSON renders them."""
    if isinstance(messages, dict):
        return {str(key): string_keys(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [string_keys(value) for value in messages]
    return messages


# Answers of the API. They document the contract in the OpenAPI document; the services build
# the answers, and tests check the answers against these schemas.


class FindingSchema(Schema):
    """A rule that fired on an item."""

    rule = fields.String(required=True, metadata={"description": "The rule's id"})
    outcome = fields.String(
        required=True, metadata={"enum": ["reject", "info", "review", "accept"]}
    )
    message = fields.String(required=True, metadata={"description": "What the donor reads"})
    fix = fields.String(required=True, metadata={"description": "What the donor can do"})
    reference = fields.String(required=True, metadata={"description": "The citation"})
    tags = fields.List(fields.String(), required=True)


class ItemResultSchema(Schema):
    """The outcome of one item line."""

    index = fields.Integer(required=True, metadata={"description": "Position in the request"})
    category = fields.String(required=True)
    outcome = fields.String(
        required=True, metadata={"enum": ["reject", "info", "review", "accept"]}
    )
    findings = fields.List(fields.Nested(FindingSchema), required=True)


class RulesetSchema(Schema):
    """The rule set that evaluated the offer."""

    version = fields.String(required=True, metadata={"description": "Stable content hash"})


class CheckResultSchema(Schema):
    """The answer to a dry-run check (SPEC section 5)."""

    outcome = fields.String(
        required=True, metadata={"enum": ["rejected", "needs_info", "review", "accepted"]}
    )
    queue = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The INL reviewer queue; null when the offer is not routed"},
    )
    ruleset = fields.Nested(RulesetSchema, required=True)
    items = fields.List(fields.Nested(ItemResultSchema), required=True)


class OfferResultSchema(CheckResultSchema):
    """The answer to a submitted offer: the check result plus its reference and status link."""

    reference = fields.String(required=True, metadata={"description": "e.g. UA-2026-000123"})
    status = fields.String(required=True, metadata={"enum": list(OFFER_STATUSES)})
    status_url = fields.String(
        required=True,
        metadata={"description": "Private, signed link: the status page, or JSON with Accept"},
    )


class StatusItemSchema(ItemResultSchema):
    """An item line on the status document, with the reviewer's decision."""

    description = fields.String(required=True)
    quantity = fields.Integer(required=True)
    decision = fields.String(
        required=True, allow_none=True, metadata={"enum": ["approved", "declined", None]}
    )
    reason = fields.String(
        required=True, allow_none=True, metadata={"description": "The reviewer's reason"}
    )


class HistoryEventSchema(Schema):
    """An event of the offer's history that the donor may see."""

    at = fields.DateTime(required=True)
    action = fields.String(required=True)
    from_status = fields.String(required=True, allow_none=True)
    to_status = fields.String(required=True, allow_none=True)
    reason = fields.String(required=True)


class StatusDocumentSchema(Schema):
    """GET <status_url> with Accept: application/json."""

    reference = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(OFFER_STATUSES)})
    outcome = fields.String(
        required=True, metadata={"enum": ["rejected", "needs_info", "review", "accepted"]}
    )
    queue = fields.String(required=True, allow_none=True)
    ruleset = fields.Nested(RulesetSchema, required=True)
    submitted_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(required=True, allow_none=True)
    items = fields.List(fields.Nested(StatusItemSchema), required=True)
    history = fields.List(fields.Nested(HistoryEventSchema), required=True)


class ErrorDetailSchema(Schema):
    """What went wrong, for a person to read."""

    status = fields.Integer(required=True)
    title = fields.String(required=True)
    detail = fields.String(required=True)


class ErrorSchema(Schema):
    """A request the API could not accept (400, 404, 413, 415, 429, ...)."""

    error = fields.Nested(ErrorDetailSchema, required=True)


class ValidationErrorsSchema(Schema):
    """422: marshmallow's nested messages, keyed like the request (item lines by index)."""

    errors = fields.Dict(
        keys=fields.String(),
        required=True,
        metadata={
            "example": {"items": {"3": {"quantity": ["Enter a quantity between 1 and 100,000."]}}}
        },
    )
