"""Approved-items handover manifests per recipient, as CSV and XLSX, for INL logistics.

Any signed-in reviewer may download them: reviewers hand approved items on to logistics
themselves. A manifest lists each approved item of every decided offer for one recipient.
Text cells that a spreadsheet would run as a formula (= + - @, tab, CR) get a leading quote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, render_template
from openpyxl import Workbook
from sqlalchemy.orm import aliased, contains_eager

from donations_app.extensions import db
from donations_app.labels import category_label
from donations_app.models import Item, Offer, Reviewer
from donations_app.models.vocabulary import RECIPIENTS
from donations_app.review import bp
from donations_app.review.access import reviewer_required
from donations_app.review.spreadsheets import guard_formula
from donations_app.services.triage import format_time

COLUMNS = (
    "Reference",
    "Agency",
    "Agency city",
    "State",
    "Pickup ZIP",
    "Contact",
    "Contact e-mail",
    "Category",
    "Description",
    "Quantity",
    "Unit value (USD)",
    "Total value (USD)",
    "Serial numbers",
    "Manufacturer",
    "Model",
    "Decided by",
    "Decided at (UTC)",
)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def manifest_rows(recipient: str) -> Iterator[list[Any]]:
    """The approved items of decided offers for a recipient, oldest decision first."""
    decider = aliased(Reviewer)
    rows = db.session.execute(
        sa.select(Item, decider)
        .join(Item.offer)
        .outerjoin(decider, decider.id == Item.decided_by_id)
        .options(contains_eager(Item.offer))
        .where(
            Offer.recipient == recipient,
            Offer.status.in_(("approved", "partially_approved")),
            Item.decision == "approved",
        )
        .order_by(Item.decided_at, Offer.reference, Item.position)
    )
    for item, reviewer in rows:
        offer = item.offer
        total = (item.unit_value_usd or Decimal(0)) * item.quantity
        yield [
            offer.reference,
            offer.agency_name,
            offer.agency_city,
            offer.agency_state,
            offer.pickup_zip,
            offer.contact_name,
            offer.contact_email,
            category_label(item.category),
            item.description,
            item.quantity,
            item.unit_value_usd,
            total if item.unit_value_usd is not None else None,
            "; ".join(item.serial_numbers or []),
            item.manufacturer or "",
            item.model or "",
            reviewer.email if reviewer is not None else "",
            format_time(item.decided_at),
        ]


def manifest_csv(recipient: str) -> str:
    """The manifest as CSV text, every text cell guarded."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in manifest_rows(recipient):
        writer.writerow(["" if v is None else guard_formula(v) for v in row])
    return out.getvalue()


def manifest_xlsx(recipient: str) -> bytes:
    """The manifest as an XLSX workbook; values are numbers, text cells guarded."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"Approved for {recipient.upper()}"
    sheet.append(COLUMNS)
    for row in manifest_rows(recipient):
        cells = [float(v) if isinstance(v, Decimal) else guard_formula(v) for v in row]
        sheet.append(cells)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never "f": a quoted value must stay text
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _recipient_or_404(recipient: str) -> str:
    if recipient not in RECIPIENTS:
        abort(404, "There is no manifest for that recipient.")
    return recipient


@bp.get("/exports")
@reviewer_required
def exports() -> str:
    """The list of manifests to download."""
    return render_template("review/exports.html", recipients=RECIPIENTS)


@bp.get("/exports/approved-<recipient>.csv", endpoint="manifest_csv")
@reviewer_required
def manifest_csv_download(recipient: str) -> Response:
    """Download the approved-items manifest of one recipient as CSV."""
    body = manifest_csv(_recipient_or_404(recipient))
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="approved-{recipient}.csv"'},
    )


@bp.get("/exports/approved-<recipient>.xlsx", endpoint="manifest_xlsx")
@reviewer_required
def manifest_xlsx_download(recipient: str) -> Response:
    """Download the approved-items manifest of one recipient as XLSX."""
    body = manifest_xlsx(_recipient_or_404(recipient))
    return Response(
        body,
        mimetype=XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="approved-{recipient}.xlsx"'},
    )
