"""Hypothesis over the API's request bodies: valid offers built from the catalog, the same offers
mutated (wrong types, huge numbers, deep nesting, unicode, missing and extra keys) and raw bytes,
POSTed to /api/v1/checks and /api/v1/offers through the test client.

Whatever comes in: no 5xx; every 4xx is the documented `error` object (or `errors` for a 422);
every 200/201 is the documented answer; and a refused request stores nothing.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections import Counter
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from donations_app.api.responses import (
    CheckResultSchema,
    ErrorSchema,
    OfferResultSchema,
    ValidationErrorsSchema,
)
from donations_app.guidelines import load_catalog
from tests.api.bodies import VALID_OFFER, stored_rows
from tests.guidelines.conftest import RULES_DIR

CATALOG = load_catalog(RULES_DIR)
EXAMPLES = 150
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
PLAIN_TEXT = st.text(
    st.characters(whitelist_categories=("Lu", "Ll", "Nd"), max_codepoint=0x7F), min_size=1
).map(lambda text: text[:40])


def _deep(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"x": value}
    return value


HOSTILE = st.one_of(
    st.sampled_from(
        [
            None,
            True,
            False,
            0,
            -1,
            10**30,
            -(10**30),
            2**63,
            "",
            " ",
            "\x00",
            "\u202e\u0644\u0627",
            "\U0001d7d8\U0001d7d9",
            '=HYPERLINK("http://x")',
            "x" * 5000,
            "2026-02-30",
            "9999-12-31",
            "0001-01-01",
            "1e999999999",
            [],
            {},
            _deep(60),
        ]
    ),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    # Each draw a copy of its own: a mutation that adds a key inside a drawn list or dict (the
    # 60-deep one) must not change the shared sample, which then grew from one example to the
    # next until walking a body overflowed the stack.
).map(copy.deepcopy)


def _valid_value(spec: Any) -> st.SearchStrategy[Any]:
    if spec.type == "enum":
        return st.sampled_from(spec.choices)
    if spec.type == "integer":
        return st.integers(1, 1000)
    if spec.type == "decimal":
        return st.decimals(0, 10000, places=2).map(str)
    if spec.type == "date":
        # Manufacture dates lie in the past and before any expiry date the fuzzer picks.
        low, high = (2000, 2019) if spec.name == "manufactured_on" else (2020, 2040)
        return st.dates(dt.date(low, 1, 1), dt.date(high, 12, 28)).map(dt.date.isoformat)
    if spec.type == "bool":
        return st.booleans()
    if spec.type == "list":
        return st.lists(PLAIN_TEXT, max_size=3)
    return PLAIN_TEXT


@st.composite
def valid_items(draw: st.DrawFn) -> dict[str, Any]:
    category = draw(st.sampled_from(CATALOG.categories))
    item: dict[str, Any] = {"category": category.id}
    for name in (*CATALOG.item_fields, *category.fields):
        if name == "category" or name in item:
            continue
        spec = CATALOG.item_fields.get(name) or CATALOG.fields[name]
        required = name in ("description", "quantity", "condition", "acquired_via")
        if required or draw(st.booleans()):
            item[name] = draw(_valid_value(spec))
    return item


@st.composite
def valid_offers(draw: st.DrawFn) -> dict[str, Any]:
    body = copy.deepcopy(VALID_OFFER)
    body["recipient"] = draw(st.sampled_from(["sbgs", "npu", "any"]))
    body["items"] = draw(st.lists(valid_items(), min_size=1, max_size=4))
    return body


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found


@st.composite
def mutated_offers(draw: st.DrawFn) -> dict[str, Any]:
    """A valid offer with one to three values replaced, keys removed or keys added."""
    body = draw(valid_offers())
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(body)))
        *parents, last = path
        container: Any = body
        for step in parents:
            container = container[step]
        action = draw(st.sampled_from(["replace", "remove", "add"]))
        if action == "replace":
            container[last] = draw(HOSTILE)
        elif action == "remove" and isinstance(container, dict):
            del container[last]
        elif isinstance(container, dict):
            container[draw(st.text(min_size=1, max_size=12))] = draw(HOSTILE)
    return body


def _assert_documented(endpoint: str, status: int, answer: Any) -> None:
    assert status < 500, answer
    if status == 422 and "errors" in answer:
        assert ValidationErrorsSchema().validate(answer) == {}, answer
    elif status >= 400:
        assert ErrorSchema().validate(answer) == {}, answer
        assert answer["error"]["status"] == status
    else:
        schema = CheckResultSchema() if endpoint == "checks" else OfferResultSchema()
        assert status == (200 if endpoint == "checks" else 201)
        assert schema.validate(answer) == {}, answer


def _post(app: Flask, endpoint: str, data: bytes, content_type: str) -> tuple[int, Any, bool]:
    """POST a body; its status, its JSON answer, and whether the stored rows changed."""
    with app.app_context():
        before = stored_rows()
    response = app.test_client().post(
        f"/api/v1/{endpoint}", data=data, headers={"Content-Type": content_type}
    )
    with app.app_context():
        changed = stored_rows() != before
    assert response.mimetype == "application/json", response.data[:200]
    return response.status_code, response.get_json(), changed


def _send(app: Flask, endpoint: str, body: Any, statuses: Counter[int]) -> int:
    status, answer, changed = _post(app, endpoint, json.dumps(body).encode(), "application/json")
    _assert_documented(endpoint, status, answer)
    assert changed == (endpoint == "offers" and status == 201), (status, answer)
    statuses[status] += 1
    return status


@pytest.mark.parametrize("endpoint", ["checks", "offers"])
def test_valid_offers_from_the_catalog_are_answered_as_documented(app: Flask, endpoint):
    statuses: Counter[int] = Counter()

    @FUZZ
    @given(body=valid_offers())
    def run(body: dict[str, Any]) -> None:
        assert _send(app, endpoint, body, statuses) in (200, 201), body

    run()
    print(f"hypothesis valid offers -> /{endpoint}: {statuses.total()} cases {dict(statuses)}")


@pytest.mark.parametrize("endpoint", ["checks", "offers"])
def test_mutated_offers_never_fail_and_store_nothing_when_refused(app: Flask, endpoint):
    statuses: Counter[int] = Counter()

    @FUZZ
    @given(body=mutated_offers())
    def run(body: dict[str, Any]) -> None:
        _send(app, endpoint, body, statuses)

    run()
    print(f"hypothesis mutated offers -> /{endpoint}: {statuses.total()} cases {dict(statuses)}")
    assert set(statuses) - {200, 201}, "no mutation was refused: the mutations do nothing"


RAW_BODIES = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(str.encode),
    st.integers(1, 5000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(1, 5000).map(lambda depth: b'{"a":' * depth + b"1" + b"}" * depth),
    st.sampled_from([b"NaN", b'{"items": Infinity}', b"\xef\xbb\xbf{}", b"null", b'"text"']),
)


@pytest.mark.parametrize("endpoint", ["checks", "offers"])
def test_raw_bodies_and_content_types_are_refused_in_the_error_format(app: Flask, endpoint):
    statuses: Counter[int] = Counter()

    @FUZZ
    @given(
        data=RAW_BODIES,
        content_type=st.sampled_from(
            [
                "application/json",
                "application/problem+json",
                "text/plain",
                "application/x-www-form-urlencoded",
            ]
        ),
    )
    def run(data: bytes, content_type: str) -> None:
        status, answer, changed = _post(app, endpoint, data, content_type)
        _assert_documented(endpoint, status, answer)
        assert 400 <= status < 500 and not changed, (status, answer)
        statuses[status] += 1

    run()
    print(f"hypothesis raw bodies -> /{endpoint}: {statuses.total()} cases {dict(statuses)}")
