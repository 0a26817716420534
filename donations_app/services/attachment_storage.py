"""Where evidence files live: a folder under the instance path (default) or an S3 bucket.

Keys are random (services.attachments makes them), never derived from a file name, and only
ever come from the database; both stores refuse anything but a plain key all the same.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol

from flask import current_app

_KEY = re.compile(r"\A[a-f0-9]{32}(-thumb)?\Z")


class MissingFile(Exception):
    """The store has no file under this key."""


class Storage(Protocol):
    """The three things the attachments service asks of a store."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key` (replacing nothing: keys are new)."""

    def get(self, key: str) -> bytes:
        """The bytes stored under `key`; MissingFile if there are none."""

    def delete(self, key: str) -> None:
        """Remove the file under `key`; no error if it is already gone."""


def _checked(key: str) -> str:
    if not _KEY.match(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class LocalStorage:
    """Files in a folder outside the web root (default INSTANCE_PATH/attachments), readable by
    the service's user only, written to a temporary name and renamed, so a reader never sees
    half a file."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        key = _checked(key)
        return self.root / key[:2] / key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as error:
            raise MissingFile(key) from error

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Storage:
    """Objects in an S3-compatible bucket (AWS S3, MinIO, Ceph...), under a key prefix."""

    def __init__(self, bucket: str, *, prefix: str = "", client: Any = None, **options: Any):
        self.bucket = bucket
        self.prefix = prefix
        if client is None:
            import boto3  # type: ignore[import-untyped]  # imported only when S3 is configured

            client = boto3.client("s3", **{k: v for k, v in options.items() if v is not None})
        self.client = client

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self.prefix + _checked(key),
            Body=data,
            ContentType=content_type,
            ContentDisposition="attachment",
        )

    def get(self, key: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.prefix + _checked(key))
        except self.client.exceptions.NoSuchKey as error:
            raise MissingFile(key) from error
        return answer["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + _checked(key))


_STORES = "donations_app.attachment_storage"


def storage() -> Storage:
    """The app's store, made once per app from its settings."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    store = app.extensions.get(_STORES)
    if store is None:
        config = app.config
        if config.get("ATTACHMENTS_S3_BUCKET"):
            store = S3Storage(
                config["ATTACHMENTS_S3_BUCKET"],
                prefix=config.get("ATTACHMENTS_S3_PREFIX") or "",
                endpoint_url=config.get("ATTACHMENTS_S3_ENDPOINT_URL"),
                region_name=config.get("ATTACHMENTS_S3_REGION"),
                aws_access_key_id=config.get("ATTACHMENTS_S3_ACCESS_KEY_ID"),
                aws_secret_access_key=config.get("ATTACHMENTS_S3_SECRET_ACCESS_KEY"),
            )
        else:
            store = LocalStorage(config["ATTACHMENTS_DIR"])
        app.extensions[_STORES] = store
    return store
