"""A category, a number field and an answer added in YAML only work end to end.

The rules directory is copied to tmp_path and changed as a maintainer would change it: a new
category (power banks), a new integer field with min, max and unit (capacity in watt-hours,
up to 1,000,000), a new voltage answer ("12"), and a rule on the new field. Offers then go
through the web form and the JSON API: stored, evaluated, the rule fires, and the donor's status
page and the reviewer's offer page show the new answers.
"""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from donations_app.extensions import db
from donations_app.models import Finding, Item, Offer
from donations_app.services.offer_body import item_line
from tests.api.bodies import offer_body
from tests.conftest import AuthActions
from tests.intake.helpers import offer_answers, page_token, post_offer

RULES = Path(__file__).parents[2] / "rules"
POWER_BANK_RULES = """\
topic: Batteries
rules:
  - id: LARGE-BATTERY
    title: Batteries over 100,000 Wh need a shipping plan
    applies_to: [power_bank]
    requires: [capacity_wh]
    when: capacity_wh > 100000
    outcome: review
    message: "A battery of {capacity_wh} Wh ships as dangerous goods."
    fix: No action needed from you. A reviewer will plan the shipment.
    reference: IATA Dangerous Goods Regulations, section 3.9
    tags: []
    examples:
      - item: {category: power_bank, description: Container battery, quantity: 1,
               condition: new, acquired_via: own_funds, capacity_wh: 250000, voltage: "12"}
        recipient: sbgs
        outcome: review
      - item: {category: power_bank, description: Power banks, quantity: 10,
               condition: new, acquired_via: own_funds, capacity_wh: 90, voltage: "12"}
        recipient: sbgs
        outcome: accept
"""


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path.name} no longer has {old!r}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def maintained_rules(tmp_path: Path) -> Path:
    """rules/ with a new category, a new number field and a new voltage answer."""
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    catalog = folder / "catalog.yaml"
    edit(
        catalog,
        "  - id: other\n",
        "  - id: power_bank\n"
        "    label: Power banks and large batteries\n"
        "    fields: [capacity_wh, weight_kg, voltage]\n"
        "  - id: other\n",
    )
    edit(
        catalog,
        "fields:\n  expires_on:\n",
        "fields:\n"
        "  capacity_wh:\n"
        "    label: Capacity\n"
        "    type: integer\n"
        "    hint: From the label.\n"
        "    min: 1\n"
        "    max: 1000000\n"
        "    unit: Wh\n"
        "  weight_kg:\n"
        "    label: Weight\n"
        "    type: decimal\n"
        "    max: 40000\n"
        "    unit: kg\n"
        "  expires_on:\n",
    )
    edit(catalog, "      battery: Battery only", '      "12": 12 V DC\n      battery: Battery only')
    edit(catalog, "  sbgs: [body_armor,", "  sbgs: [power_bank, body_armor,")
    (folder / "batteries.yaml").write_text(POWER_BANK_RULES)
    return folder


@pytest.fixture
def app_config(app_config: dict, maintained_rules: Path) -> dict:
    return {**app_config, "RULES_DIR": str(maintained_rules)}


def battery(**changes: object) -> dict:
    line = {
        "category": "power_bank",
        "description": "Containerised battery storage",
        "quantity": 2,
        "condition": "new",
        "acquired_via": "own_funds",
        "capacity_wh": 250000,
        "voltage": "12",
    }
    line.update(changes)
    return line


def stored_item(app: Flask, reference: str) -> tuple[Item, list[str]]:
    with app.app_context():
        offer = db.session.scalars(sa.select(Offer).filter_by(reference=reference)).one()
        item = offer.items[0]
        rules = [
            f.rule_id for f in db.session.scalars(sa.select(Finding).filter_by(item_id=item.id))
        ]
        db.session.expunge_all()
        return item, rules


def reviewer_page(client: FlaskClient, auth: AuthActions, reference: str) -> str:
    auth.as_role("reviewer")
    page = client.get(f"/review/offers/{reference}")
    assert page.status_code == 200
    auth.sign_out()
    return page.text


def test_an_offer_in_the_new_category_goes_through_the_api(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    response = client.post("/api/v1/offers", json=offer_body(items=[battery(weight_kg=812.5)]))
    assert response.status_code == 201, response.text
    answer = response.get_json()
    reference = answer["reference"]

    item, rules = stored_item(app, reference)
    assert (item.category, item.voltage, item.answers) == (
        "power_bank",
        "12",
        {"capacity_wh": 250000, "weight_kg": "812.50"},
    )
    with app.app_context():
        # Re-evaluation and corrections read the stored answers back with the catalog's types.
        line = item_line(db.session.get(Item, item.id))
    assert (line["capacity_wh"], line["weight_kg"]) == (250000, Decimal("812.50"))
    assert "LARGE-BATTERY" in rules
    assert item.outcome == "review"

    status = client.get(answer["status_url"], headers={"Accept": "application/json"}).get_json()
    (line,) = status["items"]
    assert line["category"] == "power_bank"
    assert [f["message"] for f in line["findings"] if f["rule"] == "LARGE-BATTERY"] == [
        "A battery of 250000 Wh ships as dangerous goods."
    ]
    assert (
        "A battery of 250000 Wh ships as dangerous goods." in client.get(answer["status_url"]).text
    )

    page = reviewer_page(client, auth, reference)
    assert "Power banks and large batteries" in page
    assert "250000 Wh" in page and "812.50 kg" in page
    assert "12 V DC" in page
    assert "A battery of 250000 Wh ships as dangerous goods." in page


def test_an_offer_in_the_new_category_goes_through_the_form(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    form = client.get("/offer").text
    assert 'value="power_bank"' in form and 'name="items-0-capacity_wh"' in form
    assert "A whole number between 1 and 1,000,000 Wh." in form

    answers = offer_answers(
        recipient="sbgs",
        **{
            "items-0-category": "power_bank",
            "items-0-description": "Containerised battery storage",
            "items-0-capacity_wh": "150,000",
            "items-0-voltage": "12",
        },
    )
    response = post_offer(client, answers)
    assert response.status_code == 302, response.text
    response = client.post("/offer/submit", data={"csrf_token": page_token(client, "/offer/check")})
    assert response.status_code == 302
    confirmation = client.get("/offer/confirmation").text
    reference = re.search(r"UA-\d{4}-\d{6}", confirmation).group(0)
    status_path = "/status/" + re.search(
        r"data-status-link>[^<]*/status/([^<]+)<", confirmation
    ).group(1)

    item, rules = stored_item(app, reference)
    assert item.answers == {"capacity_wh": 150000} and item.voltage == "12"
    assert "LARGE-BATTERY" in rules

    status = client.get(status_path).text
    assert "A battery of 150000 Wh ships as dangerous goods." in status
    page = reviewer_page(client, auth, reference)
    assert "150000 Wh" in page and "12 V DC" in page


def test_the_number_field_follows_its_catalog_range_in_api_openapi_and_form(
    client: FlaskClient,
) -> None:
    too_big = client.post("/api/v1/checks", json=offer_body(items=[battery(capacity_wh=1000001)]))
    assert too_big.status_code == 422
    assert too_big.get_json()["errors"]["items"]["0"]["capacity_wh"] == [
        "Enter a capacity between 1 and 1,000,000 Wh."
    ]
    document = client.get("/api/v1/openapi.json").get_json()
    field = document["components"]["schemas"]["Item"]["properties"]["capacity_wh"]
    assert (field["minimum"], field["maximum"], field["x-unit"]) == (1, 1000000, "Wh")
    assert field["description"] == "Capacity. In Wh, a whole number. Asked for: power_bank."

    response = post_offer(
        client,
        offer_answers(
            **{
                "items-0-category": "power_bank",
                "items-0-capacity_wh": "0",
                "items-0-voltage": "12",
            }
        ),
    )
    assert response.status_code == 400
    assert "Enter a capacity between 1 and 1,000,000 Wh." in response.text


def test_a_new_answer_for_an_existing_question_is_stored(app: Flask, client: FlaskClient) -> None:
    radio = {
        "category": "radio",
        "description": "Vehicle radios",
        "quantity": 4,
        "condition": "good",
        "acquired_via": "own_funds",
        "encrypted": False,
        "storage_sanitized": True,
        "voltage": "12",
    }
    response = client.post("/api/v1/offers", json=offer_body(items=[radio]))
    assert response.status_code == 201, response.text
    item, _rules = stored_item(app, response.get_json()["reference"])
    assert item.voltage == "12"


def test_a_new_number_field_above_100000_is_stored_and_its_rule_fires(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post("/api/v1/offers", json=offer_body(items=[battery(capacity_wh=999999)]))
    assert response.status_code == 201, response.text
    item, rules = stored_item(app, response.get_json()["reference"])
    assert item.answers == {"capacity_wh": 999999}
    assert rules == ["LARGE-BATTERY"]
