"""Approved-items handover manifests per recipient, as CSV and XLSX, for INL logistics.

Any signed-in reviewer may download them: reviewers hand approved items on to logistics
themselves. A manifest lists each approved item of every decided offer for one recipient.
Text cells that a spreadsheet would run as a formula (= + - @, tab, CR) get a leading quote.
Dates are real dates: ISO 8601 in the CSV, date cells with a date format in the XLSX.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from flask import Response, abort, render_template

from donations_app.models.vocabulary import RECIPIENTS
from donations_app.review import bp
from donations_app.review.access import reviewer_required
from donations_app.review.spreadsheets import guard_formula
from donations_app.services.manifests import COLUMNS, DATE_COLUMNS, TIME_COLUMNS, manifest_rows

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_DATE = "yyyy-mm-dd"
XLSX_TIME = "yyyy-mm-dd hh:mm:ss"
_FORMATS = {
    **{COLUMNS.index(name): XLSX_DATE for name in DATE_COLUMNS},
    **{COLUMNS.index(name): XLSX_TIME for name in TIME_COLUMNS},
}


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return guard_formula(value)


def manifest_csv(recipient: str) -> str:
    """The manifest as CSV text, every text cell guarded."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in manifest_rows(recipient):
        writer.writerow([_csv_value(v) for v in row])
    return out.getvalue()


def manifest_xlsx(recipient: str) -> bytes:
    """The manifest as an XLSX workbook; values are numbers, text cells guarded."""
    # Imported here: only this download needs openpyxl (~15 MiB and 0.2 s in every worker).
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.worksheets[0]  # the one a new workbook starts with
    sheet.title = f"Approved for {recipient.upper()}"
    sheet.append(COLUMNS)
    for row in manifest_rows(recipient):
        cells = [float(v) if isinstance(v, Decimal) else guard_formula(v) for v in row]
        sheet.append(cells)
        for index, cell in enumerate(sheet[sheet.max_row]):
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never "f": a quoted value must stay text
            elif index in _FORMATS and cell.value is not None:
                cell.number_format = _FORMATS[index]
    sheet.freeze_panes = "A2"
    for index, name in enumerate(COLUMNS):
        width = 20 if index in _FORMATS else min(max(len(name) + 2, 12), 40)
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
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
