"""Reviewer pages show labels and titles, never the codes the database stores.

Offers in every status, items with every guideline outcome and decision, and an offer that went
through every reviewer action are rendered on every reviewer page; the text a person reads (not
attributes, not the <code> of a rule-set version) must hold no status, outcome, decision, audit
action, queue slug or tag code, and every rule id must come with its title.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from donations_app.extensions import db
from donations_app.models import AuditEvent, Finding, Item, Offer, Reviewer
from donations_app.models.vocabulary import (
    ITEM_OUTCOMES,
    OFFER_OUTCOMES,
    OFFER_STATUSES,
)
from donations_app.services import triage
from donations_app.services.rules import active_ruleset
from tests.review.listing_builders import make_offer
from tests.review.triage_support import make_offer as submit_offer

QUEUE_SLUGS = ("export-control", "legal", "logistics", "sbgs-desk", "npu-desk")
# Codes that are not also plain words; "approved", "declined", "rejected" read as themselves.
WORD_CODES = {"reject", "info", "review", "accept", "queued", "needs_info", "in_review"}


class _Text(HTMLParser):
    """The text nodes a person reads, outside <code>, <script>, <style> and <option value>."""

    SKIP = {"code", "script", "style", "title"}

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.SKIP:
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping and data.strip():
            self.nodes.append(" ".join(data.split()))


def readable_text(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.nodes


def raw_codes(html: str, rule_ids: list[str], actions: set[str]) -> list[str]:
    """Every code a person would read on the page."""
    found = []
    nodes = readable_text(html)
    text = "\n".join(nodes)
    for node in nodes:
        if node.lower() in WORD_CODES:
            found.append(node)
    coded = {s for s in (*OFFER_STATUSES, *OFFER_OUTCOMES, *actions) if "_" in s}
    # Queue slugs that are also prose ("legal", "export-control specialist") are not checked.
    coded |= {"export_control", *(slug for slug in QUEUE_SLUGS if slug.endswith("-desk"))}
    for code in coded:
        for match in re.finditer(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text):
            found.append(text[max(0, match.start() - 30) : match.end() + 30])
    for rule in rule_ids:
        for match in re.finditer(rf"(?<![\w-]){re.escape(rule)}(?![\w-])(?!: )", text):
            found.append(text[max(0, match.start() - 30) : match.end() + 30])
    return found


@pytest.fixture
def every_state(app, make_reviewer):
    """Offers in every status, items in every outcome and decision, one worked by a reviewer."""
    lead = make_reviewer(role="admin", name="Ada Admin", queues=QUEUE_SLUGS)
    with app.app_context():
        rules = [r.id for r in active_ruleset().rules]
        for n, status in enumerate(OFFER_STATUSES):
            outcome = OFFER_OUTCOMES[n % len(OFFER_OUTCOMES)]
            offer = make_offer(
                f"UA-2025-{n + 1:06d}",
                status=status,
                outcome=outcome,
                items=[("body_armor", "V"), ("firearm", "P"), ("medical", "K"), ("radio", "R")],
                rules=rules[n % len(rules) :][:3],
                decisions=["approved", None, "declined"],
            )
            for item, item_outcome in zip(offer.items, ITEM_OUTCOMES, strict=False):
                item.outcome = item_outcome
        # The builder's findings say "<rule id> fired"; a stored message is the donor's text.
        for finding in db.session.query(Finding):
            finding.message = "What the donor was told."
        db.session.commit()
    reference = submit_offer(app)
    with app.test_request_context():
        reviewer = db.session.get(Reviewer, lead.id)
        offer = db.session.query(Offer).filter_by(reference=reference).one()
        triage.claim(offer, reviewer, offer_version=offer.version)
        triage.reroute(offer, reviewer, "legal", "Grant terms", offer_version=offer.version)
        triage.claim(offer, reviewer, offer_version=offer.version)
        triage.add_note(offer, reviewer, "Called the donor.")
        triage.request_info(offer, reviewer, "Which grant?", offer_version=offer.version)
        references = [o.reference for o in db.session.query(Offer)]
        actions = {e.action for e in db.session.query(AuditEvent)}
        assert {i.outcome for i in db.session.query(Item)} == set(ITEM_OUTCOMES)
    return lead, references, rules, actions


def test_reviewer_pages_show_no_raw_codes(client, auth, every_state):
    lead, references, rules, actions = every_state
    auth.sign_in_as(lead)
    urls = ["/review/", "/review/offers", "/review/offers?per_page=100", "/review/exports"]
    urls += ["/review/reports", "/review/admin/audit"]
    urls += [f"/review/offers/{reference}" for reference in references]
    urls += [f"/review/offers?status={status}" for status in OFFER_STATUSES]
    problems = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        found = raw_codes(response.text, rules, actions)
        if found:
            problems[url] = found
    assert problems == {}, "\n".join(f"{url}: {found}" for url, found in problems.items())


def test_the_check_finds_codes():
    html = "<p>Status: <span>queued</span></p><p>ARMS</p><p>moved to sbgs-desk</p>"
    html += "<p><code>ARMS</code> ARMOR-WARRANTY: Armor needs six months</p>"
    found = raw_codes(html, ["ARMS", "ARMOR-WARRANTY"], set())
    assert "queued" in found
    assert any("ARMS" in f for f in found) and any("sbgs-desk" in f for f in found)
    assert len(found) == 3
