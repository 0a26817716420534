"""CSV import, save and return by e-mail, CSRF, hostile input and the submission limit."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from donations_app.extensions import db
from donations_app.models import Draft, Offer, OutboxMessage
from donations_app.services.notify import send_due_mail
from tests.conftest import csrf_token, mail_text
from tests.intake.helpers import medical_item, offer_answers, page_token, post_offer
from tests.intake.test_offer_journey import status_path, submit

GOOD_CSV = (
    "category,description,quantity,condition,acquired_via,expires_on,protection_level,damaged,"
    "serial_numbers\n"
    '"Body armor (vests, plates)",Plates,10,good,own_funds,2031-01-01,IIIA,no,A1;A2\n'
    'radio,Handheld radios,5,"Good, fully serviceable",own_funds,,,,\n'
)


def upload(client: FlaskClient, content: bytes, **answers: str):
    return post_offer(
        client,
        {
            **offer_answers(**answers),
            "action": "import",
            "items_csv": (io.BytesIO(content), "items.csv"),
        },
        content_type="multipart/form-data",
    )


def test_csv_template_has_the_catalog_columns(client: FlaskClient) -> None:
    response = client.get("/offer/items.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    header = response.get_data(as_text=True).strip().split(",")
    assert header[:5] == ["category", "description", "quantity", "condition", "acquired_via"]
    assert {"expires_on", "protection_level", "voltage", "insignia_removed"} <= set(header)
    assert header.count("model") == 1


def test_a_good_csv_adds_every_row(client: FlaskClient) -> None:
    response = upload(client, GOOD_CSV.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "2 items added from items.csv" in page
    # the item typed on the form stays first, the rows follow
    assert "Patrol vests, level IIIA" in page
    assert re.search(r'id="items-1-description"[^>]*>Plates<', page)
    assert re.search(r'id="items-2-description"[^>]*>Handheld radios<', page)
    assert re.search(r'id="items-1-serial_numbers"[^>]*>A1\nA2<', page)
    assert '<option value="good" selected>' in page


def test_a_bad_csv_names_row_and_column_and_adds_nothing(client: FlaskClient) -> None:
    bad = (
        GOOD_CSV
        + "helmet,Helmets,many,good,own_funds,,,maybe,\nspaceship,Rocket,1,new,own_funds,,,,\n"
    )
    response = upload(client, bad.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>Error: " in page and 'href="#items_csv"' in page
    assert "Row 4, column damaged" in page
    assert "Row 4, column quantity" in page
    assert "Row 5, column category" in page
    assert 'name="items-1-category"' not in page  # nothing imported, not even the good rows
    assert "Patrol vests, level IIIA" in page  # what was typed is kept


def test_a_csv_with_unknown_columns_is_refused(client: FlaskClient) -> None:
    response = upload(client, b"category,colour\nradio,red\n")
    assert response.status_code == 400
    assert "Column 2 (colour) is not one of the template" in response.get_data(as_text=True)


def test_save_and_return_by_email(smtp_server, app: Flask, client: FlaskClient) -> None:
    answers = offer_answers(**{"agency-name": "", "items-0-description": "Vests <b>bold</b>"})
    response = post_offer(client, {**answers, "action": "save"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/offer/save")
    token = page_token(client, "/offer/save")
    bad = client.post("/offer/save", data={"csrf_token": token, "email": "not an address"})
    assert bad.status_code == 400 and 'href="#email"' in bad.get_data(as_text=True)
    sent = client.post("/offer/save", data={"csrf_token": token, "email": "jo@agency.gov"})
    assert sent.status_code == 302
    assert "We sent a private link to jo@agency.gov" in client.get("/offer/saved").get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.query(OutboxMessage).filter_by(kind="draft_link").count() == 1
        send_due_mail()
    messages = smtp_server.wait_for(1)
    assert len(messages) == 1 and messages[0]["To"] == "jo@agency.gov"
    link = re.search(r"https?://\S+/offer/draft/\S+", mail_text(messages[0])).group(0)

    other_browser = app.test_client()
    resumed = other_browser.get(link, follow_redirects=True)
    page = resumed.get_data(as_text=True)
    assert resumed.status_code == 200
    assert "Your saved answers are back" in page
    assert "Vests &lt;b&gt;bold&lt;/b&gt;" in page and 'value="IIIA" selected' in page
    assert client.get(link[:-3] + "xyz").status_code == 404


def test_an_expired_draft_link_is_a_helpful_404(app: Flask, client: FlaskClient) -> None:
    import datetime as dt

    from donations_app.services import drafts

    with app.test_request_context():
        draft = drafts.store_answers({"items": [{}]})
        token = drafts.resume_token(draft)
        draft.expires_at = draft.expires_at - dt.timedelta(days=365)
        db.session.commit()
    response = client.get(f"/offer/draft/{token}")
    assert response.status_code == 404
    assert "has expired" in response.get_data(as_text=True)


def test_csrf_is_enforced(app_config: dict) -> None:
    from donations_app import create_app

    app_config["WTF_CSRF_ENABLED"] = True
    client = create_app(app_config).test_client()
    assert client.post("/offer", data=offer_answers()).status_code == 400
    assert client.post("/offer/submit").status_code == 400


def test_hostile_input_is_refused_escaped_and_not_stored(app: Flask, client: FlaskClient) -> None:
    answers = offer_answers(
        **{
            "agency-name": "<script>alert(1)</script>",
            "agency-city": "Spring\x00field",
            "contact-name": "x" * 5000,
            "items-0-description": '"><img src=x onerror=alert(1)>',
        }
    )
    response = post_offer(client, answers)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'href="#agency-city"' in page and 'href="#contact-name"' in page
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    with app.app_context():
        assert db.session.query(Offer).count() == 0
        assert db.session.query(Draft).count() == 0


def test_the_submit_is_rate_limited(app_config: dict) -> None:
    from donations_app import create_app

    app_config.update(RATELIMIT_ENABLED=True, SUBMISSION_RATE_LIMIT="1 per hour")
    app = create_app(app_config)
    client = app.test_client()
    for expected in (302, 429):
        post_offer(client, offer_answers())
        token = page_token(client, "/offer/check")
        response = client.post("/offer/submit", data={"csrf_token": token})
        assert response.status_code == expected
    assert "Too many requests" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Offer).count() == 1


# Quantities that are not a whole number the API reads: "²" passes isdigit(), int() refuses
# more than 4,300 digits, and Arabic-Indic digits are digits to Python but not to the schema.
ODD_QUANTITIES = ["9" * 5000, "9" * 13, "\u00b2", "\u0661\u0662", "1" + "0" * 4299]
ODD_QUANTITY_IDS = ["5000-digits", "13-digits", "superscript", "arabic-indic", "4300-digits"]


@pytest.mark.parametrize("quantity", ODD_QUANTITIES, ids=ODD_QUANTITY_IDS)
def test_an_odd_quantity_on_the_form_is_a_field_error(
    app: Flask, client: FlaskClient, quantity: str
) -> None:
    response = post_offer(client, offer_answers(**{"items-0-quantity": quantity}))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'href="#items-0-quantity"' in page
    assert "Enter a quantity between 1 and 100,000." in page
    with app.app_context():
        assert db.session.query(Draft).count() == 0


@pytest.mark.parametrize("quantity", ODD_QUANTITIES[:3], ids=ODD_QUANTITY_IDS[:3])
def test_an_odd_quantity_in_an_information_answer_is_a_field_error(
    app: Flask, client: FlaskClient, quantity: str
) -> None:
    path = status_path(submit(client, offer_answers(**medical_item(1))))
    token = csrf_token(client.get(path).get_data(as_text=True))
    fields = {key.replace("items-1-", "items-0-"): v for key, v in medical_item(1).items()}
    response = client.post(
        path + "/info",
        data={
            "csrf_token": token,
            "items-0-position": "1",
            **fields,
            "items-0-quantity": quantity,
            "items-0-expires_on": "2031-01-31",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'href="#items-0-quantity"' in page
    with app.app_context():
        offer = db.session.query(Offer).one()
        assert (offer.status, offer.items[1].quantity) == ("needs_info", 40)


@pytest.mark.parametrize("quantity", ODD_QUANTITIES[:3], ids=ODD_QUANTITY_IDS[:3])
def test_an_odd_quantity_in_a_csv_names_row_and_column(client: FlaskClient, quantity: str) -> None:
    rows = GOOD_CSV + f"radio,Handheld radios,{quantity},good,own_funds,,,,\n"
    response = upload(client, rows.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Row 4, column quantity" in page
    assert 'name="items-1-category"' not in page
