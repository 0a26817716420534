"""The HTML part of the donor's e-mails, rendered in Chromium as a mail client would show it:
no WCAG 2.1 A/AA violation, nothing wider than a phone, and the status link a real link."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from donations_app.extensions import db
from donations_app.models import OutboxMessage
from donations_app.services.notify import message_html
from tests.api.bodies import item_body, offer_body
from tests.e2e.conftest import assert_no_axe_violations

WIDTHS = (1280, 390)


def _html_mails(app: Flask) -> dict[str, OutboxMessage]:
    with app.app_context():
        return {m.kind: m for m in db.session.query(OutboxMessage).order_by(OutboxMessage.id)}


@pytest.mark.parametrize("width", WIDTHS)
def test_the_confirmation_reads_well_and_passes_axe(
    client: FlaskClient, app: Flask, browser, width: int, tmp_path: Path
) -> None:
    refused = item_body(category="firearm", description="Glock 17 pistols", quantity=3)
    body = offer_body()
    body["items"].append(refused)
    response = client.post("/api/v1/offers", json=body)
    assert response.status_code == 201, response.get_json()
    status_url = response.get_json()["status_url"]

    mail = _html_mails(app)["confirmation"]
    with app.app_context():
        html = message_html(mail)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.set_content(html)
        assert_no_axe_violations(page)
        # Every item is listed with what the guidelines say about it.
        items = page.locator("li")
        assert items.count() == len(body["items"])
        assert "Glock 17 pistols" in items.last.inner_text()
        assert "Not accepted" in items.last.inner_text()
        link = page.get_by_role("link", name=status_url)
        assert link.get_attribute("href") == status_url
        assert link.is_visible()
        # Nothing sticks out sideways on a phone.
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        shots = Path(os.environ.get("E2E_SCREENSHOTS", tmp_path))
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"mail-offer-confirmation-{width}.png"), full_page=True)
    finally:
        context.close()
