"""Evidence files on the donor's status page: what the page shows, and reading an upload."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app
from werkzeug.datastructures import FileStorage

from donations_app.services.attachments import (
    ACCEPTED,
    Upload,
    attachments_by_item,
    donor_may_upload,
    readable_size,
)

if TYPE_CHECKING:
    from donations_app.models import Offer


def read_upload(file: FileStorage | None) -> Upload:
    """The posted file's name and bytes, reading at most one byte past the size limit (the
    service refuses a larger file by its size without the rest being read)."""
    if file is None or not file.filename:
        return Upload(filename="", data=b"")
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    return Upload(filename=file.filename, data=file.stream.read(limit + 1))


def upload_hint() -> str:
    """What the file field accepts, in words."""
    config = current_app.config
    return (
        f"Attach {ACCEPTED}, up to {readable_size(config['ATTACHMENT_MAX_BYTES'])} each and "
        f"{readable_size(config['ATTACHMENTS_MAX_BYTES_PER_OFFER'])} for the whole offer."
    )


def files_context(offer: Offer, upload_error: tuple[int, str] | None = None) -> dict[str, Any]:
    """What templates/macros/attachments.html needs on the status page: the files by item,
    whether the donor may add more, the hint, and an upload error as (item position, message)."""
    return {
        "item_files": attachments_by_item(offer),
        "can_attach": donor_may_upload(offer),
        "upload_hint": upload_hint(),
        "upload_error": upload_error,
    }
