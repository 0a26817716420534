"""A reviewer's day in a real browser: sign in, find an offer, claim it, decide its items, meet a
colleague's concurrent decision, export the handover manifest; axe-core on the offer page."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from donations_app.extensions import db
from donations_app.models import Offer, Reviewer
from donations_app.services import triage
from tests.e2e.conftest import assert_no_axe_violations
from tests.e2e.pages import OfferListPage, ReviewerOfferPage, SignInPage
from tests.review.triage_support import armor, handcuffs, make_offer

pytestmark = pytest.mark.e2e


def lead_decides_first_item(app, reference: str) -> None:
    """A lead, elsewhere, approves item 1 while the reviewer's page is open."""
    with app.test_request_context():
        offer = db.session.scalar(sa.select(Offer).filter_by(reference=reference))
        lead = db.session.scalar(sa.select(Reviewer).filter_by(role="lead"))
        item = offer.items[0]
        triage.decide_item(
            offer,
            lead,
            item.id,
            "approved",
            offer_version=offer.version,
            item_version=item.version,
        )
        db.session.remove()


def test_reviewer_day(live_server, page, make_reviewer):
    app = live_server.app
    make_reviewer("rita@state.example.gov", name="Rita Reviewer")
    make_reviewer("lena@state.example.gov", role="lead", name="Lena Lead")
    first = make_offer(app, [armor(), handcuffs()])
    second = make_offer(app, [armor(description="Second lot of vests"), handcuffs()])
    offer_page = ReviewerOfferPage(page, live_server)

    SignInPage(page, live_server).sign_in_as("rita@state.example.gov")

    # Find the offer through the list's filters.
    offers = OfferListPage(page, live_server).open()
    offers.filter("status").select_option("queued")
    offers.apply_filters()
    assert "status=queued" in page.url
    with page.expect_navigation():
        page.get_by_role("link", name=first).first.click()
    assert page.get_by_role("heading", name=f"Offer {first}").count() == 1
    assert page.get_by_text("EXPORT-ARMOR-EAR").count() >= 1
    assert_no_axe_violations(page)

    # Claim, then decide both items (decline needs a reason the donor reads).
    offer_page.claim()
    assert page.get_by_text("You claimed this offer").count() == 1
    offer_page.decide(1, "Approve")
    offer_page.decide(2, "Decline")
    offer_page.save_decisions()
    assert page.get_by_text("There is a problem").count() == 1
    assert page.title().startswith("Error: ")
    offer_page.decide(2, "Decline", reason="Restraints are not on the SBGS need list.")
    offer_page.save_decisions()
    assert page.get_by_text("Your decisions are saved.").count() == 1
    assert page.get_by_text("partially approved").count() >= 1
    assert_no_axe_violations(page)

    # A colleague decides the same item of the second offer while the page is open.
    offer_page.open(second).claim()
    offer_page.decide(1, "Decline", reason="Labels unreadable")
    lead_decides_first_item(app, second)
    offer_page.save_decisions()
    conflict = offer_page.conflict()
    assert conflict.is_visible()
    assert "was approved by Lena Lead" in conflict.inner_text()
    assert "Item 1: declined (Labels unreadable)" in conflict.inner_text()
    assert_no_axe_violations(page)

    # Hand the approved items over: the SBGS manifest.
    page.goto(live_server.url("/review/exports"))
    assert_no_axe_violations(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="approved-sbgs.csv").click()
    path = download_info.value.path()
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [(r["Reference"], r["Description"]) for r in rows] == [
        (first, "Ballistic vests, level IIIA")
    ]
