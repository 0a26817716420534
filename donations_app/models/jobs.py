"""Long work started from a page and run by a worker outside the request (services/jobs.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from donations_app.clock import utcnow
from donations_app.models.base import Base, JSONType, UTCDateTime, in_list
from donations_app.models.vocabulary import JOB_STATUSES


class Job(Base):
    """One piece of long work: what to run, who asked, its progress, and its result or error.

    A worker claims a due row (`FOR UPDATE SKIP LOCKED` on PostgreSQL) by moving its
    `next_attempt_at` past a lease; a worker that dies leaves the job due again after it.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        sa.CheckConstraint(in_list("status", JOB_STATUSES), name="status"),
        sa.CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
        sa.CheckConstraint("file_size >= 0", name="file_size_nonnegative"),
        sa.Index("ix_jobs_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="queued")
    started_by_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reviewers.id"), nullable=False, index=True
    )
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )
    progress_done: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    progress_total: Mapped[int | None] = mapped_column(sa.Integer)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The file a job wrote (a large export), in the export store until file_expires_at; the
    # worker then deletes it and clears file_key (services/exports.py).
    file_key: Mapped[str | None] = mapped_column(sa.String(64))
    file_name: Mapped[str | None] = mapped_column(sa.String(200))
    file_content_type: Mapped[str | None] = mapped_column(sa.String(100))
    file_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    file_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
