"""Reviewer pages that find offers: the queues overview, the filtered offer list and its CSV
(written here up to EXPORT_DIRECT_ROWS rows, else by a job: services/exports.py)."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from donations_app.clock import utcnow
from donations_app.forms import ConfirmForm
from donations_app.labels import offer_outcome_label, recipient_label, rule_title, status_label
from donations_app.review import bp
from donations_app.review.access import reviewer_required
from donations_app.services import conversation, exports, reporting, search
from donations_app.services.rules import active_ruleset


@bp.get("/")
@reviewer_required
def queues() -> str:
    """Each queue with its counts by status and the age of its oldest unclaimed offer."""
    summaries = reporting.queue_overview()
    mine = {queue.id for queue in current_user.queues}
    now = utcnow()
    unread, waiting = conversation.my_conversations(current_user._get_current_object())
    return render_template(
        "review/queues.html",
        unread=unread,
        waiting=waiting,
        my_queues=[s for s in summaries if s.queue.id in mine],
        other_queues=[s for s in summaries if s.queue.id not in mine],
        statuses=reporting.QUEUE_STATUSES,
        age=lambda since: reporting.describe_age(since, now),
    )


@bp.get("/offers")
@reviewer_required
def offers() -> str | BaseResponse:
    """The offer list: filters and sort from the query string, one page of results. A search
    for a whole reference number (the header's search box) opens that offer directly."""
    if set(request.args) == {"q"} and (reference := search.reference_quoted(request.args["q"])):
        return redirect(url_for("review.offer", reference=reference))
    choices = search.filter_choices(active_ruleset())
    filters, errors = search.parse_filters(request.args, choices)
    result = search.list_offers(filters)
    large_export = exports.offers_export_is_large(filters, listed=result)
    return render_template(
        "review/offers.html",
        filters=filters,
        errors=errors,
        form_has_errors=bool(errors),
        options=_filter_options(choices),
        result=result,
        large_export=large_export,
        page_url=lambda page: url_for("review.offers", **filters.query_args(page=page)),
        sort_labels=search.SORT_LABELS,
        format_value=search.format_value,
    )


def _filter_options(choices: search.FilterChoices) -> dict[str, list[tuple[str, str]]]:
    """(value, label) pairs for each select list of the filter form."""
    return {
        "queue": list(choices.queues.items()),
        "status": [(s, status_label(s).capitalize()) for s in choices.statuses],
        "outcome": [(o, offer_outcome_label(o).capitalize()) for o in choices.outcomes],
        "recipient": [(r, recipient_label(r)) for r in choices.recipients],
        "category": list(choices.categories.items()),
        "rule": [(rule, rule_title(rule)) for rule in choices.rules],
        "state": [(code, f"{code}: {name}") for code, name in choices.states.items()],
        "sort": list(search.SORT_LABELS.items()),
        "dir": [("desc", "Newest or highest first"), ("asc", "Oldest or lowest first")],
        "per_page": [(str(size), str(size)) for size in search.PAGE_SIZES],
    }


def _export_filters() -> search.OfferFilters:
    """The list's filters from the query string; a bad one is a 400: a file exported without
    the asked-for filter would pass for the filtered list."""
    choices = search.filter_choices(active_ruleset())
    filters, errors = search.parse_filters(request.args, choices)
    if errors:
        abort(400, " ".join(errors.values()))
    return filters


@bp.get("/offers.csv")
@reviewer_required
def offers_csv() -> Response | str:
    """The filtered list, every page, as a streamed CSV file; past EXPORT_DIRECT_ROWS rows, a
    page offering to prepare the file as a job instead (docs/exports.md)."""
    filters = _export_filters()
    if exports.offers_export_is_large(filters):
        return render_template(
            "review/export_prepare.html",
            what="the offer list",
            button="Prepare the CSV file",
            limit=exports.direct_rows(),
            action=url_for("review.offers_csv_prepare", **filters.query_args(page=1)),
            back=url_for("review.offers", **filters.query_args(page=1)),
        )
    return Response(
        stream_with_context(exports.offer_csv_chunks(filters)),
        mimetype=exports.CSV_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{exports.offers_file_name(utcnow())}"'
        },
    )


@bp.post("/offers.csv/prepare")
@reviewer_required
def offers_csv_prepare() -> BaseResponse:
    """Start the job that writes the filtered list's CSV file; on to the job's page."""
    if not ConfirmForm().validate():
        abort(400)
    filters = _export_filters()
    job = exports.start_offers_csv(filters, current_user._get_current_object())
    return redirect(url_for("review.job", job_id=job.id), code=303)
