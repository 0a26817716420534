"""The queues page: counts by status per queue, the oldest unclaimed offer, my queues first."""

from __future__ import annotations

import datetime as dt
import re

from donations_app.models import utcnow
from tests.review.listing_builders import make_offer


def queue_row(html: str, name: str) -> str:
    match = re.search(rf'<th scope="row">\s*<a[^>]*>{name}</a>(.*?)</tr>', html, re.S)
    assert match, f"no row for {name}"
    return match.group(1)


def cells(row: str) -> list[str]:
    """The text of each count cell and the age cell, tags removed."""
    found = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in found]


def test_each_queue_shows_counts_by_status_and_the_oldest_unclaimed_offer(
    app, client, auth, make_reviewer
):
    now = utcnow()
    with app.app_context():
        reviewer = make_reviewer()
        other = make_reviewer("omar@state.example.gov")
        days = dt.timedelta(days=1)
        make_offer(
            "UA-2026-000001", queue="sbgs-desk", submitted_at=now - 3 * days - dt.timedelta(hours=2)
        )
        make_offer("UA-2026-000002", queue="sbgs-desk", submitted_at=now - days)
        # older, but claimed or queued with an assignee: not "unclaimed"
        make_offer(
            "UA-2026-000003",
            queue="sbgs-desk",
            status="in_review",
            assignee=other,
            submitted_at=now - 9 * days,
        )
        make_offer("UA-2026-000004", queue="sbgs-desk", assignee=other, submitted_at=now - 8 * days)
        make_offer(
            "UA-2026-000005",
            queue="sbgs-desk",
            status="approved",
            submitted_at=now - 20 * days,
            decided_at=now - 2 * days,
        )
        make_offer(
            "UA-2026-000006",
            queue="legal",
            status="declined",
            submitted_at=now - 5 * days,
            decided_at=now,
        )
        make_offer(
            "UA-2026-000007", queue="legal", status="needs_info", submitted_at=now - 5 * hours(1)
        )
        auth.sign_in_as(reviewer)
    html = client.get("/review/").text
    # statuses: queued, in review, needs info, approved, partially approved, declined, withdrawn
    sbgs = queue_row(html, "SBGS desk")
    assert cells(sbgs) == ["3", "1", "0", "1", "0", "0", "0", "3 days"]
    legal = queue_row(html, "Legal")
    assert cells(legal) == ["0", "0", "1", "0", "0", "1", "0", "None waiting"]
    assert cells(queue_row(html, "Logistics")) == ["0"] * 7 + ["None waiting"]
    # each count links to the filtered list
    assert 'href="/review/offers?queue=sbgs-desk&amp;status=queued"' in sbgs
    assert 'href="/review/offers?queue=legal&amp;status=declined"' in legal
    listed = client.get("/review/offers?queue=sbgs-desk&status=queued").text
    assert "Showing offers 1 to 3 of 3" in listed


def hours(count: int) -> dt.timedelta:
    return dt.timedelta(hours=count)


def test_my_queues_come_first_for_members(client, auth):
    auth.as_role(queues=("npu-desk", "legal"))
    html = client.get("/review/").text
    assert html.index("<h2>My queues</h2>") < html.index("<h2>Other queues</h2>")
    mine = html[html.index("<h2>My queues</h2>") : html.index("<h2>Other queues</h2>")]
    names = re.findall(r'<th scope="row">\s*<a[^>]*>([^<]+)</a>', mine)
    assert names == ["Legal", "NPU desk"]  # queue order, not membership order
    rest = html[html.index("<h2>Other queues</h2>") :]
    assert re.findall(r'<th scope="row">\s*<a[^>]*>([^<]+)</a>', rest) == [
        "Export control",
        "Logistics",
        "SBGS desk",
        "Allocation",
    ]


def test_a_reviewer_in_no_queue_sees_all_queues(client, auth):
    auth.as_role(queues=())
    html = client.get("/review/").text
    assert "My queues" not in html
    assert "<h2>All queues</h2>" in html
    assert "<caption>All queues</caption>" in html
    assert html.count('<th scope="row">') == 6
    assert html.count('<th scope="col"') == 9
