"""The API's answers as marshmallow schemas: they document the contract in the OpenAPI
document, and tests check real answers against them."""

from __future__ import annotations

from marshmallow import Schema, fields

from donations_app.models.vocabulary import OFFER_STATUSES


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
    """The answer to a dry-run check."""

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


REQUEST_ID = {
    "description": "This request's id (also in the X-Request-ID header): quote it to support"
}


class ErrorSchema(Schema):
    """A request the API could not accept (400, 404, 413, 415, 429, ...)."""

    error = fields.Nested(ErrorDetailSchema, required=True)
    request_id = fields.String(required=True, metadata=REQUEST_ID)


class ValidationErrorsSchema(Schema):
    """422: marshmallow's nested messages, keyed like the request (item lines by index)."""

    errors = fields.Dict(
        keys=fields.String(),
        required=True,
        metadata={
            "example": {"items": {"3": {"quantity": ["Enter a quantity between 1 and 100,000."]}}}
        },
    )
    request_id = fields.String(required=True, metadata=REQUEST_ID)
