"""store_upload: the file and its row together or neither, audited; limits per offer; the
privacy tools export and erase the files with the offer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from donations_app.extensions import db
from donations_app.models import Attachment, AuditEvent, Offer
from donations_app.services import personal_data
from donations_app.services.attachment_storage import LocalStorage, storage
from donations_app.services.attachments import AttachmentRejected, Upload, store_upload
from donations_app.services.transaction import transaction
from tests.attachments.files import pdf, photo
from tests.privacy.helpers import submit, withdraw


def stored_files(app) -> list[Path]:
    return sorted(p for p in Path(app.config["ATTACHMENTS_DIR"]).rglob("*") if p.is_file())


def the_offer(reference: str) -> Offer:
    return db.session.scalar(sa.select(Offer).where(Offer.reference == reference))


def test_a_photo_is_stored_under_a_random_key_outside_static_with_its_thumbnail(app, client):
    reference, _ = submit(client)
    with app.test_request_context():
        offer = the_offer(reference)
        attachment = store_upload(offer, Upload("../label.jpg", photo()), item=offer.items[0])
        row = db.session.get(Attachment, attachment.id)
        assert row.original_name == "label.jpg" and row.content_type == "image/jpeg"
        assert row.uploaded_by == "donor" and row.uploaded_by_id is None
        assert row.item_id == offer.items[0].id and row.message_id is None
        assert len(row.storage_key) == 32 and "label" not in row.storage_key
        assert row.thumbnail_key == row.storage_key + "-thumb"
        event = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "file_attached")
        ).one()
        assert event.actor_type == "donor" and event.visible_to_donor
        assert event.data["sha256"] == row.sha256 and "label" not in json.dumps(event.data)
    files = stored_files(app)
    assert [f.name for f in files] == sorted([row.storage_key, row.thumbnail_key])
    root = Path(app.config["ATTACHMENTS_DIR"])
    assert root == Path(app.instance_path) / "attachments"
    assert not str(root).startswith(str(Path(app.root_path) / "static"))


def test_a_failed_transaction_leaves_neither_row_nor_file(app, client):
    reference, _ = submit(client)
    with app.test_request_context():
        offer = the_offer(reference)
        with pytest.raises(RuntimeError), transaction():
            store_upload(offer, Upload("a.jpg", photo()), item=offer.items[0])
            assert len(stored_files(app)) == 2  # written before the row...
            raise RuntimeError("the database went away")
        assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 0
    assert stored_files(app) == []  # ...and removed with the rolled-back row


def test_a_storage_failure_stores_no_row(app, client, monkeypatch):
    reference, _ = submit(client)

    def full_disk(self, key, data, content_type):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(LocalStorage, "put", full_disk)
    with app.test_request_context():
        offer = the_offer(reference)
        with pytest.raises(OSError):
            store_upload(offer, Upload("a.pdf", pdf()), item=offer.items[0])
        assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 0
        assert (
            db.session.scalar(
                sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "file_attached")
            )
            == 0
        )


def test_the_files_of_one_offer_have_a_total_limit(app, client):
    app.config["ATTACHMENTS_MAX_BYTES_PER_OFFER"] = 2 * len(pdf()) + 10
    reference, _ = submit(client)
    with app.test_request_context():
        offer = the_offer(reference)
        store_upload(offer, Upload("1.pdf", pdf()), item=offer.items[0])
        store_upload(offer, Upload("2.pdf", pdf()), item=offer.items[0])
        with pytest.raises(AttachmentRejected, match="may come to"):
            store_upload(offer, Upload("3.pdf", pdf()), item=offer.items[0])
        assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 2
    assert len(stored_files(app)) == 2


def test_export_lists_and_copies_the_files_and_erasure_deletes_them(app, client, tmp_path):
    reference, _ = submit(client)
    with app.test_request_context():
        offer = the_offer(reference)
        store_upload(offer, Upload("label.png", photo("PNG")), item=offer.items[0])
        store_upload(offer, Upload("release.pdf", pdf()), item=offer.items[0])
        document = personal_data.export(None, reference=reference)
        listed = document["offers"][0]["attachments"]
        assert [(f["name"], f["item"]) for f in listed] == [("label.png", 1), ("release.pdf", 1)]
        copied = personal_data.export_files(tmp_path / "out", reference=reference)
        assert sorted(p.name.split("-", 1)[1] for p in copied) == ["label.png", "release.pdf"]
        assert (tmp_path / "out" / reference).is_dir()
    assert len(stored_files(app)) == 3  # the PNG, its thumbnail and the PDF
    withdraw(app, reference)
    with app.test_request_context():
        counts = personal_data.erase(reference, None)
        assert counts["attachments"] == 2
        assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 0
    assert stored_files(app) == []


def test_a_failed_erasure_keeps_the_files(app, client):
    reference, _ = submit(client)
    with app.test_request_context():
        offer = the_offer(reference)
        store_upload(offer, Upload("release.pdf", pdf()), item=offer.items[0])
    withdraw(app, reference)
    with app.test_request_context():
        offer = the_offer(reference)
        with pytest.raises(RuntimeError), transaction():
            personal_data._anonymise(offer)
            raise RuntimeError("crash before commit")
        assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 1
        assert storage().get(db.session.scalars(sa.select(Attachment)).one().storage_key)
