"""`flask rules explain REFERENCE`: a stored offer explained with the route and skipped rules."""

from __future__ import annotations

import json

from donations_app.api.schemas import load_offer
from donations_app.services.offers import submit_offer
from tests.api.bodies import item_body, offer_body


def test_a_stored_offer_is_explained_by_its_reference(app):
    with app.test_request_context():
        stored = submit_offer(
            load_offer(offer_body(items=[item_body(category="electrical", voltage=None)]))
        )
        reference, queue = stored.reference, stored.queue.slug
    runner = app.test_cli_runner()
    result = runner.invoke(args=["rules", "explain", reference])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Offer {reference}: rule set ")
    assert f"queue: {queue}" in result.output
    assert "skipped VOLTAGE-120: no answer for voltage" in result.output
    result = runner.invoke(args=["rules", "explain", reference, "--format", "json"])
    document = json.loads(result.stdout)
    assert document["reference"] == reference and document["queue"] == queue
    assert document["route"]["queue"] == queue


def test_an_unknown_reference_is_a_clean_error(app):
    result = app.test_cli_runner().invoke(args=["rules", "explain", "UA-2026-999999"])
    assert result.exit_code == 1
    assert "there is no offer with the reference UA-2026-999999" in result.output
    assert "Traceback" not in result.output
