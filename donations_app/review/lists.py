"""Reviewer pages that find offers: the queues overview, the filtered offer list and its CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

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
from donations_app.labels import offer_outcome_label, recipient_label, rule_title, status_label
from donations_app.review import bp
from donations_app.review.access import reviewer_required
from donations_app.review.spreadsheets import guard_formula
from donations_app.services import conversation, reporting, search
from donations_app.services.rules import active_ruleset

# A person opens the file in a spreadsheet: headers and values are words, not codes.
CSV_COLUMNS = (
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
    return render_template(
        "review/offers.html",
        filters=filters,
        errors=errors,
        form_has_errors=bool(errors),
        options=_filter_options(choices),
        result=result,
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


def _csv_lines(filters: search.OfferFilters) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for index, row in enumerate(search.iter_offers(filters), start=1):
        writer.writerow(
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
        )
        if index % 200 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@bp.get("/offers.csv")
@reviewer_required
def offers_csv() -> Response:
    """The filtered list, every page, as a streamed CSV file."""
    choices = search.filter_choices(active_ruleset())
    filters, errors = search.parse_filters(request.args, choices)
    if errors:
        # A file exported without the asked-for filter would pass for the filtered list.
        abort(400, " ".join(errors.values()))
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return Response(
        stream_with_context(_csv_lines(filters)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="offers-{stamp}.csv"'},
    )
