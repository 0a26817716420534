"""With a bucket configured, prepared exports go to it under EXPORTS_S3_PREFIX (moto's S3
server), are served from it and deleted from it after their time."""

from __future__ import annotations

from pathlib import Path

import pytest

from donations_app.services import exports
from donations_app.services.attachment_storage import S3Storage, export_storage
from tests.attachments.test_storage import bucket_client, s3_endpoint, s3_settings  # noqa: F401
from tests.exports.conftest import prepare, run_jobs, stored_job
from tests.exports.test_offers_csv import WIDE, later


@pytest.fixture
def app_config(app_config: dict, s3_settings: dict) -> dict:  # noqa: F811
    app_config.update(s3_settings)
    app_config["EXPORTS_S3_PREFIX"] = "test-exports/"
    return app_config


def export_keys(settings: dict) -> list[str]:
    listing = bucket_client(settings).list_objects_v2(Bucket="evidence", Prefix="test-exports/")
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_prepared_exports_live_in_the_bucket(app, offers, s3_settings, monkeypatch):  # noqa: F811
    with app.app_context():
        assert isinstance(export_storage(), S3Storage)
    job_id = prepare(offers, WIDE)
    run_jobs(app)
    done = stored_job(app, job_id)
    assert export_keys(s3_settings) == [f"test-exports/{done.file_key}"]
    head = bucket_client(s3_settings).head_object(
        Bucket="evidence", Key=f"test-exports/{done.file_key}"
    )
    assert head["ContentType"] == "text/csv" and head["ContentLength"] == done.file_size
    download = offers.get(f"/review/jobs/{job_id}/file")
    assert download.status_code == 200 and download.data.startswith(b"Reference,Agency")
    assert not list(Path(app.config["EXPORTS_DIR"]).rglob("*"))  # nothing went to disk

    later(monkeypatch, app.config["EXPORT_FILE_TTL"] + 1)
    with app.app_context():
        assert exports.delete_expired_files() == 1
    assert export_keys(s3_settings) == []
    assert offers.get(f"/review/jobs/{job_id}/file").status_code == 410
