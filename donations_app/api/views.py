"""JSON API views: dry-run checks, offer submission with Idempotency-Key, the OpenAPI document.

Views only parse the request, call a service and shape the answer. Bad input never reaches a
service: a body that is not a JSON object is 400, a non-JSON content type 415, an invalid offer
422 with marshmallow's nested messages; a body over API_MAX_BODY_BYTES is 413 before parsing.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from flask import Response, current_app, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from donations_app.api import bp
from donations_app.api.openapi import openapi_document
from donations_app.api.schemas import load_offer, string_keys
from donations_app.errors import error_body
from donations_app.observability import request_id
from donations_app.ratelimits import check_limit, submission_limit
from donations_app.services.offers import (
    IdempotencyConflict,
    check_offer,
    idempotent_answer,
    request_fingerprint,
    submit_offer_once,
)

# Visible ASCII only: the key is an opaque token chosen by the client (a UUID is typical).
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


class BadRequestBody(Exception):
    """A request the API cannot read; answered as {"error": {...}} with its status."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


@bp.errorhandler(BadRequestBody)
def bad_request_body(error: BadRequestBody) -> tuple[Response, int]:
    """Answer an unreadable request in the API's error format."""
    return _error(error.status, error.title, error.detail)


@bp.errorhandler(ValidationError)
def invalid_offer(error: ValidationError) -> tuple[Response, int]:
    """422 with the field-level messages, keyed like the request body."""
    return jsonify({"errors": string_keys(error.messages), "request_id": request_id()}), 422


def _error(status: int, title: str, detail: str) -> tuple[Response, int]:
    return jsonify(error_body(status, title, detail)), status


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def json_body() -> dict[str, Any]:
    """The request body as a JSON object (numbers with a fraction as Decimal)."""
    mimetype = request.mimetype or ""
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise BadRequestBody(
            415,
            "Unsupported media type",
            "Send the offer as JSON with the header Content-Type: application/json.",
        )
    limit = current_app.config["API_MAX_BODY_BYTES"]
    limit = min(limit, current_app.config["MAX_CONTENT_LENGTH"] or limit)
    # Refused from Content-Length (or while reading a stream) before any JSON is parsed.
    request.max_content_length = limit
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise BadRequestBody(
            413,
            "The upload is too large",
            f"The request body is larger than this service accepts (at most {limit:,} bytes). "
            "Send fewer or smaller items, or split them into several offers.",
        ) from None
    try:
        body = json.loads(
            raw.decode("utf-8-sig"), parse_float=Decimal, parse_constant=_reject_constant
        )
    except UnicodeDecodeError:
        raise BadRequestBody(400, "Bad request", "The request body must be UTF-8 text.") from None
    except RecursionError:
        raise BadRequestBody(
            400, "Bad request", "The JSON in the request body is nested too deeply."
        ) from None
    except ValueError as error:
        raise BadRequestBody(
            400, "Bad request", f"The request body is not valid JSON: {error}"[:300]
        ) from None
    if not isinstance(body, dict):
        raise BadRequestBody(
            400,
            "Bad request",
            "The request body must be a JSON object with agency, contact, recipient, "
            "authority_confirmed, pickup and items.",
        )
    return body


@bp.post("/checks")
@check_limit
def create_check() -> tuple[Response, int]:
    """Dry run: evaluate an offer against the active guidelines; stores nothing."""
    data = load_offer(json_body(), allow_as_of=True)
    as_of = data.pop("as_of", None)
    return jsonify(check_offer(data, as_of)), 200


@bp.post("/offers")
@submission_limit
def create_offer() -> tuple[Response, int] | Response:
    """Submit an offer; a retry with the same Idempotency-Key replays the first answer."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        raise BadRequestBody(
            400,
            "Bad request",
            "The Idempotency-Key header must be 1 to 255 visible ASCII characters, such as a UUID.",
        )
    body = json_body()
    fingerprint = request_fingerprint(body)
    try:
        if key is not None and (earlier := idempotent_answer(key, fingerprint)) is not None:
            return _created(*earlier, replayed=True)
        data = load_offer(body)
        answer, status, replayed = submit_offer_once(data, key=key, fingerprint=fingerprint)
    except IdempotencyConflict as conflict:
        return _error(422, "Idempotency-Key reused", str(conflict))
    return _created(answer, status, replayed=replayed)


def _created(answer: dict, status: int, *, replayed: bool) -> Response:
    response = jsonify(answer)
    response.status_code = status
    if "status_url" in answer:
        response.headers["Location"] = answer["status_url"]
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 description of this API, generated from its marshmallow schemas."""
    return jsonify(openapi_document())
