"""The offers API: dry-run checks, submission with findings and routing, idempotent retries,
the status JSON behind the private link, rate limiting and the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from donations_app import create_app
from donations_app.extensions import db
from donations_app.models import AuditEvent, Offer, OutboxMessage
from tests.api.bodies import item_body, offer_body, stored_rows

REFERENCE = re.compile(rf"^UA-{dt.datetime.now(dt.UTC).year}-\d{{6}}$")


def test_check_answers_findings_and_queue_and_stores_nothing(client, app):
    response = client.post("/api/v1/checks", json=offer_body())
    assert response.status_code == 200
    body = response.get_json()
    assert body["outcome"] == "review"
    assert body["queue"] == "export-control"
    assert body["ruleset"]["version"] == app.extensions["rulebook"].active.version
    armor, kits = body["items"]
    assert armor["index"] == 0 and armor["outcome"] == "review"
    (finding,) = armor["findings"]
    assert finding["rule"] == "EXPORT-ARMOR-EAR"
    assert finding["tags"] == ["export_control"]
    assert finding["message"] and finding["fix"] and finding["reference"]
    assert kits == {"index": 1, "category": "medical", "outcome": "accept", "findings": []}
    with app.app_context():
        assert set(stored_rows().values()) == {0}


def test_check_evaluates_as_of_the_given_date(client):
    body = offer_body(items=[item_body(expires_on="2027-03-01")], as_of="2026-01-01")
    assert client.post("/api/v1/checks", json=body).get_json()["items"][0]["outcome"] == "accept"
    body["as_of"] = "2026-12-01"
    item = client.post("/api/v1/checks", json=body).get_json()["items"][0]
    assert item["outcome"] == "reject"
    assert [f["rule"] for f in item["findings"]] == ["SHELF-LIFE"]


def test_check_rejects_a_bad_as_of(client):
    response = client.post("/api/v1/checks", json=offer_body(as_of="soon"))
    assert response.status_code == 422
    assert "YYYY-MM-DD" in response.get_json()["errors"]["as_of"][0]


def test_submission_stores_routes_and_confirms(client, app):
    response = client.post("/api/v1/offers", json=offer_body())
    assert response.status_code == 201
    body = response.get_json()
    assert REFERENCE.match(body["reference"])
    assert body["status"] == "queued" and body["outcome"] == "review"
    assert body["queue"] == "export-control"
    assert body["items"][0]["findings"][0]["rule"] == "EXPORT-ARMOR-EAR"
    assert response.headers["Location"] == body["status_url"]
    with app.app_context():
        offer = db.session.scalars(sa.select(Offer)).one()
        assert offer.reference == body["reference"]
        assert offer.source == "api"
        assert offer.queue.slug == "export-control"
        assert [item.outcome for item in offer.items] == ["review", "accept"]
        assert offer.latest_evaluation.findings[0].values["protection_level"] == "IIIA"
        assert offer.total_value_usd == 40 * 350
        (event,) = db.session.scalars(sa.select(AuditEvent)).all()
        assert (event.action, event.to_status, event.visible_to_donor) == (
            "submitted",
            "queued",
            True,
        )
        (mail,) = db.session.scalars(sa.select(OutboxMessage)).all()
        assert mail.to_address == "pat@springfield.example.gov"
        assert body["reference"] in mail.subject
        assert body["status_url"] in mail.body_text
        assert mail.status == "pending"


@pytest.mark.parametrize(
    ("items", "status", "outcome"),
    [
        ([item_body(category="firearm")], "rejected", "rejected"),
        ([item_body(category="firearm"), item_body(category="radio")], "needs_info", "needs_info"),
        ([item_body()], "queued", "accepted"),
    ],
)
def test_status_follows_the_outcome(client, items, status, outcome):
    body = client.post("/api/v1/offers", json=offer_body(items=items)).get_json()
    assert (body["status"], body["outcome"]) == (status, outcome)
    assert body["queue"] == (None if status != "queued" else "sbgs-desk")


def test_fields_the_category_does_not_ask_for_are_ignored(client, app):
    line = item_body(voltage="120", armored=True, protection_level="IV")
    body = client.post("/api/v1/offers", json=offer_body(items=[line])).get_json()
    assert body["items"][0]["outcome"] == "accept"
    with app.app_context():
        item = db.session.scalars(sa.select(Offer)).one().items[0]
        assert (item.voltage, item.armored, item.protection_level) == (None, None, None)


def test_retry_with_the_same_idempotency_key_replays_the_first_answer(client, app):
    headers = {"Idempotency-Key": "3f2b8c1e-retry"}
    first = client.post("/api/v1/offers", json=offer_body(), headers=headers)
    again = client.post("/api/v1/offers", json=offer_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    with app.app_context():
        assert stored_rows()["offers"] == 1
        assert stored_rows()["outbox_messages"] == 1


def test_same_key_with_another_body_is_422_and_creates_nothing(client, app):
    headers = {"Idempotency-Key": "key-1"}
    client.post("/api/v1/offers", json=offer_body(), headers=headers)
    other = offer_body(recipient="npu")
    response = client.post("/api/v1/offers", json=other, headers=headers)
    assert response.status_code == 422
    assert "different offer" in response.get_json()["error"]["detail"]
    with app.app_context():
        assert stored_rows()["offers"] == 1


def test_without_a_key_each_post_is_a_new_offer(client, app):
    first = client.post("/api/v1/offers", json=offer_body()).get_json()
    second = client.post("/api/v1/offers", json=offer_body()).get_json()
    assert first["reference"] != second["reference"]
    with app.app_context():
        assert stored_rows()["offers"] == 2


def test_status_link_answers_json(client):
    submitted = client.post("/api/v1/offers", json=offer_body()).get_json()
    response = client.get(submitted["status_url"], headers={"Accept": "application/json"})
    assert response.status_code == 200
    status = response.get_json()
    assert status["reference"] == submitted["reference"]
    assert (status["status"], status["outcome"], status["queue"]) == (
        "queued",
        "review",
        "export-control",
    )
    assert status["items"][0]["findings"] == submitted["items"][0]["findings"]
    assert status["items"][0]["decision"] is None
    assert [event["action"] for event in status["history"]] == ["submitted"]


@pytest.mark.parametrize("token", ["nonsense", "eyJhIjoxfQ.forged-signature"])
def test_bad_status_token_is_404(client, token):
    response = client.get(f"/status/{token}", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert "reference" not in response.get_data(as_text=True)


def test_status_url_uses_public_base_url(app_config):
    app_config["PUBLIC_BASE_URL"] = "https://donations.example.gov/"
    client = create_app(app_config).test_client()
    body = client.post("/api/v1/offers", json=offer_body()).get_json()
    assert body["status_url"].startswith("https://donations.example.gov/status/")


def test_submissions_over_the_rate_limit_are_429_json(app_config):
    app_config.update(RATELIMIT_ENABLED=True, SUBMISSION_RATE_LIMIT="2 per hour")
    app = create_app(app_config)
    client = app.test_client()
    for _ in range(2):
        assert client.post("/api/v1/offers", json=offer_body()).status_code == 201
    response = client.post("/api/v1/offers", json=offer_body())
    assert response.status_code == 429
    error = response.get_json()["error"]
    assert error["title"] == "Too many requests"
    assert "Wait a few minutes" in error["detail"]
    assert "Retry-After" in response.headers
    assert client.post("/api/v1/checks", json=offer_body()).status_code == 200
    with app.app_context():
        assert stored_rows()["offers"] == 2


def test_openapi_document_describes_the_api(client, app):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.")
    assert {"/checks", "/offers", "/status/{token}"} <= set(doc["paths"])
    schemas = doc["components"]["schemas"]
    item = schemas["Item"]
    catalog = app.extensions["rulebook"].active.catalog
    assert item["properties"]["category"]["enum"] == list(catalog.category_ids)
    assert item["properties"]["quantity"] == {"type": "integer", "minimum": 1, "maximum": 100000}
    assert "body_armor" in item["properties"]["protection_level"]["description"]
    assert set(schemas["Offer"]["required"]) == {
        "agency",
        "contact",
        "recipient",
        "authority_confirmed",
        "pickup",
        "items",
    }
    assert schemas["Offer"]["properties"]["items"]["maxItems"] == 500
    as_of = schemas["CheckRequest"]["properties"]["as_of"]
    assert as_of["format"] == "date"
    assert as_of["description"] == "From 2000-01-01 to 2100-12-31"
    offers = doc["paths"]["/offers"]["post"]
    assert {"201", "400", "413", "415", "422", "429"} <= set(offers["responses"])


def test_answers_have_exactly_the_documented_fields(client):
    doc = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    check = client.post("/api/v1/checks", json=offer_body()).get_json()
    offer = client.post("/api/v1/offers", json=offer_body()).get_json()
    status = client.get(offer["status_url"], headers={"Accept": "application/json"}).get_json()
    for answer, name in (
        (check, "CheckResult"),
        (offer, "OfferResult"),
        (status, "StatusDocument"),
    ):
        assert set(answer) == set(doc[name]["properties"]), name
        assert set(doc[name]["required"]) <= set(answer)
    assert set(status["items"][0]) == set(doc["StatusItem"]["properties"])
    assert set(offer["items"][0]["findings"][0]) == set(doc["Finding"]["properties"])
