"""Approved-items manifests: only approved items of decided offers, per recipient, CSV and XLSX,
with formula injection guarded."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
import pytest

from donations_app.extensions import db
from donations_app.models import Offer
from tests.review.triage_support import (
    armor,
    decision_fields,
    handcuffs,
    item_ids,
    make_offer,
    open_offer,
    post_action,
)


def decide_offer(client, app, reference, decisions):
    """Claim the offer and decide its items by position: {position: decision}."""
    assert post_action(client, reference, "claim").status_code == 302
    ids = item_ids(app, reference)
    state = open_offer(client, reference)
    chosen = {ids[p]: (d, "" if d == "approved" else "Not needed") for p, d in decisions.items()}
    response = post_action(
        client, reference, "decisions", decision_fields(state, chosen), state=state
    )
    assert response.status_code == 302


@pytest.fixture
def reviewer_client(auth, rita):
    return auth.sign_in_as(rita)


@pytest.fixture
def decided(app, reviewer_client):
    """An SBGS offer with armor approved and cuffs declined, an NPU offer approved, and an SBGS
    offer still in review with one approved item."""
    sbgs = make_offer(
        app,
        [
            armor(
                description='=HYPERLINK("http://evil.example","x")',
                serial_numbers=["-1+1", "@SUM(A1)"],
            ),
            handcuffs(),
        ],
    )
    decide_offer(reviewer_client, app, sbgs, {0: "approved", 1: "declined"})
    npu = make_offer(app, [handcuffs(description="NPU cuffs", quantity=7)], recipient="npu")
    decide_offer(reviewer_client, app, npu, {0: "approved"})
    open_one = make_offer(app, [armor(description="Still in review"), handcuffs()])
    decide_offer(reviewer_client, app, open_one, {0: "approved"})
    return {"sbgs": sbgs, "npu": npu, "open": open_one}


def read_csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_csv_manifest_lists_only_approved_items_of_decided_offers(decided, reviewer_client):
    response = reviewer_client.get("/review/exports/approved-sbgs.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="approved-sbgs.csv"' in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert len(rows) == 1
    [row] = rows
    assert row["Reference"] == decided["sbgs"]
    assert row["Agency"] == "Springfield Police Department"
    assert row["State"] == "IL"
    assert row["Category"] == "Body armor (vests, plates)"
    assert row["Quantity"] == "10"
    assert Decimal(row["Unit value (USD)"]) == Decimal("300.00")
    assert Decimal(row["Total value (USD)"]) == Decimal("3000.00")
    assert row["Manufacturer"] == "Point Blank"
    assert row["Model"] == "Alpha Elite"
    assert row["Decided by"] == "rita@state.example.gov"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row["Decided at (UTC)"])


def test_manifests_carry_what_the_receiving_unit_needs(app, decided, reviewer_client):
    with app.app_context():
        offer = db.session.query(Offer).filter_by(reference=decided["sbgs"]).one()
        offer.contact_phone = "(217) 555-0100"
        offer.pickup_available_from = dt.date(2027, 1, 15)
        expires_on = offer.items[0].expires_on
        db.session.commit()
    [row] = read_csv(reviewer_client.get("/review/exports/approved-sbgs.csv"))
    assert row["Contact phone"] == "(217) 555-0100"
    assert row["Condition"] == "Good, fully serviceable"
    assert row["Protection level"] == "NIJ Level IIIA"
    assert row["Warranty or expiry date"] == expires_on.isoformat()
    assert row["Available from"] == "2027-01-15"

    response = reviewer_client.get("/review/exports/approved-sbgs.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    header = [cell.value for cell in sheet[1]]

    def cell(name):
        return sheet.cell(row=2, column=header.index(name) + 1)

    assert cell("Contact phone").value == "(217) 555-0100"
    assert cell("Protection level").value == "NIJ Level IIIA"
    for name, day in (
        ("Warranty or expiry date", expires_on),
        ("Available from", dt.date(2027, 1, 15)),
    ):
        assert cell(name).is_date and cell(name).data_type == "d"
        assert cell(name).number_format == "yyyy-mm-dd"
        assert cell(name).value == dt.datetime.combine(day, dt.time())
    decided_at = cell("Decided at (UTC)")
    assert decided_at.is_date and decided_at.number_format == "yyyy-mm-dd hh:mm:ss"
    assert isinstance(decided_at.value, dt.datetime)
    assert decided_at.value.strftime("%Y-%m-%d %H:%M:%S") == row["Decided at (UTC)"]


def test_csv_guards_against_formula_injection(decided, reviewer_client):
    [row] = read_csv(reviewer_client.get("/review/exports/approved-sbgs.csv"))
    assert row["Description"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["Serial numbers"] == "'-1+1; @SUM(A1)"


def test_manifests_are_per_recipient(decided, reviewer_client):
    [row] = read_csv(reviewer_client.get("/review/exports/approved-npu.csv"))
    assert (row["Reference"], row["Description"], row["Quantity"]) == (
        decided["npu"],
        "NPU cuffs",
        "7",
    )
    assert read_csv(reviewer_client.get("/review/exports/approved-any.csv")) == []


def test_xlsx_manifest_opens_with_the_same_rows(decided, reviewer_client):
    response = reviewer_client.get("/review/exports/approved-sbgs.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert len(body) == 1
    record = dict(zip(header, body[0], strict=True))
    assert record["Reference"] == decided["sbgs"]
    assert record["Quantity"] == 10
    assert record["Total value (USD)"] == 3000
    assert record["Description"] == '\'=HYPERLINK("http://evil.example","x")'
    cell = sheet.cell(row=2, column=header.index("Description") + 1)
    assert cell.data_type == "s"  # text, not a formula


def test_unknown_recipient_is_404(reviewer_client):
    assert reviewer_client.get("/review/exports/approved-nobody.csv").status_code == 404


def test_exports_page_links_each_manifest(reviewer_client):
    page = reviewer_client.get("/review/exports").text
    for recipient in ("sbgs", "npu", "any"):
        assert f"/review/exports/approved-{recipient}.csv" in page
        assert f"/review/exports/approved-{recipient}.xlsx" in page


def test_exports_need_sign_in(client):
    response = client.get("/review/exports/approved-sbgs.csv")
    assert response.status_code == 302
    assert "/review/sign-in" in response.headers["Location"]
