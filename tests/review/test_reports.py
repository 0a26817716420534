"""The leads' reports: known offers give known numbers, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from donations_app.models import utcnow
from donations_app.services import reporting
from tests.review.listing_builders import make_offer

NOW = dt.datetime(2026, 3, 18, 12, 0, tzinfo=dt.UTC)  # Wednesday; weeks start 02-23 .. 03-16
W1, W2, W3, W4 = (
    dt.date(2026, 2, 23),
    dt.date(2026, 3, 2),
    dt.date(2026, 3, 9),
    dt.date(2026, 3, 16),
)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.fixture
def known(app):
    """Offers around week boundaries, decided after known delays."""
    with app.app_context():
        # submitted in W3 (Sunday just before midnight) and W4 (Monday at midnight)
        make_offer(
            "UA-2026-000001",
            outcome="review",
            submitted_at=utc(2026, 3, 15, 23, 59),
            items=[("body_armor", "Vests"), ("medical", "Kits")],
        )
        make_offer(
            "UA-2026-000002",
            outcome="accepted",
            submitted_at=utc(2026, 3, 16, 0, 0),
            items=[("medical", "Gauze")],
        )
        make_offer(
            "UA-2026-000003",
            outcome="rejected",
            status="rejected",
            queue=None,
            submitted_at=utc(2026, 3, 17, 8),
            items=[("firearm", "Rifles")],
        )
        # decided offers: 1, 3 and 10 days to decision
        make_offer(
            "UA-2026-000004",
            status="approved",
            queue="npu-desk",
            submitted_at=utc(2026, 3, 2, 9),
            decided_at=utc(2026, 3, 12, 9),
            items=[("medical", "Kits"), ("radio", "Radios")],
            decisions=["approved", "approved"],
        )
        make_offer(
            "UA-2026-000005",
            status="partially_approved",
            queue="npu-desk",
            submitted_at=utc(2026, 3, 4, 9),
            decided_at=utc(2026, 3, 7, 9),
            items=[("radio", "Radios"), ("phone", "Phones")],
            decisions=["approved", "declined"],
        )
        make_offer(
            "UA-2026-000006",
            status="declined",
            queue="legal",
            submitted_at=utc(2026, 3, 16, 9),
            decided_at=utc(2026, 3, 17, 9),
            items=[("helmet", "Helmets")],
            decisions=["declined"],
        )
        # withdrawn on 03-11 after waiting in the legal queue since 03-03
        make_offer(
            "UA-2026-000007",
            status="withdrawn",
            queue="legal",
            submitted_at=utc(2026, 3, 3, 9),
            updated_at=utc(2026, 3, 11, 9),
        )
        # submitted before the period, decided inside it
        make_offer(
            "UA-2026-000008",
            status="declined",
            queue="logistics",
            submitted_at=utc(2026, 1, 5, 9),
            decided_at=utc(2026, 2, 24, 9),
            items=[("vehicle", "Truck")],
            decisions=["declined"],
        )
    return app


def test_offers_per_week_by_outcome(known):
    with known.app_context():
        table = reporting.offers_by_week_and_outcome(reporting.Period.last_weeks(4, NOW))
    assert list(table) == [W1, W2, W3, W4]
    assert table[W1] == {"rejected": 0, "needs_info": 0, "review": 0, "accepted": 0}
    assert table[W2] == {"rejected": 0, "needs_info": 0, "review": 3, "accepted": 0}
    assert table[W3] == {"rejected": 0, "needs_info": 0, "review": 1, "accepted": 0}
    assert table[W4] == {"rejected": 1, "needs_info": 0, "review": 1, "accepted": 1}


def test_items_by_category(known):
    with known.app_context():
        rows = reporting.items_by_category(reporting.Period.last_weeks(4, NOW))
    summary = {row.category: (row.lines, row.quantity, row.approved, row.declined) for row in rows}
    assert summary == {
        "medical": (4, 5, 1, 0),
        "radio": (2, 3, 2, 0),
        "body_armor": (1, 1, 0, 0),
        "firearm": (1, 1, 0, 0),
        "helmet": (1, 1, 0, 1),
        "phone": (1, 2, 0, 1),
    }
    assert [row.category for row in rows][:2] == ["medical", "radio"]


def test_acceptance_rate(known):
    with known.app_context():
        result = reporting.acceptance(reporting.Period.last_weeks(4, NOW))
    assert result.offers == {"approved": 1, "partially_approved": 1, "declined": 2}
    assert result.offer_rate == 0.5
    assert (result.items_approved, result.items_declined) == (3, 3)
    assert result.item_rate == 0.5


def test_median_time_to_decision(known):
    with known.app_context():
        times = reporting.decision_times(reporting.Period.last_weeks(4, NOW))
    # 50 days (UA-8), 10 days, 3 days, 1 day -> median of four = 6.5 days
    assert times.count == 4
    assert times.overall == dt.timedelta(days=6.5)
    assert times.by_week[W1] == (dt.timedelta(days=50), 1)
    assert times.by_week[W2] == (dt.timedelta(days=3), 1)
    assert times.by_week[W3] == (dt.timedelta(days=10), 1)
    assert times.by_week[W4] == (dt.timedelta(days=1), 1)


def test_queue_backlog_over_time(known):
    with known.app_context():
        queues, backlog = reporting.queue_backlog(reporting.Period.last_weeks(4, NOW))
    assert [q.slug for q in queues][:3] == ["export-control", "legal", "logistics"]
    # open at the end of each week (W4: now)
    assert backlog[W1]["logistics"] == 0  # decided 02-24
    # UA-5 was decided on 03-07, UA-4 only on 03-12
    assert backlog[W2]["npu-desk"] == 1 and backlog[W2]["legal"] == 1
    assert backlog[W3]["npu-desk"] == 0 and backlog[W3]["legal"] == 0
    assert backlog[W3]["sbgs-desk"] == 1  # UA-1, submitted Sunday 23:59
    assert backlog[W4]["sbgs-desk"] == 2 and backlog[W4]["legal"] == 0
    assert sum(backlog[W4].values()) == 2


def test_reports_page_for_leads_has_charts_with_data_tables(app, client, auth, make_reviewer):
    now = utcnow()
    with app.app_context():
        lead = make_reviewer("lena@state.example.gov", role="lead")
        make_offer(
            "UA-2026-000001",
            status="approved",
            queue="npu-desk",
            submitted_at=now - dt.timedelta(days=2),
            decided_at=now - dt.timedelta(days=1),
            items=[("medical", "Kits")],
            decisions=["approved"],
        )
        make_offer(
            "UA-2026-000002", submitted_at=now - dt.timedelta(hours=1), items=[("drone", "Drones")]
        )
        auth.sign_in_as(lead)
    response = client.get("/review/reports")
    assert response.status_code == 200
    html = response.text
    charts = re.findall(r'<svg class="app-chart"[^>]*role="img" aria-labelledby="([^"]+)"', html)
    assert len(charts) == 5
    for title_id in charts:
        assert f'<title id="{title_id}">' in html
    assert html.count("<caption") == 5
    for caption in (
        "Offers submitted per week, by outcome",
        "Item lines per category",
        "Decisions taken in the period",
        "Median days to decision",
        "Open offers per queue at the end of each week",
    ):
        assert caption in html
    assert "<strong>100.0%</strong> had items approved" in html
    assert "<strong>1.0 days</strong> over 1 decided offers" in html
    assert '<th scope="row">Drones (unmanned aircraft)</th><td class="text-right">1</td>' in html
    assert ' style="' not in html and "<script>" not in html
    assert (
        len(re.findall(r"<tr><th scope=\"row\"><time", client.get("/review/reports?weeks=26").text))
        == 3 * 26
    )
    bad = client.get("/review/reports?weeks=7")
    assert bad.status_code == 200
    assert "The period must be 4, 12, 26 or 52 weeks" in bad.text


def test_reports_are_for_leads_only(client, auth):
    auth.as_role()
    assert client.get("/review/reports").status_code == 403
