"""The leads' reports page: weekly numbers as server-drawn SVG charts, each with a data table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask import render_template, request

from donations_app.clock import utcnow
from donations_app.labels import category_label, offer_outcome_label, status_label
from donations_app.models.vocabulary import OFFER_OUTCOMES
from donations_app.parsing import whole_number
from donations_app.review import bp
from donations_app.review.access import lead_required
from donations_app.services import reporting

OUTCOME_COLOURS = {
    "rejected": "#b50909",
    "needs_info": "#936f38",
    "review": "#005ea2",
    "accepted": "#00a91c",
}
SERIES_COLOURS = ("#005ea2", "#b50909", "#936f38", "#00a91c", "#8168b3", "#1b1b1b", "#e66f0e")

# Geometry of the column charts (SVG user units; the SVG scales to its container).
WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 40


@dataclass
class Chart:
    """Shapes of one chart, ready for the template to draw."""

    width: int
    height: int
    bars: list[dict] = field(default_factory=list)
    ticks: list[dict] = field(default_factory=list)
    labels: list[dict] = field(default_factory=list)
    legend: list[dict] = field(default_factory=list)


def _nice_max(value: float) -> float:
    """A round axis maximum at or above `value`."""
    if value <= 0:
        return 1
    step = 1.0
    while step * 10 <= value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if factor * step >= value:
            return factor * step
    return 10 * step


def column_chart(
    categories: list[str], series: list[tuple[str, str, list[float]]], unit: str = ""
) -> Chart:
    """Stacked columns: one column per category, one coloured segment per series."""
    chart = Chart(WIDTH, HEIGHT)
    totals = [sum(values[i] for _, _, values in series) for i in range(len(categories))]
    top = _nice_max(max(totals, default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(categories))
    for tick in range(5):
        value = top * tick / 4
        y = TOP + plot_h - plot_h * tick / 4
        chart.ticks.append(
            {"y": round(y, 1), "label": f"{value:g}", "x1": LEFT, "x2": WIDTH - RIGHT}
        )
    every = max(1, len(categories) // 12)
    for index, category in enumerate(categories):
        x = LEFT + slot * index + slot * 0.15
        base: float = TOP + plot_h
        for name, colour, values in series:
            height = plot_h * values[index] / top
            if height > 0:
                base -= height
                chart.bars.append(
                    {
                        "x": round(x, 1),
                        "y": round(base, 1),
                        "w": round(slot * 0.7, 1),
                        "h": round(height, 1),
                        "fill": colour,
                        "title": f"{category}, {name}: {values[index]:g}{unit}",
                    }
                )
        if index % every == 0:
            chart.labels.append({"x": round(x + slot * 0.35, 1), "label": category})
    chart.legend = [{"name": name, "fill": colour} for name, colour, _ in series]
    return chart


def bar_chart(rows: list[tuple[str, float]], colour: str = "#005ea2") -> Chart:
    """Horizontal bars, one per labelled row, longest first as given."""
    row_h, label_w = 24, 220
    chart = Chart(WIDTH, TOP + row_h * max(1, len(rows)) + 8)
    top = _nice_max(max((value for _, value in rows), default=0))
    span = WIDTH - label_w - RIGHT - 60
    for index, (label, value) in enumerate(rows):
        y = TOP + row_h * index
        chart.bars.append(
            {
                "x": label_w,
                "y": y + 3,
                "w": round(span * value / top, 1),
                "h": row_h - 6,
                "fill": colour,
                "title": f"{label}: {value:g}",
                "value": f"{value:g}",
                "label": label,
                "label_y": y + row_h / 2 + 4,
            }
        )
    return chart


def _days(delta: dt.timedelta | None) -> float:
    return round(delta.total_seconds() / 86400, 1) if delta else 0.0


@bp.get("/reports")
@lead_required
def reports() -> str:
    """Offers per week by outcome, items by category, acceptance, decision time and backlog."""
    raw_weeks = request.args.get("weeks", "12")
    error = None
    weeks = whole_number(raw_weeks, maximum=max(reporting.REPORT_WEEKS))
    if weeks is None or weeks not in reporting.REPORT_WEEKS:
        error = "The period must be 4, 12, 26 or 52 weeks; the last 12 weeks are shown."
        weeks = 12
    period = reporting.Period.last_weeks(weeks, utcnow())
    week_labels = [week.strftime("%b %d") for week in period.weeks]

    by_outcome = reporting.offers_by_week_and_outcome(period)
    outcome_chart = column_chart(
        week_labels,
        [
            (
                offer_outcome_label(outcome),
                OUTCOME_COLOURS[outcome],
                [by_outcome[w][outcome] for w in period.weeks],
            )
            for outcome in OFFER_OUTCOMES
        ],
    )
    categories = reporting.items_by_category(period)
    category_chart = bar_chart([(category_label(row.category), row.lines) for row in categories])
    acceptance = reporting.acceptance(period)
    acceptance_chart = bar_chart(
        [(status_label(status), count) for status, count in acceptance.offers.items()],
        colour="#00a91c",
    )
    times = reporting.decision_times(period)
    times_chart = column_chart(
        week_labels,
        [("median days", "#8168b3", [_days(times.by_week[w][0]) for w in period.weeks])],
        unit=" days",
    )
    queues, backlog = reporting.queue_backlog(period)
    backlog_chart = column_chart(
        week_labels,
        [
            (
                queue.name,
                SERIES_COLOURS[i % len(SERIES_COLOURS)],
                [backlog[w][queue.slug] for w in period.weeks],
            )
            for i, queue in enumerate(queues)
        ],
    )
    return render_template(
        "review/reports.html",
        error=error,
        weeks=weeks,
        week_choices=reporting.REPORT_WEEKS,
        period=period,
        outcomes=OFFER_OUTCOMES,
        by_outcome=by_outcome,
        outcome_chart=outcome_chart,
        categories=categories,
        category_chart=category_chart,
        acceptance=acceptance,
        acceptance_chart=acceptance_chart,
        times=times,
        times_chart=times_chart,
        days=_days,
        queues=queues,
        backlog=backlog,
        backlog_chart=backlog_chart,
    )
