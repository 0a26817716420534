"""A prepared export goes into its store and out of it in pieces: the worker writes the file as
its rows are read and a download sends it as it is read, neither holding the whole file; a
writer that fails midway leaves nothing behind. Both stores: a folder, and a bucket (moto's S3
server over HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from donations_app.services import attachment_storage
from donations_app.services.attachment_storage import (
    CHUNK_SIZE,
    LocalStorage,
    MissingFile,
)
from tests.attachments.test_storage import (  # noqa: F401
    bucket_client,
    s3_endpoint,
    s3_settings,
    s3_store,
)
from tests.exports.conftest import prepare, run_jobs, stored_job
from tests.exports.test_offers_csv import WIDE

KEY = "0123456789abcdef0123456789abcdef"
PIECE = b"x" * (2 * CHUNK_SIZE + 7)  # past the file buffer: written when handed over


def test_a_local_file_is_written_as_its_pieces_come_and_read_in_pieces(tmp_path):
    store = LocalStorage(tmp_path)
    on_disk: list[int] = []

    def pieces() -> Iterator[bytes]:
        yield PIECE
        (partial,) = (tmp_path / KEY[:2]).glob(".upload-*")
        on_disk.append(partial.stat().st_size)  # the first piece is written already
        yield b"end"

    assert store.put_chunks(KEY, pieces(), "text/csv") == len(PIECE) + 3
    assert on_disk == [len(PIECE)]
    read = list(store.iter_chunks(KEY))
    assert b"".join(read) == PIECE + b"end"
    assert [len(piece) for piece in read] == [CHUNK_SIZE, CHUNK_SIZE, 10]
    assert not list((tmp_path / KEY[:2]).glob(".upload-*"))
    store.delete(KEY)
    with pytest.raises(MissingFile):
        store.iter_chunks(KEY)  # said at once, before a response starts


def failing() -> Iterator[bytes]:
    yield PIECE
    raise RuntimeError("the database went away")


def test_a_writer_that_fails_midway_leaves_no_file_in_the_folder(tmp_path):
    store = LocalStorage(tmp_path)
    with pytest.raises(RuntimeError):
        store.put_chunks(KEY, failing(), "text/csv")
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []


def test_a_bucket_takes_the_pieces_spooled_and_gives_them_back_in_pieces(
    s3_settings,  # noqa: F811
    monkeypatch,
):
    monkeypatch.setattr(attachment_storage, "S3_SPOOL_BYTES", 1000)  # spills to a file
    store = s3_store(s3_settings, "pieces/")
    with pytest.raises(RuntimeError):
        store.put_chunks(KEY, failing(), "text/csv")
    with pytest.raises(MissingFile):
        store.iter_chunks(KEY)  # nothing was uploaded
    assert store.put_chunks(KEY, iter([PIECE, b"end"]), "text/csv") == len(PIECE) + 3
    head = bucket_client(s3_settings).head_object(Bucket="evidence", Key="pieces/" + KEY)
    assert head["ContentType"] == "text/csv" and head["ContentDisposition"] == "attachment"
    assert head["ContentLength"] == len(PIECE) + 3
    read = list(store.iter_chunks(KEY))
    assert b"".join(read) == PIECE + b"end" and max(len(piece) for piece in read) <= CHUNK_SIZE
    store.delete(KEY)


def test_the_download_is_sent_as_it_is_read_with_its_length(app, offers):
    job_id = prepare(offers, WIDE)
    run_jobs(app)
    done = stored_job(app, job_id)
    download = offers.get(f"/review/jobs/{job_id}/file", buffered=False)
    assert download.is_streamed
    assert download.headers["Content-Length"] == str(done.file_size)
    body = download.get_data()
    assert len(body) == done.file_size and body.startswith(b"Reference,Agency")
    exported = [path for path in Path(app.config["EXPORTS_DIR"]).rglob("*") if path.is_file()]
    assert [path.read_bytes() for path in exported] == [body]
