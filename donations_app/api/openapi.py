"""The OpenAPI 3.1 document of the API, generated from its marshmallow schemas.

A small converter maps the field types the schemas use to JSON Schema, so the document
always matches what the API validates, including the categories and answers of the active
catalog.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import Schema, fields

from donations_app.api import fields as f
from donations_app.api import responses as r
from donations_app.api import schemas as s
from donations_app.services.rules import active_ruleset

_REF = "#/components/schemas/"


def _nullable(spec: dict[str, Any], field: fields.Field) -> dict[str, Any]:
    if field.allow_none and "type" in spec:
        kinds = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
        spec["type"] = [*kinds, "null"]
        if "enum" in spec and None not in spec["enum"]:
            spec["enum"] = [*spec["enum"], None]
    return spec


def field_schema(field: fields.Field, components: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema of one marshmallow field (components receives nested schemas)."""
    spec = (
        _text_schema(field)
        or _value_schema(field)
        or _collection_schema(field, components)
        or _plain_schema(field)
    )
    if spec is None:
        raise TypeError(f"no OpenAPI mapping for {type(field).__name__}")
    for key in ("description", "enum", "pattern", "example"):
        if key in field.metadata:
            spec[key] = field.metadata[key]
    return _nullable(spec, field)


# Each of these answers None for a field it does not map. They are tried in this order, and
# within each the subclasses come before their bases (Email before Text, Date before DateTime).


def _text_schema(field: fields.Field) -> dict[str, Any] | None:
    if isinstance(field, f.Choice):
        return {"type": "string", "enum": list(field.choices)}
    if isinstance(field, f.Email):
        return {"type": "string", "format": "email", "maxLength": field.max_length}
    if isinstance(field, f.Text):
        spec: dict[str, Any] = {"type": "string", "maxLength": field.max_length}
        if field.min_length:
            spec["minLength"] = field.min_length
        return spec
    return None


def _value_schema(field: fields.Field) -> dict[str, Any] | None:
    if isinstance(field, f.WholeNumber):
        spec = {"type": "integer", "minimum": field.minimum, "maximum": field.maximum}
        return _with_unit(spec, field.unit, "a whole number") if field.unit else spec
    if isinstance(field, f.Amount):
        spec = {
            "type": ["number", "string"],
            "minimum": float(field.minimum),
            "maximum": float(field.maximum),
        }
        return _with_unit(spec, field.unit, "at most 2 decimal places (a number or decimal text)")
    if isinstance(field, f.Day | fields.Date):
        return _date_schema(field)
    if isinstance(field, fields.DateTime):
        return {"type": "string", "format": "date-time"}
    if isinstance(field, fields.Boolean):
        return {"type": "boolean"}
    return None


def _with_unit(spec: dict[str, Any], unit: str, what: str) -> dict[str, Any]:
    spec["description"] = f"In {unit}, {what}" if unit else what[0].upper() + what[1:]
    if unit:
        spec["x-unit"] = unit
    return spec


def _date_schema(field: fields.Field) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "string", "format": "date"}
    earliest, latest = getattr(field, "earliest", None), getattr(field, "latest", None)
    if earliest or latest:
        spec["description"] = (
            f"From {(earliest or dt.date.min).isoformat()} to {(latest or dt.date.max).isoformat()}"
        )
    return spec


def _collection_schema(field: fields.Field, components: dict[str, Any]) -> dict[str, Any] | None:
    if isinstance(field, f.SerialNumbers):
        return {
            "type": "array",
            "items": {"type": "string", "maxLength": f.MAX_SERIAL_LENGTH},
            "maxItems": f.MAX_SERIAL_NUMBERS,
        }
    if isinstance(field, s.ItemList):
        return {
            "type": "array",
            "items": {"$ref": _REF + "Item"},
            "minItems": 1,
            "maxItems": s.MAX_ITEMS,
        }
    if isinstance(field, fields.Nested):
        nested = field.schema
        name = type(nested).__name__.removesuffix("Schema")
        if name not in components:
            components[name] = {}  # reserve the name first: schemas may refer to each other
            components[name] = schema_object(nested, components)
        return {"$ref": _REF + name}
    if isinstance(field, fields.List):
        return {"type": "array", "items": field_schema(field.inner, components)}
    return None


def _plain_schema(field: fields.Field) -> dict[str, Any] | None:
    if isinstance(field, fields.Integer):
        return {"type": "integer"}
    if isinstance(field, fields.Dict):
        return {"type": "object"}
    if isinstance(field, fields.String):
        return {"type": "string"}
    return None


def schema_object(schema: Schema, components: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema of a marshmallow schema: an object with its fields and required list."""
    properties = {name: field_schema(field, components) for name, field in schema.fields.items()}
    required = [name for name, field in schema.fields.items() if field.required]
    result: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        result["required"] = required
    if isinstance(schema, s._Part):
        result["additionalProperties"] = False
    doc = type(schema).__doc__
    if doc:
        result["description"] = doc.strip().splitlines()[0]
    return result


def _item_object(catalog: Any, components: dict[str, Any]) -> dict[str, Any]:
    """The item line: common fields, then each category field with the categories that ask it."""
    line = s.ItemLine(catalog)
    item = schema_object(line.common, components)
    item["description"] = (
        "An item line. Category fields are read only for the categories listed in their "
        "description; for other categories they are ignored."
    )
    item["additionalProperties"] = False
    for name in catalog.fields:
        if name in catalog.item_fields:
            continue
        asked_by = [c.id for c in catalog.categories if name in c.fields]
        spec = field_schema(s.item_field(catalog.fields[name]), components)
        kind = f" {spec['description']}." if "description" in spec else ""
        spec["description"] = (
            f"{catalog.fields[name].label}.{kind} Asked for: {', '.join(asked_by)}."
        )
        item["properties"][name] = spec
    return item


def _json(schema_name: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF + schema_name}}},
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the active rule set's API."""
    ruleset = active_ruleset()
    components: dict[str, Any] = {}
    components["Item"] = _item_object(ruleset.catalog, components)
    offer = schema_object(s.offer_schema(), components)
    offer["description"] = "An offer of equipment from a U.S. law enforcement agency."
    components["Offer"] = offer
    components["CheckRequest"] = schema_object(s.offer_schema(allow_as_of=True), components)
    components["CheckRequest"]["description"] = (
        "An offer plus an optional as_of date to evaluate against (default: today, UTC)."
    )
    for schema in (
        r.CheckResultSchema(),
        r.OfferResultSchema(),
        r.StatusDocumentSchema(),
        r.ErrorSchema(),
        r.ValidationErrorsSchema(),
    ):
        name = type(schema).__name__.removesuffix("Schema")
        components[name] = schema_object(schema, components)
    bad = {
        "400": _json("Error", "The body is not a JSON object (malformed or nested too deeply)"),
        "413": _json("Error", "The body is larger than the service accepts"),
        "415": _json("Error", "The body is not sent as application/json"),
        "422": _json("ValidationErrors", "The offer has errors; each is named by its field"),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "INL equipment donations API",
            "version": "1",
            "description": (
                "Offer surplus law-enforcement equipment to Ukraine's State Border Guard Service "
                "and National Police through INL. Check an offer against the donation "
                f"guidelines, submit it, and follow its status. Rule set {ruleset.version}."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/checks": {
                "post": {
                    "operationId": "checkOffer",
                    "summary": "Check an offer against the guidelines without submitting it",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": _REF + "CheckRequest"}}
                        },
                    },
                    "responses": {
                        "200": _json("CheckResult", "Each item's outcome and findings"),
                        **bad,
                        "429": _json("Error", "Too many checks from this address"),
                    },
                }
            },
            "/offers": {
                "post": {
                    "operationId": "submitOffer",
                    "summary": "Submit an offer",
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "description": (
                                "A unique key per offer (a UUID). A retry with the same key and "
                                "body returns the first answer and creates nothing; the same key "
                                "with another body is 422."
                            ),
                            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": _REF + "Offer"}}},
                    },
                    "responses": {
                        "201": _json("OfferResult", "Stored, evaluated and routed"),
                        **bad,
                        "422": {
                            "description": (
                                "The offer has errors (ValidationErrors), or the Idempotency-Key "
                                "was used before for another body (Error)"
                            ),
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "oneOf": [
                                            {"$ref": _REF + "ValidationErrors"},
                                            {"$ref": _REF + "Error"},
                                        ]
                                    }
                                }
                            },
                        },
                        "429": _json("Error", "Too many submissions from this address"),
                    },
                }
            },
            "/status/{token}": {
                "servers": [{"url": "/"}],
                "get": {
                    "operationId": "offerStatus",
                    "summary": "The offer's status (the status_url of a submitted offer)",
                    "description": (
                        "Send Accept: application/json; in a browser the same link is the "
                        "donor's status page. A bad or unknown token is 404."
                    ),
                    "parameters": [
                        {
                            "name": "token",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": _json("StatusDocument", "The offer's status"),
                        "404": _json("Error", "No offer has this link"),
                    },
                },
            },
        },
        "components": {"schemas": components},
    }
