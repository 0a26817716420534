"""JSON Schemas of the rule files, so an editor can complete and validate them as they are typed.

The guideline-file schema is generated from the marshmallow schemas the loader validates with
(schema.py); the catalog and routing schemas from the keys their readers accept. The loader
stays the authority (it also checks names against the catalog and compiles conditions): a file
that passes the JSON Schema can still be refused by `flask rules check`, never the reverse.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from .catalog import _FIELD_KEYS, _TOP_KEYS, FIELD_TYPES, RECIPIENTS
from .routing import _ROUTE_KEYS
from .schema import QUEUE, ExampleSchema, RuleSchema, Text, YamlDate

FILE_KINDS = ("rules", "catalog", "routing")
DRAFT = "https://json-schema.org/draft/2020-12/schema"
NAME = r"^[a-z][a-z0-9_]*$"
# Unquoted YAML dates reach an editor's validator as text in YAML 1.2, and as dates in PyYAML.
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "description": "YYYY-MM-DD"}
CONDITION = {
    "description": "A condition (rules/README.md, The condition language), or always.",
    "anyOf": [{"type": "string", "minLength": 1}, {"const": True}],
}


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of a guideline file ("rules"), catalog.yaml or routing.yaml."""
    body = {"rules": _rules_file, "catalog": _catalog_file, "routing": _routing_file}[kind]()
    return {"$schema": DRAFT, "$id": f"urn:donations:rules:{kind}", **body}


def _rules_file() -> dict[str, Any]:
    rule = _object(RuleSchema())
    rule["properties"]["applies_to"] = {
        "description": "all, a list of category ids, {all_except: [...]} or {with_field: name}",
        "anyOf": [
            {"const": "all"},
            {"type": "array", "items": {"type": "string"}, "minItems": 1},
            _strict({"all_except": {"type": "array", "items": {"type": "string"}}}),
            _strict({"with_field": {"type": "string"}}),
        ],
    }
    rule["properties"]["when"] = CONDITION
    rule["properties"]["examples"] = {
        "type": "array",
        "minItems": 1,
        "items": _object(ExampleSchema()),
    }
    return {
        "title": "A guideline file of rules/",
        "type": "object",
        "required": ["rules"],
        "additionalProperties": False,
        "properties": {
            "topic": {"type": "string"},
            "summary": {"type": "string"},
            "rules": {"type": "array", "items": rule},
        },
    }


def _catalog_file() -> dict[str, Any]:
    labelled = {"type": "object", "additionalProperties": {"type": "string"}, "minProperties": 1}
    field_types = {
        "label": {"type": "string"},
        "type": {"enum": list(FIELD_TYPES)},
        "hint": {"type": "string"},
        "choices": labelled,
        "enum": {"type": "string"},
        "suggestions": {"type": "string"},
    }
    field = _strict({key: field_types.get(key, {}) for key in _FIELD_KEYS}, required=["type"])
    fields_section = {
        "type": "object",
        "propertyNames": {"pattern": NAME},
        "additionalProperties": field,
    }
    category = _strict(
        {
            "id": {"type": "string", "pattern": NAME},
            "label": {"type": "string"},
            "fields": {"type": "array", "items": {"type": "string"}},
        },
        required=["id", "label"],
    )
    sections = {
        "categories": {"type": "array", "minItems": 1, "items": category},
        "item_fields": fields_section,
        "fields": fields_section,
        "sets": {
            "type": "object",
            "propertyNames": {"pattern": NAME},
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "needs": _strict({r: {"type": "array", "items": {"type": "string"}} for r in RECIPIENTS}),
        "enums": {"type": "object", "additionalProperties": labelled},
    }
    return {
        "title": "rules/catalog.yaml",
        **_strict(
            {key: sections.get(key, {}) for key in _TOP_KEYS},
            required=["categories", "item_fields", "fields", "needs", "enums"],
        ),
    }


def _routing_file() -> dict[str, Any]:
    route_types = {
        "queue": {"type": "string", "pattern": QUEUE},
        "title": {"type": "string"},
        "when": CONDITION,
    }
    route = _strict({key: route_types[key] for key in _ROUTE_KEYS}, required=["queue", "when"])
    return {
        "title": "rules/routing.yaml",
        **_strict({"routes": {"type": "array", "minItems": 1, "items": route}}, ["routes"]),
    }


def _strict(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
    }
    if required:
        out["required"] = required
    return out


def _object(schema: Schema) -> dict[str, Any]:
    """An object schema from a marshmallow schema's fields."""
    properties = {name: _field(field) for name, field in schema.fields.items()}
    required = [name for name, field in schema.fields.items() if field.required]
    return _strict(properties, required)


def _field(field: fields.Field) -> dict[str, Any]:
    if isinstance(field, YamlDate):
        return dict(DATE)
    if isinstance(field, fields.List):
        return {"type": "array", "items": _field(field.inner)}
    if isinstance(field, fields.Dict):
        return {"type": "object"}
    if isinstance(field, fields.String):
        return _string(field)
    return {}


def _string(field: fields.String) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "string"}
    if isinstance(field, Text):
        out["minLength"] = 1
    for check in field.validators:
        if isinstance(check, validate.Regexp):
            out["pattern"] = check.regex.pattern
        elif isinstance(check, validate.OneOf):
            out["enum"] = list(check.choices)
        elif isinstance(check, validate.Length):
            if check.min is not None:
                out["minLength"] = check.min
            if check.max is not None:
                out["maxLength"] = check.max
    return out
