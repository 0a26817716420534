"""Evidence files for reviewers: download an offer's file, or see an image's thumbnail.

Only signed-in reviewers (any role) get them; everyone else, and any file that is not the
offer's, gets a 404, so a link tells a stranger nothing.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user

from donations_app.downloads import file_response
from donations_app.review import bp
from donations_app.services.attachment_storage import MissingFile
from donations_app.services.attachments import find_attachment, read_file
from donations_app.services.offer_details import load_offer
from donations_app.services.transaction import NotFound


def _file(reference: str, attachment_id: int, *, thumbnail: bool) -> Any:
    if not current_user.is_authenticated or not current_user.has_role("reviewer"):
        abort(404)
    try:
        attachment = find_attachment(load_offer(reference), attachment_id)
        data, content_type = read_file(attachment, thumbnail=thumbnail)
    except (NotFound, MissingFile):
        abort(404, description="There is no such file on this offer.")
    name = attachment.original_name
    if thumbnail:
        name = name.rsplit(".", 1)[0] + "-thumbnail.jpg"
    return file_response(data, content_type, name, inline=thumbnail)


@bp.get("/offers/<reference>/files/<int:attachment_id>")
def attachment_download(reference: str, attachment_id: int) -> Any:
    """The file, as a download."""
    return _file(reference, attachment_id, thumbnail=False)


@bp.get("/offers/<reference>/files/<int:attachment_id>/thumbnail")
def attachment_thumbnail(reference: str, attachment_id: int) -> Any:
    """An image's thumbnail (a small JPEG without metadata), shown inline on the offer page."""
    return _file(reference, attachment_id, thumbnail=True)
