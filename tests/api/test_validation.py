"""Bad input of every kind is 400/413/415/422 naming the field, never 5xx, and stores nothing."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from tests.api.bodies import item_body, offer_body, stored_rows

DELETE = object()
TOMORROW = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)).isoformat()
NOTHING = {"offers": 0, "items": 0, "audit_events": 0, "outbox_messages": 0, "idempotency_keys": 0}


def with_value(path: str, value: Any) -> dict[str, Any]:
    """The valid offer with the value at a dotted path replaced (or deleted)."""
    body = offer_body()
    *parents, last = path.split(".")
    node: Any = body
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) else last
    if value is DELETE:
        del node[key]
    else:
        node[key] = value
    return body


def messages_at(errors: dict, path: str) -> list[str]:
    node: Any = errors
    for part in path.split("."):
        assert isinstance(node, dict) and part in node, f"no error at {path}: {errors}"
        node = node[part]
    assert isinstance(node, list) and node and all(isinstance(m, str) for m in node)
    return node


INVALID = [
    ("agency", DELETE, "agency", "Enter the agency's details"),
    ("agency", "Springfield", "agency._schema", "JSON object"),
    ("agency.name", "", "agency.name", "Enter the agency's name"),
    ("agency.name", "   ", "agency.name", "Enter the agency's name"),
    ("agency.name", "x" * 201, "agency.name", "200 characters or fewer"),
    ("agency.name", 12345, "agency.name", "agency's name"),
    ("agency.name", None, "agency.name", "Enter the agency's name"),
    ("agency.name", "Spring\x00field", "agency.name", "control characters"),
    ("agency.name", "Spring\u0085field", "agency.name", "control characters"),
    ("agency.name", "Spring\nfield", "agency.name", "control characters"),
    ("agency.type", "police", "agency.type", "municipal_police"),
    ("agency.ori", "IL08402", "agency.ori", "9 characters"),
    ("agency.ori", "ZZ0840200", "agency.ori", "9 characters"),
    ("agency.ori", "IL08402-0", "agency.ori", "9 characters"),
    ("agency.state", "ZZ", "agency.state", "state or territory"),
    ("agency.state", ["IL"], "agency.state", "state or territory"),
    ("agency.city", "y" * 101, "agency.city", "100 characters or fewer"),
    ("agency.colour", "blue", "agency.colour", "not a field"),
    ("contact.email", "not-an-email", "contact.email", "correct format"),
    ("contact.email", "<script>@example.gov", "contact.email", "correct format"),
    ("contact.email", DELETE, "contact.email", "Enter the contact's email address"),
    ("contact.phone", "12", "contact.phone", "7 to 25"),
    ("contact.phone", "call me maybe", "contact.phone", "7 to 25"),
    ("contact.title", "t" * 121, "contact.title", "120 characters or fewer"),
    ("recipient", "ukraine", "recipient", "sbgs, npu, any"),
    ("authority_confirmed", False, "authority_confirmed", "authority to donate"),
    ("authority_confirmed", "yes", "authority_confirmed", "authority to donate"),
    ("authority_confirmed", 1.5, "authority_confirmed", "authority to donate"),
    ("authority_confirmed", DELETE, "authority_confirmed", "authority to donate"),
    ("pickup.zip", "1234", "pickup.zip", "5 digits"),
    ("pickup.zip", "ABCDE", "pickup.zip", "5 digits"),
    ("pickup.zip", "\u0666\u0662\u0667\u0660\u0661", "pickup.zip", "5 digits"),
    ("pickup.zip", 62701, "pickup.zip", "ZIP code"),
    ("pickup.available_from", "2026-02-30", "pickup.available_from", "YYYY-MM-DD"),
    ("pickup.available_from", "next week", "pickup.available_from", "YYYY-MM-DD"),
    ("items", [], "items", "at least one item"),
    ("items", "vests", "items", "list"),
    ("items", {"0": item_body()}, "items", "list"),
    ("items", [item_body()] * 501, "items", "at most 500"),
    ("items.0", "vests", "items.0._schema", "JSON object"),
    ("items.0.quantity", 0, "items.0.quantity", "between 1 and 100,000"),
    ("items.0.quantity", 100001, "items.0.quantity", "between 1 and 100,000"),
    ("items.0.quantity", -5, "items.0.quantity", "between 1 and 100,000"),
    ("items.0.quantity", 1.5, "items.0.quantity", "between 1 and 100,000"),
    ("items.0.quantity", "ten", "items.0.quantity", "between 1 and 100,000"),
    ("items.0.quantity", True, "items.0.quantity", "between 1 and 100,000"),
    ("items.0.quantity", None, "items.0.quantity", "Enter a quantity"),
    ("items.0.quantity", [4], "items.0.quantity", "between 1 and 100,000"),
    ("items.0.category", "spaceship", "items.0.category", "body_armor, helmet"),
    ("items.0.category", DELETE, "items.0.category", "Choose a category"),
    ("items.0.condition", "broken", "items.0.condition", "new, like_new"),
    ("items.0.acquired_via", "stolen", "items.0.acquired_via", "own_funds"),
    ("items.0.description", "", "items.0.description", "Enter a description"),
    ("items.0.description", "d" * 501, "items.0.description", "500 characters or fewer"),
    ("items.0.description", "vest\x00s", "items.0.description", "control characters"),
    ("items.0.manufactured_on", TOMORROW, "items.0.manufactured_on", "not in the future"),
    (
        "items.1",
        item_body(manufactured_on="2021-01-01", expires_on="2020-12-31"),
        "items.1.expires_on",
        "after the date of",
    ),
    ("items.0.expires_on", "31/12/2030", "items.0.expires_on", "YYYY-MM-DD"),
    ("items.0.unit_value_usd", -1, "items.0.unit_value_usd", "0 or more"),
    ("items.0.unit_value_usd", "1.234", "items.0.unit_value_usd", "2 decimal places"),
    ("items.0.unit_value_usd", "NaN", "items.0.unit_value_usd", "as a number"),
    ("items.0.unit_value_usd", "lots", "items.0.unit_value_usd", "as a number"),
    ("items.0.unit_value_usd", True, "items.0.unit_value_usd", "as a number"),
    ("items.0.unit_value_usd", 1e20, "items.0.unit_value_usd", "9,999,999,999.99 or less"),
    ("items.0.serial_numbers", "SN1, SN2", "items.0.serial_numbers", "list of text"),
    ("items.0.serial_numbers", [1, "SN2"], "items.0.serial_numbers.0", "as text"),
    ("items.0.serial_numbers", ["S" * 101], "items.0.serial_numbers.0", "100 characters"),
    ("items.0.protection_level", "V", "items.0.protection_level", "IIA, II, IIIA"),
    ("items.0.damaged", "maybe", "items.0.damaged", "true or false"),
    ("items.0.damaged", 7, "items.0.damaged", "true or false"),
    ("items.0.colour", "black", "items.0.colour", "not a field of an item"),
    ("as_of", "2026-01-01", "as_of", "not a field of an offer"),
    ("status", "approved", "status", "not a field of an offer"),
]


@pytest.mark.parametrize(("path", "value", "error_at", "says"), INVALID)
def test_invalid_offer_is_422_naming_the_field_and_stores_nothing(
    client, app, path, value, error_at, says
):
    response = client.post("/api/v1/offers", json=with_value(path, value))
    assert response.status_code == 422, response.get_data(as_text=True)
    messages = messages_at(response.get_json()["errors"], error_at)
    assert any(says in message for message in messages), messages
    with app.app_context():
        assert stored_rows() == NOTHING


def test_every_error_of_an_offer_is_reported_at_once(client):
    body = with_value("items.1.quantity", 0)
    body["agency"]["state"] = "XX"
    body["items"][0]["condition"] = "bad"
    errors = client.post("/api/v1/checks", json=body).get_json()["errors"]
    assert set(errors) == {"agency", "items"}
    assert set(errors["items"]) == {"0", "1"}


def test_unknown_category_lists_the_categories(client):
    errors = client.post("/api/v1/checks", json=with_value("items.0.category", "tank")).get_json()[
        "errors"
    ]
    (message,) = errors["items"]["0"]["category"]
    assert "tourniquet" in message and "other" in message


def test_lone_surrogate_in_text_is_422(client, app):
    raw = json.dumps(offer_body()).replace("Springfield Police", "Springfield \\ud800 Police")
    response = client.post("/api/v1/offers", data=raw, content_type="application/json")
    assert response.status_code == 422
    assert "agency" in response.get_json()["errors"]
    with app.app_context():
        assert stored_rows() == NOTHING


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("{", "not valid JSON"),
        ('{"agency": }', "not valid JSON"),
        ("", "not valid JSON"),
        ("[]", "JSON object"),
        ('"an offer"', "JSON object"),
        ("42", "JSON object"),
        ("null", "JSON object"),
        ('{"items": [NaN]}', "not valid JSON"),
        ('{"items": [{"quantity": ' + "9" * 5000 + "}]}", "not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"a":' * 100_000 + "1" + "}" * 100_000, "nested too deeply"),
    ],
    ids=[
        "truncated",
        "syntax",
        "empty",
        "list",
        "string",
        "number",
        "null",
        "nan",
        "huge-int",
        "deep-list",
        "deep-object",
    ],
)
@pytest.mark.parametrize("endpoint", ["/api/v1/offers", "/api/v1/checks"])
def test_unreadable_body_is_400_json(client, app, endpoint, raw, says):
    response = client.post(endpoint, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.is_json
    error = response.get_json()["error"]
    assert error["status"] == 400 and says in error["detail"]
    with app.app_context():
        assert stored_rows() == NOTHING


def test_invalid_utf8_is_400(client):
    response = client.post(
        "/api/v1/offers", data=b'{"agency": "\xff\xfe"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert "UTF-8" in response.get_json()["error"]["detail"]


def test_deep_nesting_inside_a_field_is_422(client):
    deep = json.loads("[" * 500 + "]" * 500)
    response = client.post("/api/v1/checks", json=with_value("agency", deep))
    assert response.status_code == 422
    assert "agency" in response.get_json()["errors"]


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("text/plain", json.dumps(offer_body())),
        ("application/x-www-form-urlencoded", "agency=Springfield"),
        (None, json.dumps(offer_body())),
    ],
)
def test_non_json_content_type_is_415(client, app, content_type, data):
    response = client.post("/api/v1/offers", data=data, content_type=content_type)
    assert response.status_code == 415
    assert "application/json" in response.get_json()["error"]["detail"]
    with app.app_context():
        assert stored_rows() == NOTHING


def test_body_over_the_limit_is_413_json(app_config):
    from donations_app import create_app

    app_config["MAX_CONTENT_LENGTH"] = 200_000
    app_config["ATTACHMENT_MAX_BYTES"] = 100_000  # a file must still fit in a request
    app = create_app(app_config)
    body = offer_body(items=[item_body(description="d" * 450) for _ in range(500)])
    response = app.test_client().post("/api/v1/offers", json=body)
    assert response.status_code == 413
    assert "larger than this service accepts" in response.get_json()["error"]["detail"]
    with app.app_context():
        assert stored_rows() == NOTHING


def test_wrong_method_is_405_json(client):
    response = client.get("/api/v1/offers")
    assert response.status_code == 405
    assert response.get_json()["error"]["status"] == 405


def test_bad_idempotency_key_is_400(client, app):
    response = client.post(
        "/api/v1/offers", json=offer_body(), headers={"Idempotency-Key": "x" * 256}
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.get_json()["error"]["detail"]
    with app.app_context():
        assert stored_rows() == NOTHING


HOSTILE = [
    "<script>alert('x')</script>",
    "Robert'); DROP TABLE offers;--",
    '" OR 1=1 --',
    "Поліція м. Київ 🚓 ß ǅ ﷽",
    "{{ 7*7 }} ${jndi:ldap://x}",
    "\u202eevil right-to-left",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_stored_verbatim_as_data(client, app, text):
    body = offer_body()
    body["agency"]["name"] = text
    body["items"][0]["description"] = text
    body["items"][0]["serial_numbers"] = [text]
    response = client.post("/api/v1/offers", json=body)
    assert response.status_code == 201
    status = client.get(response.get_json()["status_url"], headers={"Accept": "application/json"})
    assert status.get_json()["items"][0]["description"] == text
    with app.app_context():
        from donations_app.extensions import db
        from donations_app.models import Offer

        offer = db.session.query(Offer).one()
        assert offer.agency_name == text
        assert offer.items[0].serial_numbers == [text]


def raw_offer(path: str, literal: str) -> str:
    """The valid offer as JSON text with the value at `path` written as a raw JSON literal."""
    marker = "__RAW_VALUE__"
    return json.dumps(with_value(path, marker)).replace(f'"{marker}"', literal)


@pytest.mark.parametrize(
    "literal",
    ["1e400", "-1e400", "1E+400", "1e28", "1.0e12", "1e-400", "1e999999999", "-1e999999999"],
)
@pytest.mark.parametrize("endpoint", ["/api/v1/offers", "/api/v1/checks"])
def test_a_quantity_of_absurd_magnitude_is_a_field_error(client, app, endpoint, literal):
    response = client.post(
        endpoint, data=raw_offer("items.0.quantity", literal), content_type="application/json"
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    (message,) = messages_at(response.get_json()["errors"], "items.0.quantity")
    assert "between 1 and 100,000" in message
    with app.app_context():
        assert stored_rows() == NOTHING


@pytest.mark.parametrize(
    ("literal", "says"),
    [
        ("1e400", "or less"),
        ("-1e400", "0 or more"),
        ("1e-400", "2 decimal places"),
        ("1e999999999", "or less"),
        ("1e-999999999", "2 decimal places"),
    ],
)
def test_a_unit_value_of_absurd_magnitude_is_a_field_error(client, literal, says):
    response = client.post(
        "/api/v1/checks",
        data=raw_offer("items.0.unit_value_usd", literal),
        content_type="application/json",
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    (message,) = messages_at(response.get_json()["errors"], "items.0.unit_value_usd")
    assert says in message


@pytest.mark.parametrize("as_of", ["9999-12-31", "2101-01-01", "1999-12-31", "0001-01-01"])
def test_a_check_date_outside_2000_to_2100_is_a_field_error(client, as_of):
    response = client.post("/api/v1/checks", json=offer_body(as_of=as_of))
    assert response.status_code == 422, response.get_data(as_text=True)
    (message,) = messages_at(response.get_json()["errors"], "as_of")
    assert message == (
        "Enter the date to check against as a date between 2000-01-01 and 2100-12-31."
    )


@pytest.mark.parametrize(("as_of", "expired"), [("2000-01-01", False), ("2100-12-31", True)])
def test_a_check_date_at_either_end_of_the_range_is_evaluated(client, as_of, expired):
    response = client.post("/api/v1/checks", json=offer_body(as_of=as_of))
    assert response.status_code == 200, response.get_data(as_text=True)
    armor_rules = {finding["rule"] for finding in response.get_json()["items"][0]["findings"]}
    assert ("ARMOR-WARRANTY" in armor_rules) is expired  # the vests' warranty ends in 2031


def test_a_far_future_expiry_date_is_evaluated_and_stored(client, app):
    # The rules compare expires_on with as_of + days(n): the largest date must not overflow.
    body = offer_body()
    body["items"][0]["expires_on"] = "9999-12-31"
    body["items"][1]["expires_on"] = "9999-12-31"
    body["pickup"]["available_from"] = "9999-12-31"
    check = client.post("/api/v1/checks", json={**body, "as_of": "2100-12-31"})
    assert check.status_code == 200, check.get_data(as_text=True)
    armor_rules = {finding["rule"] for finding in check.get_json()["items"][0]["findings"]}
    assert "ARMOR-WARRANTY" not in armor_rules and "ARMOR-EXPIRY-MISSING" not in armor_rules
    created = client.post("/api/v1/offers", json=body)
    assert created.status_code == 201, created.get_data(as_text=True)
    with app.app_context():
        from donations_app.extensions import db
        from donations_app.models import Item

        stored = db.session.query(Item).order_by(Item.position).all()
        assert [item.expires_on for item in stored] == [dt.date(9999, 12, 31)] * 2
