"""Size limits of the offer form's CSV import and drafts, checked before the input is used."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from donations_app import create_app
from donations_app.extensions import db
from donations_app.models import Draft
from tests.intake.helpers import offer_answers, post_offer
from tests.intake.test_offer_edges import upload

HEADER = "category,description,quantity,condition,acquired_via\n"


def test_a_csv_over_the_item_limit_stops_at_the_first_row_too_many(client: FlaskClient) -> None:
    # Row 502 is the 501st item, the typed line is the 1st: the import stops at row 501.
    rows = HEADER + "helmet,Helmets,1,good,own_funds\n" * 600 + "spaceship,Rocket,1,new,x\n"
    response = upload(client, rows.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'href="#items_csv"' in page
    assert "An offer can have at most 500 items" in page
    assert "row 501" in page
    assert "Row 602" not in page  # the rows after the limit were never read
    assert 'name="items-1-category"' not in page


def test_a_csv_over_the_byte_limit_is_refused(app_config: dict) -> None:
    app_config["CSV_IMPORT_MAX_BYTES"] = 2048
    client = create_app(app_config).test_client()
    rows = HEADER + "helmet,Helmets,1,good,own_funds\n" * 70
    response = upload(client, rows.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The file is larger than 2 KB" in page
    assert 'name="items-1-category"' not in page
    small = upload(client, (HEADER + "helmet,Helmets,1,good,own_funds\n").encode())
    assert small.status_code == 200


def test_a_draft_over_the_size_limit_is_refused_and_nothing_is_stored(app_config: dict) -> None:
    app_config["DRAFT_MAX_BYTES"] = 5_000
    app = create_app(app_config)
    client = app.test_client()
    big = offer_answers(**{"items-0-serial_numbers": "\n".join(f"SN{n:06d}" for n in range(700))})
    response = post_offer(client, {**big, "action": "save"})
    assert response.status_code == 413
    assert "larger than this service accepts" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Draft).count() == 0
    assert post_offer(client, {**offer_answers(), "action": "save"}).status_code == 302


def test_a_draft_update_over_the_limit_keeps_the_saved_answers(
    app_config: dict,
) -> None:
    app_config["DRAFT_MAX_BYTES"] = 5_000
    app: Flask = create_app(app_config)
    client = app.test_client()
    assert post_offer(client, {**offer_answers(), "action": "save"}).status_code == 302
    big = offer_answers(**{"items-0-serial_numbers": "\n".join(f"SN{n:06d}" for n in range(700))})
    assert post_offer(client, {**big, "action": "save"}).status_code == 413
    with app.app_context():
        draft = db.session.query(Draft).one()
        assert not draft.data["items"][0].get("serial_numbers")
