"""Evidence files: checked by content, cleaned, stored, listed, served and erased.

An upload is accepted only when its bytes are a JPEG, PNG or WebP image that Pillow decodes
completely, or a PDF whose header, cross-reference offset and end marker are where they belong;
its name decides nothing (it is kept, cleaned, for display, with the extension of what it is).
Images are stored re-encoded from their pixels, turned upright first: the stored copy and its
thumbnail carry no EXIF (GPS position, camera serial), XMP or comments, and no bytes of whatever
followed the image in the upload. PDFs are stored as sent; one with JavaScript, launch actions
or embedded files in plain view is refused.

The file is written first, then its row is added in the caller's transaction: if the
transaction fails, the file is deleted again, so there is never a row without a file; a file
whose row is deleted (erasure) is removed only once that deletion is committed.
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import unicodedata
import warnings
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from donations_app.extensions import db
from donations_app.models import Attachment, Item, Offer, Reviewer
from donations_app.models.vocabulary import FINAL_STATUSES
from donations_app.services.attachment_storage import Storage, storage
from donations_app.services.audit import record_event
from donations_app.services.transaction import NotFound, ServiceError, transaction

THUMBNAIL_SIZE = (320, 320)
THUMBNAIL_TYPE = "image/jpeg"
MAX_NAME = 120
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
}
ACCEPTED = "a photo (JPEG, PNG or WebP) or a PDF"
_HTML = re.compile(rb"\s*(<!doctype html|<html|<head|<body|<script|<iframe)", re.I)
# What else an upload may be, for the message that refuses it: (test, what it is).
_OTHER_KINDS: tuple[tuple[Any, str], ...] = (
    (lambda d: d[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc"), "a HEIC photo"),
    (lambda d: d.startswith(b"GIF8"), "a GIF image"),
    (lambda d: d[:4] in (b"II*\x00", b"MM\x00*"), "a TIFF image"),
    (lambda d: d.startswith(b"PK\x03\x04"), "a ZIP archive or Office document"),
    (lambda d: d.startswith(b"\xd0\xcf\x11\xe0"), "an Office document"),
    (lambda d: _HTML.match(d[:512]), "a web page (HTML)"),
    (lambda d: re.match(rb"\s*(<\?xml|<svg)", d[:512], re.I), "an SVG or XML file"),
)
_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)\b")
_PDF_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF")
_PDF_AT_XREF = re.compile(rb"(xref|\d+\s+\d+\s+obj)\b")
_NEW_FILES = "donations_app.attachments.new"
_DOOMED_FILES = "donations_app.attachments.doomed"


class AttachmentRejected(ServiceError):
    """The upload is not a file the service takes; the message says why, for the form field."""


@dataclass(frozen=True)
class Upload:
    """A file as it arrived: the name its sender gave it and (at most limit + 1 of) its bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class CheckedFile:
    """An accepted upload: what it is, the bytes to store, a thumbnail for images."""

    content_type: str
    data: bytes
    thumbnail: bytes | None
    name: str


def readable_size(size: int) -> str:
    """A limit in words: 10485760 -> "10 MB", 1024 -> "1 KB"."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g} MB"
    return f"{size / 1024:.3g} KB"


def _detected(data: bytes) -> str:
    for test, kind in _OTHER_KINDS:
        if test(data):
            return kind
    try:
        data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return "a file of a type we do not accept"
    return "a text file"


def _magic_type(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def clean_name(filename: str, content_type: str) -> str:
    """The sender's file name for display: no folders, control characters or odd spacing, at
    most MAX_NAME characters, with the extension of what the file really is."""
    name = unicodedata.normalize("NFC", re.split(r"[\\/]", filename or "")[-1])
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip(" .")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    extension = EXTENSIONS[content_type]
    return (stem.strip(" .") or "file")[: MAX_NAME - len(extension)] + extension


def _clean_image(data: bytes, max_pixels: int) -> tuple[str, bytes, bytes]:
    """Decode the whole image; return its type, a clean re-encoded copy and a thumbnail."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS)) as image:
                if image.width * image.height > max_pixels:
                    raise _too_many_pixels(image.width, image.height, max_pixels)
                content_type = IMAGE_FORMATS[str(image.format)]
                image.load()
                stored, pixels = _reencode(ImageOps.exif_transpose(image), content_type)
                return content_type, stored, _thumbnail(pixels)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _too_many_pixels(0, 0, max_pixels) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, KeyError) as error:
        raise AttachmentRejected(
            "The image is damaged or incomplete: we could not read it. Take the photo again "
            "or export it anew."
        ) from error


def _too_many_pixels(width: int, height: int, max_pixels: int) -> AttachmentRejected:
    size = f"{width} by {height} pixels" if width else "too many pixels"
    return AttachmentRejected(
        f"The image is {size}: send one of at most {max_pixels / 1_000_000:g} million pixels."
    )


def _reencode(upright: Image.Image, content_type: str) -> tuple[bytes, Image.Image]:
    """The image saved again from its pixels alone: no EXIF, XMP, comments or trailing bytes."""
    if upright.mode in ("P", "PA", "LA") or "transparency" in upright.info:
        upright = upright.convert("RGBA")
    pixels = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    if content_type == "image/jpeg" and pixels.mode not in ("L", "RGB", "CMYK"):
        pixels = pixels.convert("RGB")
    stored = io.BytesIO()
    options = {"quality": 90} if content_type != "image/png" else {}
    pixels.save(stored, format=content_type.split("/")[1].upper(), **options)
    return stored.getvalue(), pixels


def _thumbnail(image: Image.Image) -> bytes:
    small = image.copy()
    small.thumbnail(THUMBNAIL_SIZE)
    if small.mode in ("RGBA", "LA"):
        background = Image.new("RGB", small.size, "white")
        background.paste(small, mask=small.getchannel("A"))
        small = background
    elif small.mode != "RGB":
        small = small.convert("RGB")
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=80)
    return out.getvalue()


def _check_pdf(data: bytes) -> None:
    version = data[5:8]
    if version not in (b"1.0", b"1.1", b"1.2", b"1.3", b"1.4", b"1.5", b"1.6", b"1.7", b"2.0"):
        raise AttachmentRejected("The PDF's header is damaged: save or export the PDF again.")
    ends = list(_PDF_STARTXREF.finditer(data[-4096:]))
    offset = int(ends[-1].group(1)) if ends else -1
    if not ends or offset >= len(data) or not _PDF_AT_XREF.match(data, offset):
        raise AttachmentRejected(
            "The PDF is incomplete or damaged (its table of contents is missing): save or "
            "export the PDF again."
        )
    if _PDF_ACTIVE.search(data):
        raise AttachmentRejected(
            "The PDF contains scripts, attachments or launch actions, which we do not accept: "
            "print it to a new PDF and attach that."
        )


def check_upload(upload: Upload, *, max_bytes: int, max_pixels: int) -> CheckedFile:
    """Decide by content what the upload is; AttachmentRejected says why it is refused."""
    data = upload.data
    if not data and not upload.filename:
        raise AttachmentRejected(f"Choose a file to attach: {ACCEPTED}.")
    if not data:
        raise AttachmentRejected("The selected file is empty.")
    if len(data) > max_bytes:
        raise AttachmentRejected(
            f"The file is larger than {readable_size(max_bytes)}: send a smaller one."
        )
    content_type = _magic_type(data)
    if content_type is None:
        raise AttachmentRejected(
            f"The file is {_detected(data)}, whatever its name says. Attach {ACCEPTED}."
        )
    if content_type == "application/pdf":
        _check_pdf(data)
        return CheckedFile(content_type, data, None, clean_name(upload.filename, content_type))
    content_type, stored, thumbnail = _clean_image(data, max_pixels)
    return CheckedFile(content_type, stored, thumbnail, clean_name(upload.filename, content_type))


def donor_may_upload(offer: Offer) -> bool:
    """Donors add files while the offer is open: waiting for them, queued or in review."""
    return offer.status not in FINAL_STATUSES and offer.personal_data_erased_at is None


def _new_key() -> str:
    return secrets.token_hex(16)


def _forget_on_failure(store: Storage, *keys: str) -> None:
    db.session.info.setdefault(_NEW_FILES, []).extend((store, key) for key in keys)


def _remove_after_commit(store: Storage, *keys: str) -> None:
    db.session.info.setdefault(_DOOMED_FILES, []).extend((store, key) for key in keys)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info.pop(_NEW_FILES, None)
    for store, key in session.info.pop(_DOOMED_FILES, []):
        store.delete(key)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction_: SessionTransaction) -> None:
    if transaction_.parent is not None:
        return
    # Still listed: the transaction ended without a commit, so the rows are gone; so go the files.
    session.info.pop(_DOOMED_FILES, None)
    for store, key in session.info.pop(_NEW_FILES, []):
        store.delete(key)


def _offer_total(offer: Offer) -> int:
    # Lock the offer row (PostgreSQL) so two uploads cannot both pass the per-offer limit.
    db.session.execute(sa.select(Offer.id).where(Offer.id == offer.id).with_for_update())
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Attachment.size_bytes), 0)).where(
            Attachment.offer_id == offer.id
        )
    )
    return int(total or 0)


def store_upload(
    offer: Offer,
    upload: Upload,
    *,
    item: Item | None = None,
    message_id: int | None = None,
    uploaded_by: Reviewer | str = "donor",
) -> Attachment:
    """Check, store and record one file on the offer (on an item, or a message), audited.

    `uploaded_by` is the reviewer who sent it, or "donor". One transaction (joining the
    caller's); AttachmentRejected, with the field's message, changes nothing.
    """
    config = current_app.config
    if item is not None and item.offer_id != offer.id:
        raise NotFound("That item is not part of this offer.")
    checked = check_upload(
        upload, max_bytes=config["ATTACHMENT_MAX_BYTES"], max_pixels=config["ATTACHMENT_MAX_PIXELS"]
    )
    reviewer = uploaded_by if isinstance(uploaded_by, Reviewer) else None
    store = storage()
    with transaction():
        limit = config["ATTACHMENTS_MAX_BYTES_PER_OFFER"]
        if _offer_total(offer) + len(checked.data) > limit:
            raise AttachmentRejected(
                f"The files of one offer may come to {readable_size(limit)} at most, and this one "
                "would go past that: send a smaller file, or a PDF of several pages."
            )
        key = _new_key()
        thumbnail_key = key + "-thumb" if checked.thumbnail is not None else None
        _forget_on_failure(store, key, *([thumbnail_key] if thumbnail_key else []))
        store.put(key, checked.data, checked.content_type)
        if thumbnail_key and checked.thumbnail is not None:
            store.put(thumbnail_key, checked.thumbnail, THUMBNAIL_TYPE)
        attachment = Attachment(
            offer_id=offer.id,
            item_id=item.id if item is not None else None,
            message_id=message_id,
            original_name=checked.name,
            content_type=checked.content_type,
            size_bytes=len(checked.data),
            sha256=hashlib.sha256(checked.data).hexdigest(),
            storage_key=key,
            thumbnail_key=thumbnail_key,
            uploaded_by="reviewer" if reviewer is not None else "donor",
            uploaded_by_id=reviewer.id if reviewer is not None else None,
        )
        db.session.add(attachment)
        db.session.flush()
        record_event(
            "file_attached",
            offer=offer,
            actor=reviewer,
            actor_type="reviewer" if reviewer is not None else "donor",
            # No file name: the audit trail is append-only, and names can be personal data.
            data={
                "attachment_id": attachment.id,
                "item": item.position + 1 if item is not None else None,
                "message_id": message_id,
                "content_type": checked.content_type,
                "size_bytes": attachment.size_bytes,
                "sha256": attachment.sha256,
            },
            visible_to_donor=True,
        )
    return attachment


def offer_attachments(offer: Offer) -> list[Attachment]:
    """The offer's files, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Attachment)
            .where(Attachment.offer_id == offer.id)
            .order_by(Attachment.created_at, Attachment.id)
        )
    )


def attachments_by_item(offer: Offer) -> dict[int, list[Attachment]]:
    """The offer's item files, by item id (files of messages are left out)."""
    grouped: dict[int, list[Attachment]] = {}
    for attachment in offer_attachments(offer):
        if attachment.item_id is not None:
            grouped.setdefault(attachment.item_id, []).append(attachment)
    return grouped


def find_attachment(offer: Offer, attachment_id: int) -> Attachment:
    """The offer's file with this id; NotFound for any other id (another offer's file too)."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.offer_id != offer.id:
        raise NotFound("There is no such file on this offer.")
    return attachment


def read_file(attachment: Attachment, *, thumbnail: bool = False) -> tuple[bytes, str]:
    """The stored bytes and their content type (the thumbnail's, with `thumbnail`)."""
    if thumbnail:
        if attachment.thumbnail_key is None:
            raise NotFound("This file has no thumbnail.")
        return storage().get(attachment.thumbnail_key), THUMBNAIL_TYPE
    return storage().get(attachment.storage_key), attachment.content_type


def erase_files(offer: Offer) -> int:
    """Delete the offer's files (rows now, stored files once the caller commits); the count."""
    attachments = offer_attachments(offer)
    store = storage()
    for attachment in attachments:
        _remove_after_commit(store, attachment.storage_key)
        if attachment.thumbnail_key:
            _remove_after_commit(store, attachment.thumbnail_key)
        db.session.delete(attachment)
    return len(attachments)


def export_rows(offer: Offer) -> list[dict[str, Any]]:
    """What a personal-data export lists of each file (the files themselves: `files_for`)."""
    return [
        {
            "id": a.id,
            "item": a.item.position + 1 if a.item is not None else None,
            "message_id": a.message_id,
            "name": a.original_name,
            "content_type": a.content_type,
            "size_bytes": a.size_bytes,
            "sha256": a.sha256,
            "uploaded_by": a.uploaded_by,
            "created_at": a.created_at.isoformat(),
        }
        for a in offer_attachments(offer)
    ]
