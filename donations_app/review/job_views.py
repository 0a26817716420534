"""The page of a job started from another page: its progress while a worker runs it (the page
polls with JavaScript, or the reader follows "Check again"), then its result or its error.

Only who started the job and leads see it; anyone else gets 404. A job that wrote a file (a
large export, services/exports.py) offers it for download until it expires; then 410.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import abort, jsonify, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from donations_app.review import bp
from donations_app.review.access import reviewer_required
from donations_app.services import exports
from donations_app.services.jobs import job_for
from donations_app.services.queues import queue_names
from donations_app.services.transaction import NotFound

if TYPE_CHECKING:
    from donations_app.models import Job


def _job_or_404(job_id: int) -> Job:
    try:
        return job_for(job_id, current_user._get_current_object())
    except NotFound:
        abort(404)


@bp.get("/jobs/<int:job_id>")
@reviewer_required
def job(job_id: int) -> str:
    """Progress, then the result (an impact preview, a re-check) or the error of a job."""
    found = _job_or_404(job_id)
    return render_template(
        "review/job.html",
        job=found,
        status_url=url_for("review.job_status", job_id=found.id),
        queue_names=queue_names(),
        file_state=exports.file_state(found),
    )


@bp.get("/jobs/<int:job_id>/status")
@reviewer_required
def job_status(job_id: int) -> Response:
    """The job's state as JSON, for the page's poll script."""
    found = _job_or_404(job_id)
    return jsonify(status=found.status, done=found.progress_done, total=found.progress_total)


@bp.get("/jobs/<int:job_id>/file")
@reviewer_required
def job_file(job_id: int) -> Response | tuple[str, int]:
    """The file the job wrote; audited. Once deleted after its time, a page that says so (410)."""
    try:
        found = exports.download_file(job_id, current_user._get_current_object())
    except exports.FileGone:
        return render_template("review/export_gone.html", job=_job_or_404(job_id)), 410
    except NotFound:
        abort(404)
    return Response(
        found.chunks,
        mimetype=found.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{found.name}"',
            "Content-Length": str(found.size),
            "Cache-Control": "private, no-store",
        },
    )
