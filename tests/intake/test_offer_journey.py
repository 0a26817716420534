"""The donor's journey without JavaScript, through the Flask test client."""

from __future__ import annotations

import json
import re

from flask import Flask
from flask.testing import FlaskClient

from donations_app.extensions import db
from donations_app.models import Draft, Evaluation, Offer
from donations_app.services.rules import active_ruleset
from tests.conftest import csrf_token
from tests.intake.helpers import medical_item, offer_answers, page_token, post_offer


def submit(client: FlaskClient, answers: dict) -> str:
    """Fill the form, check the answers, submit; return the confirmation page."""
    response = post_offer(client, answers)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/offer/check")
    token = page_token(client, "/offer/check")
    response = client.post("/offer/submit", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/offer/confirmation")
    page = client.get("/offer/confirmation")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def status_path(confirmation: str) -> str:
    link = re.search(r"data-status-link>([^<]+)<", confirmation)
    assert link, "the confirmation shows the private status link"
    return "/status/" + link.group(1).rsplit("/status/", 1)[1]


def test_start_page_links_to_the_form_and_the_guidelines(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'href="/offer"' in page and "Start now" in page
    assert 'href="/guidelines"' in page
    assert "Body armor (vests, plates)" in page


def test_guidelines_page_shows_every_enforced_rule(app: Flask, client: FlaskClient) -> None:
    page = client.get("/guidelines").get_data(as_text=True)
    with app.app_context():
        rules = active_ruleset().rules
    assert rules
    for rule in rules:
        assert rule.id in page
        assert rule.title.replace("'", "&#39;") in page
    assert "Body armor and helmets" in page  # the topic of armor.yaml
    assert "[warranty or shelf-life end date]" in page  # {expires_on} reads as its label


def test_add_and_remove_items_keep_every_answer(client: FlaskClient) -> None:
    answers = offer_answers(**medical_item(1))
    response = post_offer(client, {**answers, "action": "add"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="items-2-category"' in page
    assert "There is a problem" not in page and "usa-error-message" not in page
    assert 'value="Springfield Police Department"' in page
    assert "Individual first-aid kits" in page

    response = post_offer(client, {**answers, "remove": "0"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="items-1-category"' not in page
    assert re.search(r'id="items-0-description"[^>]*>Individual first-aid kits<', page)
    assert "Patrol vests" not in page
    assert "There is a problem" not in page


def test_validation_errors_keep_answers_and_link_to_fields(app: Flask, client: FlaskClient) -> None:
    answers = offer_answers(**{"agency-name": "", "items-0-quantity": "lots"})
    response = post_offer(client, answers)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>Error: " in page
    assert 'role="alert"' in page and 'tabindex="-1"' in page
    assert 'href="#agency-name"' in page and 'href="#items-0-quantity"' in page
    assert "Item 1: Quantity" in page
    assert "usa-form-group--error" in page and "usa-error-message" in page
    assert 'value="lots"' in page and "Patrol vests, level IIIA" in page
    with app.app_context():
        assert db.session.query(Offer).count() == 0
        assert db.session.query(Draft).count() == 0


def test_the_whole_journey_to_the_status_page(app: Flask, client: FlaskClient) -> None:
    response = post_offer(client, offer_answers())
    check = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Check your answers" in check
    assert 'href="/offer?change=agency-name#agency-name"' in check
    assert 'href="/offer?change=items-0-quantity#items-0-quantity"' in check
    assert "EXPORT-ARMOR-EAR" in check and "Needs a specialist review" in check

    # A Change link goes back to the form with every answer kept.
    form = client.get("/offer").get_data(as_text=True)
    assert 'value="Springfield Police Department"' in form and 'value="IIIA" selected' in form

    confirmation = submit(client, offer_answers())
    reference = re.search(r"UA-\d{4}-\d{6}", confirmation).group(0)
    assert "Offer submitted" in confirmation and "What happens next" in confirmation
    assert "EXPORT-ARMOR-EAR" in confirmation
    with app.app_context():
        offer = db.session.query(Offer).one()
        assert offer.reference == reference and offer.status == "queued"
        assert offer.items[0].protection_level == "IIIA"

    status = client.get(status_path(confirmation))
    page = status.get_data(as_text=True)
    assert status.status_code == 200
    assert reference in page and "Waiting for review" in page and "EXPORT-ARMOR-EAR" in page
    assert "History" in page and "Withdraw this offer" in page

    as_json = client.get(status_path(confirmation), headers={"Accept": "application/json"})
    assert as_json.status_code == 200
    document = json.loads(as_json.data)
    assert document["reference"] == reference and document["status"] == "queued"


def test_answering_an_information_request_reevaluates(app: Flask, client: FlaskClient) -> None:
    confirmation = submit(client, offer_answers(**medical_item(1)))
    assert "We need more information" in confirmation
    path = status_path(confirmation)
    page = client.get(path).get_data(as_text=True)
    assert "Correct the items we asked about" in page and "SHELF-LIFE-MISSING" in page
    token = csrf_token(page)

    wrong = client.post(
        path + "/info",
        data={"csrf_token": token, "items-0-position": "1", **_medical_fields("2019-01-01x")},
    )
    assert wrong.status_code == 400
    assert 'href="#items-0-expires_on"' in wrong.get_data(as_text=True)

    fixed = client.post(
        path + "/info",
        data={"csrf_token": token, "items-0-position": "1", **_medical_fields("2031-01-31")},
    )
    assert fixed.status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "Correct the items we asked about" not in page
    with app.app_context():
        offer = db.session.query(Offer).one()
        assert offer.status == "queued"
        assert offer.items[1].expires_on.isoformat() == "2031-01-31"
        assert db.session.query(Evaluation).count() == 2


def _medical_fields(expires_on: str) -> dict[str, str]:
    fields = {key.replace("items-1-", "items-0-"): v for key, v in medical_item(1).items()}
    return {**fields, "items-0-expires_on": expires_on}


def test_withdrawing_needs_confirmation_and_is_final(app: Flask, client: FlaskClient) -> None:
    path = status_path(submit(client, offer_answers()))
    confirm = client.get(path + "/withdraw")
    assert confirm.status_code == 200
    assert "Are you sure" in confirm.get_data(as_text=True)
    response = client.post(
        path + "/withdraw",
        data={"csrf_token": csrf_token(confirm.get_data(as_text=True)), "reason": "Sold"},
    )
    assert response.status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "Withdrawn" in page and "Sold" in page and "Withdraw this offer" not in page
    with app.app_context():
        assert db.session.query(Offer).one().status == "withdrawn"
    again = client.get(path + "/withdraw", follow_redirects=True)
    assert "already withdrawn" in again.get_data(as_text=True)


def test_a_bad_status_link_is_404(client: FlaskClient) -> None:
    response = client.get("/status/not-a-real-token")
    assert response.status_code == 404
    assert "status link is not valid" in response.get_data(as_text=True)
    assert client.get("/status/not-a-real-token/withdraw").status_code == 404


def test_a_new_catalog_category_appears_on_the_form(app_config: dict, tmp_path) -> None:
    import shutil

    from donations_app import create_app

    rules = tmp_path / "rules"
    shutil.copytree(app_config.get("RULES_DIR") or "rules", rules)
    catalog = (rules / "catalog.yaml").read_text()
    catalog = catalog.replace(
        "  - id: other\n",
        "  - id: k9_gear\n    label: Police dog equipment\n    fields: [expires_on]\n"
        "  - id: other\n",
    )
    (rules / "catalog.yaml").write_text(catalog)
    client = create_app({**app_config, "RULES_DIR": str(rules)}).test_client()
    page = client.get("/offer").get_data(as_text=True)
    assert '<option value="k9_gear">Police dog equipment</option>' in page
    assert re.search(r'data-categories="[^"]*k9_gear[^"]*"', page)
