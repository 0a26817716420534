"""The API refuses an oversized body before parsing it, and too many items before checking each."""

from __future__ import annotations

import json

from donations_app import create_app
from tests.api.bodies import item_body, offer_body, stored_rows
from tests.api.test_validation import NOTHING


def test_a_check_over_the_api_body_limit_is_413_before_parsing(app_config) -> None:
    app_config["API_MAX_BODY_BYTES"] = 10_000
    client = create_app(app_config).test_client()
    small = client.post("/api/v1/checks", json=offer_body())
    assert small.status_code == 200
    # Not JSON at all: only a refusal before parsing can answer 413 rather than 400.
    response = client.post(
        "/api/v1/checks", data=b"{" + b" " * 10_000, content_type="application/json"
    )
    assert response.status_code == 413
    detail = response.get_json()["error"]["detail"]
    assert "larger than this service accepts" in detail and "10,000 bytes" in detail


def test_an_offer_over_the_api_body_limit_is_413_and_stores_nothing(app_config) -> None:
    app_config["API_MAX_BODY_BYTES"] = 10_000
    app = create_app(app_config)
    body = offer_body(items=[item_body(description="d" * 450) for _ in range(30)])
    response = app.test_client().post("/api/v1/offers", json=body)
    assert response.status_code == 413
    with app.app_context():
        assert stored_rows() == NOTHING


def test_the_default_api_body_limit_is_below_the_request_limit(app) -> None:
    assert app.config["API_MAX_BODY_BYTES"] < app.config["MAX_CONTENT_LENGTH"]
    nine_mb = json.dumps(offer_body(items=[item_body(description="d" * 9_000_000)]))
    response = app.test_client().post(
        "/api/v1/checks", data=nine_mb, content_type="application/json"
    )
    assert response.status_code == 413


def test_more_than_500_items_is_one_422_without_a_message_per_item(client) -> None:
    body = offer_body(items=[{"colour": "red"}] * 501)
    response = client.post("/api/v1/checks", json=body)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "items": [
            "An offer can have at most 500 item lines; this one has 501. "
            "Split the items into several offers."
        ]
    }
