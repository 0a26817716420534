"""The two stores: a local folder, and an S3-compatible bucket (moto's S3 server over HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import sqlalchemy as sa
from moto.server import ThreadedMotoServer

from donations_app.extensions import db
from donations_app.models import Attachment, Offer
from donations_app.services import personal_data
from donations_app.services.attachment_storage import (
    LocalStorage,
    MissingFile,
    S3Storage,
    storage,
)
from donations_app.services.attachments import Upload, read_file, store_upload
from tests.attachments.files import photo
from tests.conftest import free_port
from tests.privacy.helpers import submit, withdraw

KEY = "0123456789abcdef0123456789abcdef"


def test_local_storage_keeps_files_private_and_refuses_anything_but_a_key(tmp_path):
    store = LocalStorage(tmp_path / "files")
    store.put(KEY, b"bytes", "application/pdf")
    assert store.get(KEY) == b"bytes"
    path = tmp_path / "files" / KEY[:2] / KEY
    assert path.stat().st_mode & 0o077 == 0  # readable by the service's user only
    assert not list(path.parent.glob(".upload-*"))  # no temporary file left behind
    store.delete(KEY)
    store.delete(KEY)  # already gone: no error
    with pytest.raises(MissingFile):
        store.get(KEY)
    for bad in ("../../etc/passwd", KEY.upper(), KEY + "/x", "", KEY + "-thumb/.."):
        with pytest.raises(ValueError):
            store.get(bad)


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_settings(s3_endpoint: str) -> dict:
    settings = {
        "ATTACHMENTS_S3_BUCKET": "evidence",
        "ATTACHMENTS_S3_PREFIX": "test/",
        "ATTACHMENTS_S3_ENDPOINT_URL": s3_endpoint,
        "ATTACHMENTS_S3_REGION": "us-east-1",
        "ATTACHMENTS_S3_ACCESS_KEY_ID": "testing",
        "ATTACHMENTS_S3_SECRET_ACCESS_KEY": "testing",
    }
    client = bucket_client(settings)
    if not any(b["Name"] == "evidence" for b in client.list_buckets().get("Buckets", [])):
        client.create_bucket(Bucket="evidence")
    return settings


def bucket_client(settings: dict):
    return boto3.client(
        "s3",
        endpoint_url=settings["ATTACHMENTS_S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def bucket_keys(settings: dict) -> list[str]:
    listing = bucket_client(settings).list_objects_v2(Bucket="evidence", Prefix="test/")
    return sorted(item["Key"] for item in listing.get("Contents", []))


def s3_store(settings: dict, prefix: str) -> S3Storage:
    """A store in the test bucket of moto's server, under `prefix`."""
    return S3Storage(
        "evidence",
        prefix=prefix,
        endpoint_url=settings["ATTACHMENTS_S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_s3_storage_round_trip(s3_settings):
    store = s3_store(s3_settings, "test/")
    store.put(KEY, b"%PDF-1.7 ...", "application/pdf")
    head = bucket_client(s3_settings).head_object(Bucket="evidence", Key="test/" + KEY)
    assert head["ContentType"] == "application/pdf"
    assert head["ContentDisposition"] == "attachment"
    assert store.get(KEY) == b"%PDF-1.7 ..."
    store.delete(KEY)
    with pytest.raises(MissingFile):
        store.get(KEY)
    with pytest.raises(ValueError):
        store.put("../other-prefix/x", b"x", "application/pdf")


@pytest.fixture
def app_config(app_config: dict, request: pytest.FixtureRequest) -> dict:
    if "s3_settings" in request.fixturenames:
        app_config.update(request.getfixturevalue("s3_settings"))
    return app_config


def test_with_a_bucket_configured_the_service_stores_serves_and_erases_there(
    app, client, s3_settings
):
    reference, _ = submit(client)
    with app.test_request_context():
        assert isinstance(storage(), S3Storage)
        offer = db.session.scalar(sa.select(Offer).where(Offer.reference == reference))
        attachment = store_upload(offer, Upload("label.jpg", photo()), item=offer.items[0])
        keys = ["test/" + attachment.storage_key, "test/" + attachment.thumbnail_key]
        assert bucket_keys(s3_settings) == sorted(keys)
        data, content_type = read_file(db.session.get(Attachment, attachment.id))
        assert content_type == "image/jpeg" and data[:3] == b"\xff\xd8\xff"
    withdraw(app, reference)
    with app.test_request_context():
        personal_data.erase(reference, None)
    assert bucket_keys(s3_settings) == []
    assert not list(Path(app.config["ATTACHMENTS_DIR"]).rglob("*"))  # nothing went to disk
