"""Approved-items handover manifests per recipient, as CSV and XLSX, for INL logistics.

Any signed-in reviewer may download them: reviewers hand approved items on to logistics
themselves. A manifest lists each approved item of every decided offer for one recipient, so it
grows with every decision: up to EXPORT_DIRECT_ROWS rows it is written in the request, past that
the page offers to prepare it as a job (services/exports.py, docs/exports.md).
"""

from __future__ import annotations

from flask import Response, abort, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from donations_app.forms import ConfirmForm
from donations_app.labels import recipient_label
from donations_app.models.vocabulary import RECIPIENTS
from donations_app.review import bp
from donations_app.review.access import reviewer_required
from donations_app.services import exports as export_files


def _recipient_or_404(recipient: str) -> str:
    if recipient not in RECIPIENTS:
        abort(404, "There is no manifest for that recipient.")
    return recipient


def _format_or_404(file_format: str) -> str:
    if file_format not in export_files.FORMATS:
        abort(404, "There is no manifest in that format.")
    return file_format


@bp.get("/exports")
@reviewer_required
def exports() -> str:
    """The list of manifests to download (or, for a large one, to prepare)."""
    return render_template(
        "review/exports.html",
        recipients=RECIPIENTS,
        large=export_files.large_manifests(),
        limit=export_files.direct_rows(),
    )


def _manifest_download(recipient: str, file_format: str) -> Response | str:
    recipient = _recipient_or_404(recipient)
    if export_files.manifest_is_large(recipient):
        return render_template(
            "review/export_prepare.html",
            what=f"the approved-items manifest for {recipient_label(recipient)}",
            button=f"Prepare the {file_format.upper()} file",
            limit=export_files.direct_rows(),
            action=url_for("review.manifest_prepare", recipient=recipient, file_format=file_format),
            back=url_for("review.exports"),
        )
    name = export_files.manifest_file_name(recipient, file_format)
    return Response(
        export_files.manifest_file(recipient, file_format),
        mimetype=export_files.FORMATS[file_format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/exports/approved-<recipient>.csv", endpoint="manifest_csv")
@reviewer_required
def manifest_csv_download(recipient: str) -> Response | str:
    """Download the approved-items manifest of one recipient as CSV."""
    return _manifest_download(recipient, "csv")


@bp.get("/exports/approved-<recipient>.xlsx", endpoint="manifest_xlsx")
@reviewer_required
def manifest_xlsx_download(recipient: str) -> Response | str:
    """Download the approved-items manifest of one recipient as XLSX."""
    return _manifest_download(recipient, "xlsx")


@bp.post("/exports/approved-<recipient>.<file_format>/prepare")
@reviewer_required
def manifest_prepare(recipient: str, file_format: str) -> BaseResponse:
    """Start the job that writes a recipient's manifest file; on to the job's page."""
    recipient, file_format = _recipient_or_404(recipient), _format_or_404(file_format)
    if not ConfirmForm().validate():
        abort(400)
    job = export_files.start_manifest(recipient, file_format, current_user._get_current_object())
    return redirect(url_for("review.job", job_id=job.id), code=303)
