"""Evidence files through the donor's status link: attach a file to an item, download one.

Whoever holds the offer's status link may use them, and only for that offer's files; any other
link or file is a 404.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for

from donations_app.downloads import file_response
from donations_app.intake import bp
from donations_app.intake.answers import ErrorLink
from donations_app.intake.files import read_upload
from donations_app.intake.status_views import _offer_or_404, _render_status
from donations_app.parsing import whole_number
from donations_app.services.attachment_storage import MissingFile
from donations_app.services.attachments import (
    AttachmentRejected,
    donor_may_upload,
    find_attachment,
    read_file,
    store_upload,
)
from donations_app.services.transaction import NotFound


@bp.post("/status/<token>/files")
def attachment_upload(token: str) -> Any:
    """Attach one photo or PDF to an item of the offer (while the offer is open)."""
    offer = _offer_or_404(token)
    position = whole_number(request.form.get("item", ""), maximum=len(offer.items) - 1)
    if position is None:
        abort(400, description="The form does not match this offer. Reload the page.")
    if not donor_may_upload(offer):
        flash("Files can be added only while the offer is open.", "info")
        return redirect(url_for("intake.status", token=token))
    item = offer.items[position]
    try:
        attachment = store_upload(
            offer, read_upload(request.files.get("file")), item=item, uploaded_by="donor"
        )
    except AttachmentRejected as error:
        problem = f"Item {position + 1}: {error}"
        errors = [ErrorLink(f"file-item-{position}", problem)]
        return _render_status(offer, token, errors=errors, upload_error=(position, str(error))), 400
    flash(
        f"We added “{attachment.original_name}” to item {position + 1}. The reviewers can see it.",
        "success",
    )
    return redirect(url_for("intake.status", token=token) + f"#item-files-{position}")


@bp.get("/status/<token>/files/<int:attachment_id>")
def attachment_download(token: str, attachment_id: int) -> Any:
    """One of the offer's files, as a download."""
    offer = _offer_or_404(token)
    try:
        attachment = find_attachment(offer, attachment_id)
        data, content_type = read_file(attachment)
    except (NotFound, MissingFile):
        abort(404, description="There is no such file on this offer.")
    return file_response(data, content_type, attachment.original_name)
