"""Exports reviewers open in a spreadsheet: the offer list as CSV and the approved-items
manifests as CSV or XLSX, written in the request when small, by the job worker when large.

Up to EXPORT_DIRECT_ROWS rows a download is written while the reviewer waits, as before. A
larger one is a job (services/jobs.py, kinds `offers_csv` and `manifest`): the worker writes the
file with the same writers, so its bytes are those of the direct download for the same
filters, stores it in the export store (services/attachment_storage.export_storage: a folder,
or the attachments' bucket under EXPORTS_S3_PREFIX) and keeps it EXPORT_FILE_TTL seconds. Who
started the job and leads download it from the job's page (audited `export_downloaded`); the
worker then deletes it (audited `export_file_deleted`), and its link says so.

Every text cell goes through `guard_formula` (services/spreadsheets.py) in both paths.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app

from donations_app.clock import utcnow
from donations_app.extensions import db
from donations_app.labels import offer_outcome_label, recipient_label, status_label
from donations_app.models import Job, Reviewer
from donations_app.models.vocabulary import RECIPIENTS
from donations_app.services import jobs, manifests, search
from donations_app.services.attachment_storage import MissingFile, export_storage
from donations_app.services.audit import record_event
from donations_app.services.rules import active_ruleset
from donations_app.services.spreadsheets import guard_formula
from donations_app.services.transaction import (
    NotFound,
    ServiceError,
    transaction,
    transactional,
)

log = logging.getLogger(__name__)

CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"csv": CSV_TYPE, "xlsx": XLSX_TYPE}

# The offer list's file. A person opens it in a spreadsheet: headers and values are words.
OFFER_CSV_COLUMNS = (
    "Reference",
    "Agency",
    "State",
    "Recipient",
    "Status",
    "Rule outcome",
    "Queue",
    "Items",
    "Total value (USD)",
    "Submitted (UTC)",
    "Assignee",
)
# The direct download sends the file in pieces of this many rows; the job reports progress
# every PROGRESS_ROWS rows; a saved workbook is read back in pieces of XLSX_PIECE_BYTES.
CHUNK_ROWS = 200
PROGRESS_ROWS = 1000
XLSX_PIECE_BYTES = 1 << 20

XLSX_DATE = "yyyy-mm-dd"
XLSX_TIME = "yyyy-mm-dd hh:mm:ss"
_XLSX_FORMATS = {
    **{manifests.COLUMNS.index(name): XLSX_DATE for name in manifests.DATE_COLUMNS},
    **{manifests.COLUMNS.index(name): XLSX_TIME for name in manifests.TIME_COLUMNS},
}

RowCounter = Callable[[int], None]


class FileGone(ServiceError):
    """The job's file was deleted after its time (or never written)."""


def direct_rows() -> int:
    """Up to this many rows an export is written in the request (EXPORT_DIRECT_ROWS)."""
    return int(current_app.config["EXPORT_DIRECT_ROWS"])


# --- the offer list ---------------------------------------------------------------------------


def offers_file_name(moment: dt.datetime) -> str:
    return f"offers-{moment.strftime('%Y%m%d-%H%M')}.csv"


def offer_csv_chunks(
    filters: search.OfferFilters, counted: RowCounter | None = None
) -> Iterator[str]:
    """The filtered offer list, every page, as CSV text in pieces of CHUNK_ROWS rows;
    `counted` is told the rows read so far (`_counting`)."""
    rows: Iterable[list[Any]] = (
        [
            guard_formula(value)
            for value in (
                row.reference,
                row.agency_name,
                row.agency_state,
                recipient_label(row.recipient),
                status_label(row.status).capitalize(),
                offer_outcome_label(row.outcome).capitalize(),
                row.queue_name or "",
                row.items_count,
                row.total_value_usd,
                row.submitted_at.isoformat(timespec="seconds"),
                row.assignee_name,
            )
        ]
        for row in search.iter_offers(filters)
    )
    if counted is not None:
        rows = _counting(rows, counted)
    return _csv_pieces(OFFER_CSV_COLUMNS, rows)


def offers_export_is_large(
    filters: search.OfferFilters, listed: search.OfferPage | None = None
) -> bool:
    """Whether the filtered list has more rows than a direct download writes. `listed`, the
    list page the caller already has, answers without a query when its count does: an exact
    total, or a capped one already past the limit."""
    limit = direct_rows()
    if listed is not None and (not listed.more or listed.total > limit):
        return listed.total > limit
    return search.count_offers(filters, cap=limit) > limit


def start_offers_csv(filters: search.OfferFilters, reviewer: Reviewer) -> Job:
    """Queue the CSV file of the filtered offer list for the worker; audited `job_queued`. The
    reviewer's unfinished job for the same filters, if there is one, instead."""
    wanted = filters.query_args(page=1)
    params = {"filters": wanted, "file_name": offers_file_name(utcnow())}
    return jobs.start_once("offers_csv", params, reviewer, lambda p: p["filters"] == wanted)


def offers_csv_job(params: dict[str, Any], progress: jobs.Progress) -> dict[str, Any]:
    """The worker's half of `start_offers_csv`: the same file as the direct download."""
    filters, errors = search.parse_filters(
        params["filters"], search.filter_choices(active_ruleset())
    )
    if errors:
        # A queue or rule named by the filters is gone: the file would not be the asked-for list.
        raise ServiceError("The filters no longer apply: " + " ".join(errors.values()))
    return _write_job_file(
        progress,
        search.count_offers(filters),
        lambda counted: (text.encode("utf-8") for text in offer_csv_chunks(filters, counted)),
        params["file_name"],
        CSV_TYPE,
    )


# --- the approved-items manifests -------------------------------------------------------------


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return guard_formula(value)


def manifest_csv(rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """A manifest as CSV (UTF-8) in pieces of CHUNK_ROWS rows, every text cell guarded."""
    cells = ([_csv_value(v) for v in row] for row in rows)
    return (text.encode("utf-8") for text in _csv_pieces(manifests.COLUMNS, cells))


def manifest_xlsx(rows: Iterable[list[Any]], recipient: str) -> Iterator[bytes]:
    """A manifest as an XLSX workbook, in pieces; values are numbers and dates, text cells
    guarded. openpyxl's write-only mode writes each row to a temporary file as it comes, and the
    finished workbook is read back from another: memory stays flat whatever the row count."""
    # Imported here: only this download needs openpyxl (~15 MiB and 0.2 s in every worker).
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import Cell
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(f"Approved for {recipient.upper()}")
    # A write-only sheet takes its frozen row and column widths before its first row.
    sheet.freeze_panes = "A2"
    for index, name in enumerate(manifests.COLUMNS):
        width = 20 if index in _XLSX_FORMATS else min(max(len(name) + 2, 12), 40)
        sheet.column_dimensions[get_column_letter(index + 1)].width = width

    def cell(index: int, value: Any) -> Cell:
        written = WriteOnlyCell(
            sheet, float(value) if isinstance(value, Decimal) else guard_formula(value)
        )
        if isinstance(written.value, str):
            written.data_type = "s"  # never "f": a quoted value must stay text
        elif index in _XLSX_FORMATS and written.value is not None:
            written.number_format = _XLSX_FORMATS[index]
        return written

    sheet.append(manifests.COLUMNS)
    for row in rows:
        sheet.append([cell(index, value) for index, value in enumerate(row)])
    with tempfile.TemporaryFile() as out:
        workbook.save(out)
        out.seek(0)
        yield from iter(lambda: out.read(XLSX_PIECE_BYTES), b"")


def manifest_file_name(recipient: str, file_format: str) -> str:
    return f"approved-{recipient}.{file_format}"


def manifest_file(recipient: str, file_format: str) -> bytes:
    """The manifest of `recipient` in `file_format` (csv or xlsx)."""
    return b"".join(manifest_chunks(recipient, file_format))


def manifest_chunks(
    recipient: str, file_format: str, counted: RowCounter | None = None
) -> Iterator[bytes]:
    """The manifest file in pieces: CSV as it is written, a workbook once it is saved."""
    rows: Iterable[list[Any]] = manifests.manifest_rows(recipient)
    if counted is not None:
        rows = _counting(rows, counted)
    if file_format == "csv":
        return manifest_csv(rows)
    return manifest_xlsx(rows, recipient)


def large_manifests() -> set[str]:
    """The recipients whose manifest has more rows than a direct download writes."""
    return {recipient for recipient in RECIPIENTS if manifest_is_large(recipient)}


def manifest_is_large(recipient: str) -> bool:
    limit = direct_rows()
    return manifests.manifest_row_count(recipient, cap=limit) > limit


def start_manifest(recipient: str, file_format: str, reviewer: Reviewer) -> Job:
    """Queue a recipient's manifest file for the worker; audited `job_queued`. The reviewer's
    unfinished job for the same file, if there is one, instead."""
    if recipient not in RECIPIENTS or file_format not in FORMATS:
        raise ServiceError("There is no such manifest.")
    params = {"recipient": recipient, "format": file_format}
    return jobs.start_once("manifest", params, reviewer, lambda p: p == params)


def manifest_job(params: dict[str, Any], progress: jobs.Progress) -> dict[str, Any]:
    """The worker's half of `start_manifest`: the same file as the direct download."""
    recipient, file_format = params["recipient"], params["format"]
    return _write_job_file(
        progress,
        manifests.manifest_row_count(recipient),
        lambda counted: manifest_chunks(recipient, file_format, counted),
        manifest_file_name(recipient, file_format),
        FORMATS[file_format],
    )


# --- writing files in pieces ------------------------------------------------------------------


def _csv_pieces(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """CSV text of a header row and `rows`, in pieces of CHUNK_ROWS rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for index, row in enumerate(rows, start=1):
        writer.writerow(row)
        if index % CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


Row = TypeVar("Row")


def _counting(rows: Iterable[Row], counted: RowCounter) -> Iterator[Row]:
    """`rows` unchanged, telling `counted` how many have passed every PROGRESS_ROWS and at the
    end."""
    index = 0
    for index, row in enumerate(rows, start=1):
        yield row
        if index % PROGRESS_ROWS == 0:
            counted(index)
    counted(index)


def _write_job_file(
    progress: jobs.Progress,
    total: int,
    write: Callable[[RowCounter], Iterable[bytes]],
    name: str,
    content_type: str,
) -> dict[str, Any]:
    """A job's half of an export: the pieces `write(counted)` makes, stored as they come, with
    the rows reported as progress against `total` (the count before writing; the rows may have
    changed since). The job's result: the rows written and the stored file."""
    progress(0, total)
    written = 0

    def counted(rows: int) -> None:
        nonlocal written
        written = rows
        progress(rows, max(total, rows))

    stored = store_file(write(counted), name, content_type)
    progress(written, written)
    return {"rows": written, jobs.FILE: stored}


# --- the stored files -------------------------------------------------------------------------


def store_file(chunks: Iterable[bytes], name: str, content_type: str) -> dict[str, Any]:
    """Write a file into the export store as its pieces come (never the whole file in memory);
    the Job.file_* values that name it."""
    key = uuid.uuid4().hex
    size = export_storage().put_chunks(key, chunks, content_type)
    ttl = dt.timedelta(seconds=int(current_app.config["EXPORT_FILE_TTL"]))
    return {
        "file_key": key,
        "file_name": name,
        "file_content_type": content_type,
        "file_size": size,
        "file_expires_at": utcnow() + ttl,
    }


def discard_file(key: str) -> None:
    """Delete a stored file no job row names (its attempt was taken over)."""
    export_storage().delete(key)


@dataclass(frozen=True)
class ExportFile:
    """A stored file on its way to the reviewer: read from the store as it is sent."""

    name: str
    content_type: str
    size: int
    chunks: Iterator[bytes]


def file_state(job: Job, now: dt.datetime | None = None) -> str:
    """ "none" (no file, or not yet), "ready", or "expired"."""
    if job.file_expires_at is None:
        return "none"
    if job.file_key is None or job.file_expires_at <= (now or utcnow()):
        return "expired"
    return "ready"


@transactional
def download_file(job_id: int, viewer: Reviewer) -> ExportFile:
    """The file of a job, for who started it or a lead (NotFound for anyone else, and for a job
    with no file yet); FileGone once it has expired. Audited `export_downloaded`."""
    job = jobs.job_for(job_id, viewer)
    state = file_state(job)
    if state == "none":
        raise NotFound("This job has no file (or not yet).")
    if state == "expired":
        raise FileGone("This file was deleted after its time.")
    assert job.file_key is not None and job.file_name and job.file_content_type
    assert job.file_size is not None
    try:
        chunks = export_storage().iter_chunks(job.file_key)
    except MissingFile as error:
        raise FileGone("This file was deleted after its time.") from error
    record_event(
        "export_downloaded",
        actor=viewer,
        data={"job": job.id, "kind": job.kind, "file": job.file_name, "bytes": job.file_size},
    )
    return ExportFile(job.file_name, job.file_content_type, job.file_size, chunks)


def delete_expired_files(now: dt.datetime | None = None, limit: int = 100) -> int:
    """Delete the files past their time (up to `limit`), each in a transaction of its own that
    clears its key; audited `export_file_deleted`. How many were deleted."""
    now = now or utcnow()
    with transaction():
        due = list(
            db.session.scalars(
                sa.select(Job.id)
                .where(Job.file_expires_at <= now, Job.file_key.is_not(None))
                .order_by(Job.file_expires_at)
                .limit(limit)
            )
        )
    deleted = 0
    for job_id in due:
        with transaction():
            job = db.session.get(Job, job_id, populate_existing=True, with_for_update=True)
            if job is None or job.file_key is None:
                continue  # another worker deleted it meanwhile
            export_storage().delete(job.file_key)
            record_event(
                "export_file_deleted",
                actor_type="system",
                data={"job": job.id, "kind": job.kind, "file": job.file_name},
            )
            job.file_key = None
            deleted += 1
    if deleted:
        log.info("deleted %s expired export files", deleted)
    return deleted
