"""The offer form's rough edges, on the server side: CSV problems in order with the value and a
"did you mean", the save-for-later address prefilled, a past pickup date refused (form and API)."""

from __future__ import annotations

import datetime as dt
import html
import re

from flask.testing import FlaskClient

from donations_app.clock import utctoday
from tests.api.bodies import offer_body
from tests.intake.helpers import offer_answers, post_offer
from tests.intake.test_offer_edges import upload

PAST_DATE_MESSAGE = "Enter the date the items are available from as today or a later date."


def csv_problems(page: str) -> list[str]:
    """The CSV problems as the error summary lists them, in order."""
    summary = page.split('id="error-summary"', 1)[1].split("</ul>", 1)[0]
    found = re.findall(r">([^<]+)</a>", summary)
    return [html.unescape(re.sub(r"\s+", " ", text).strip()) for text in found]


def test_csv_problems_are_ordered_by_row_then_column_with_the_value_typed(
    client: FlaskClient,
) -> None:
    bad = (
        "category,description,quantity,condition,acquired_via,damaged\n"
        "radio,Handheld radios,5,good,own_funds,\n"
        "body_armour,Vests,10,god,own_funds,maybe\n"
        "helmet,Helmets,many,good,federal_grnt,\n"
        "spaceship,Rocket,1,new,own_funds,\n"
    )
    response = upload(client, bad.encode())
    assert response.status_code == 400
    problems = csv_problems(response.get_data(as_text=True))
    assert [p.split(":", 1)[0] for p in problems] == [
        "Row 3, column category",
        "Row 3, column condition",
        "Row 3, column damaged",
        "Row 4, column quantity",
        "Row 4, column acquired_via",
        "Row 5, column category",
    ]
    assert problems[0].startswith('Row 3, column category: "body_armour": ')
    assert problems[0].endswith('Did you mean "body_armor" (Body armor (vests, plates))?')
    assert 'Did you mean "good" (Good, fully serviceable)?' in problems[1]
    assert problems[2] == 'Row 3, column damaged: "maybe": enter yes or no.'
    assert problems[3].startswith('Row 4, column quantity: "many": ')
    assert 'Did you mean "federal_grant"' in problems[4]
    # Nothing in the catalog is close to a spaceship: no guess is offered.
    assert problems[5].startswith('Row 5, column category: "spaceship": ')
    assert "Did you mean" not in problems[5]


def test_a_misspelt_csv_column_gets_a_did_you_mean(client: FlaskClient) -> None:
    response = upload(client, b"category,quantiy\nradio,2\n")
    assert response.status_code == 400
    assert csv_problems(response.get_data(as_text=True)) == [
        'Column 2 (quantiy) is not one of the template\'s columns. Did you mean "quantity"?'
    ]


def test_save_for_later_offers_the_contacts_address(client: FlaskClient) -> None:
    answers = offer_answers(**{"contact-email": "j.smith@springfield-il.gov"})
    response = post_offer(client, {**answers, "action": "save"})
    assert response.status_code == 302
    page = client.get("/offer/save").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="email"[^>]*value="j.smith@springfield-il.gov"', page)


def test_save_for_later_without_a_contact_address_leaves_the_field_empty(
    client: FlaskClient,
) -> None:
    answers = offer_answers(**{"contact-email": ""})
    post_offer(client, {**answers, "action": "save"})
    page = client.get("/offer/save").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="email"[^>]*value=""', page)


def test_a_past_pickup_date_is_a_field_error_on_the_form(client: FlaskClient) -> None:
    past = (utctoday() - dt.timedelta(days=2)).isoformat()
    response = post_offer(client, offer_answers(**{"pickup-available_from": past}))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<a class="usa-link" href="#pickup-available_from">' in page
    assert PAST_DATE_MESSAGE in page
    assert f'value="{past}"' in page  # kept as typed


def test_today_and_yesterday_utc_are_not_in_the_past(client: FlaskClient) -> None:
    # Yesterday in UTC is still today somewhere in the United States.
    for day in (utctoday(), utctoday() - dt.timedelta(days=1)):
        response = post_offer(client, offer_answers(**{"pickup-available_from": day.isoformat()}))
        assert response.status_code == 302, response.get_data(as_text=True)


def test_a_past_pickup_date_is_refused_by_both_api_endpoints(client: FlaskClient) -> None:
    body = offer_body()
    body["pickup"]["available_from"] = (utctoday() - dt.timedelta(days=2)).isoformat()
    for url, extra in (("/api/v1/checks", {"as_of": "2025-01-01"}), ("/api/v1/offers", {})):
        response = client.post(url, json={**body, **extra})
        assert response.status_code == 422
        assert response.json["errors"] == {"pickup": {"available_from": [PAST_DATE_MESSAGE]}}
