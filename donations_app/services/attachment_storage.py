"""Where evidence files and prepared exports live: folders under the instance path (default)
or an S3 bucket (one prefix each).

Keys are random (services.attachments makes them), never derived from a file name, and only
ever come from the database; both stores refuse anything but a plain key all the same.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from flask import current_app

_KEY = re.compile(r"\A[a-f0-9]{32}(-thumb)?\Z")
# Files are written and read in pieces of this size by put_chunks and iter_chunks.
CHUNK_SIZE = 64 * 1024
# put_chunks to S3 keeps up to this many bytes in memory before spilling to a temporary file.
S3_SPOOL_BYTES = 8 * 1024 * 1024


class MissingFile(Exception):
    """The store has no file under this key."""


class Storage(Protocol):
    """What the attachments and exports services ask of a store."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key` (replacing nothing: keys are new)."""

    def put_chunks(self, key: str, chunks: Iterable[bytes], content_type: str) -> int:
        """Store the bytes of `chunks` under `key` as they come, never all in memory (a large
        export); their size."""

    def get(self, key: str) -> bytes:
        """The bytes stored under `key`; MissingFile if there are none."""

    def iter_chunks(self, key: str) -> Iterator[bytes]:
        """The bytes stored under `key` in pieces of CHUNK_SIZE, for a download that never holds
        them all; MissingFile (before the first piece) if there are none."""

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
        self.put_chunks(key, (data,), content_type)

    def put_chunks(self, key: str, chunks: Iterable[bytes], content_type: str) -> int:
        path = self._path(key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        size = 0
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
                    size += len(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return size

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as error:
            raise MissingFile(key) from error

    def iter_chunks(self, key: str) -> Iterator[bytes]:
        try:
            handle = self._path(key).open("rb")
        except FileNotFoundError as error:
            raise MissingFile(key) from error
        return _pieces(handle)

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

    def put_chunks(self, key: str, chunks: Iterable[bytes], content_type: str) -> int:
        """Spooled (to a temporary file past S3_SPOOL_BYTES), then uploaded in parts."""
        object_key = self.prefix + _checked(key)
        with tempfile.SpooledTemporaryFile(max_size=S3_SPOOL_BYTES) as spool:
            size = 0
            for chunk in chunks:
                spool.write(chunk)
                size += len(chunk)
            spool.seek(0)
            extra = {"ContentType": content_type, "ContentDisposition": "attachment"}
            self.client.upload_fileobj(spool, self.bucket, object_key, ExtraArgs=extra)
        return size

    def _object(self, key: str) -> dict[str, Any]:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.prefix + _checked(key))
        except self.client.exceptions.NoSuchKey as error:
            raise MissingFile(key) from error

    def get(self, key: str) -> bytes:
        return self._object(key)["Body"].read()

    def iter_chunks(self, key: str) -> Iterator[bytes]:
        return _pieces(self._object(key)["Body"])

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + _checked(key))


def _pieces(handle: IO[bytes]) -> Iterator[bytes]:
    """The contents of an open file (or S3 body) in pieces of CHUNK_SIZE; closed at the end, or
    when the reader stops early (a download cut off)."""
    with handle:
        while chunk := handle.read(CHUNK_SIZE):
            yield chunk


_STORES = "donations_app.attachment_storage"
_EXPORT_STORES = "donations_app.export_storage"


def _store(folder: str, prefix: str) -> Storage:
    """A store from the app's settings: the S3 bucket if one is set (objects under `prefix`),
    else the local `folder`."""
    config = current_app.config
    if config.get("ATTACHMENTS_S3_BUCKET"):
        return S3Storage(
            config["ATTACHMENTS_S3_BUCKET"],
            prefix=prefix,
            endpoint_url=config.get("ATTACHMENTS_S3_ENDPOINT_URL"),
            region_name=config.get("ATTACHMENTS_S3_REGION"),
            aws_access_key_id=config.get("ATTACHMENTS_S3_ACCESS_KEY_ID"),
            aws_secret_access_key=config.get("ATTACHMENTS_S3_SECRET_ACCESS_KEY"),
        )
    return LocalStorage(folder)


def _app_store(key: str, folder_setting: str, prefix_setting: str) -> Storage:
    """A store made once per app from its settings, kept under `key`."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    store = app.extensions.get(key)
    if store is None:
        store = _store(app.config[folder_setting], app.config.get(prefix_setting) or "")
        app.extensions[key] = store
    return store


def storage() -> Storage:
    """The app's store of evidence files, made once per app from its settings."""
    return _app_store(_STORES, "ATTACHMENTS_DIR", "ATTACHMENTS_S3_PREFIX")


def export_storage() -> Storage:
    """The app's store of prepared export files (services/exports.py): the attachments' bucket
    under EXPORTS_S3_PREFIX, or the folder EXPORTS_DIR (default INSTANCE_PATH/exports)."""
    return _app_store(_EXPORT_STORES, "EXPORTS_DIR", "EXPORTS_S3_PREFIX")
