"""The shape of a rule file, validated with marshmallow; errors mapped back to YAML positions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from .rules import OUTCOMES
from .source import Mapping, Position, Problems, Sequence, did_you_mean

RULE_ID = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"
TAG = r"^[a-z][a-z0-9_]*$"
QUEUE = r"^[a-z][a-z0-9-]*$"
FILE_KEYS = ("topic", "summary", "rules")


class YamlDate(fields.Field):
    """A date written unquoted in YAML (YYYY-MM-DD), which PyYAML already parsed."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dt.date:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        raise ValidationError("Must be a date written as YYYY-MM-DD.")


class Text(fields.String):
    """Non-empty text."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Length(min=1, max=2000), **kwargs)


class ExampleSchema(Schema):
    """One example: an item, optional offer values, the outcome it must get, and optionally
    exactly which rules fire on it and which queue the offer goes to."""

    item = fields.Dict(required=True)
    recipient = fields.String(validate=validate.OneOf(("sbgs", "npu", "any")))
    as_of = YamlDate()
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    fires = fields.List(
        fields.String(
            validate=validate.Regexp(RULE_ID, error="Must be a rule id, e.g. ARMOR-WARRANTY.")
        )
    )
    queue = fields.String(
        validate=validate.Regexp(QUEUE, error="Must be a queue slug, e.g. export-control.")
    )
    note = fields.String()


class RuleSchema(Schema):
    """One rule."""

    id = fields.String(
        required=True,
        validate=validate.Regexp(
            RULE_ID, error="Must be upper-case words joined by hyphens, e.g. ARMOR-WARRANTY."
        ),
    )
    title = Text(required=True)
    applies_to = fields.Raw(required=True)
    requires = fields.List(fields.String(), load_default=list)
    when = fields.Raw(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    message = Text(required=True)
    fix = Text(required=True)
    reference = Text(required=True)
    tags = fields.List(fields.String(validate=validate.Regexp(TAG)), load_default=list)
    effective_from = YamlDate()
    effective_until = YamlDate()
    notes = fields.String()
    examples = fields.List(fields.Raw(), required=True, validate=validate.Length(min=1))


RULE_KEYS = tuple(RuleSchema().fields)
EXAMPLE_KEYS = tuple(ExampleSchema().fields)


def validate_mapping(schema: Schema, data: Mapping, problems: Problems) -> dict[str, Any] | None:
    """Load `data` with `schema`; report each error at its YAML position; None when invalid."""
    try:
        return schema.load(dict(data))
    except ValidationError as exc:
        allowed = tuple(schema.fields)
        for key, messages in exc.normalized_messages().items():
            for where, message in _flatten(data, key, messages):
                if message == "Unknown field.":
                    message = f'unknown key "{key}"' + did_you_mean(str(key), allowed)
                elif message == "Missing data for required field.":
                    message = f'"{key}" is required'
                else:
                    message = f"{key}: {message}"
                problems.add(where, message)
        return None


def _flatten(data: Mapping, key: Any, messages: Any) -> list[tuple[Position, str]]:
    if key not in data:
        return [(data.where, m) for m in _messages(messages)]
    if isinstance(messages, dict):
        value = data[key]
        out: list[tuple[Position, str]] = []
        for index, inner in messages.items():
            where = value.item_at(index) if isinstance(value, Sequence) else data.value_at(key)
            out.extend((where, m) for m in _messages(inner))
        return out
    where = data.key_at(key) if messages == ["Unknown field."] else data.value_at(key)
    return [(where, m) for m in messages]


def _messages(messages: Any) -> list[str]:
    if isinstance(messages, dict):
        return [m for inner in messages.values() for m in _messages(inner)]
    return list(messages)
