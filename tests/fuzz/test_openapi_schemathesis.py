"""schemathesis against /api/v1/openapi.json, through the WSGI app (no network): every answer is
documented (status code, content type, body schema) and none is a server error.

Positive cases follow the document; negative cases break it on purpose (wrong types, missing
required keys, out-of-range values). The status link's token is any string in the document, so
it has no negative cases: every token is well-formed input, and a wrong one is a documented 404.
"""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.bodies import offer_body

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
CASES = [
    ("/checks", "POST", POSITIVE),
    ("/checks", "POST", NEGATIVE),
    ("/offers", "POST", POSITIVE),
    ("/offers", "POST", NEGATIVE),
    ("/status/{token}", "GET", POSITIVE),
]
EXAMPLES = 100


@pytest.mark.parametrize(("path", "method", "mode"), CASES)
def test_every_answer_matches_the_openapi_document(app: Flask, path, method, mode):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    statuses: Counter[int] = Counter()

    @given(case=schema[path][method].as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def call(case: schemathesis.Case) -> None:
        statuses[case.call_and_validate(checks=CHECKS).status_code] += 1

    call()
    print(f"schemathesis {method} {path} {mode.value}: {statuses.total()} cases {dict(statuses)}")
    assert statuses.total() >= EXAMPLES // 2
    if method == "POST" and mode is POSITIVE:
        # The document describes offers the API accepts (the ZIP pattern, authority confirmed):
        # without that, every generated "valid" offer was a 422 and no answer was checked.
        assert statuses[200] + statuses[201] > 0, statuses


def test_a_reused_idempotency_key_is_a_documented_422(app: Flask):
    """schemathesis found it: the document allowed only ValidationErrors for a 422."""
    client = app.test_client()
    key = {"Idempotency-Key": str(uuid.uuid4())}
    assert client.post("/api/v1/offers", json=offer_body(), headers=key).status_code == 201
    reused = client.post("/api/v1/offers", json=offer_body(recipient="npu"), headers=key)
    assert reused.status_code == 422
    assert reused.get_json()["error"]["title"] == "Idempotency-Key reused"
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)["/offers"]["POST"]
    assert operation.validate_response(reused) is None
