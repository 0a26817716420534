"""Queues come from the routing file: a queue named only in YAML works end to end, and a
queue no route leads to any more is retired (hidden from choices, kept for its offers)."""

from __future__ import annotations

import pytest

from donations_app.extensions import db
from donations_app.models import Offer, Queue
from donations_app.services.queues import all_queues
from tests.api.bodies import offer_body
from tests.intake.helpers import offer_answers, page_token, post_offer
from tests.rulesets.conftest import edit

NEW_ROUTE = """routes:
  - queue: field-desk
    title: National Police offers go to the new field desk
    when: recipient == "npu"

"""


@pytest.fixture
def published_new_queue(runner, rules_copy):
    folder = rules_copy("field-desk")
    edit(folder, "routing.yaml", "routes:\n", NEW_ROUTE)
    result = runner.invoke(args=["rules", "publish", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


def queue_of(app, reference: str) -> str:
    with app.app_context():
        offer = db.session.query(Offer).filter_by(reference=reference).one()
        return offer.queue.slug


def test_a_queue_declared_only_in_yaml_receives_api_and_form_offers(
    app, client, published_new_queue
):
    response = client.post("/api/v1/offers", json=offer_body(recipient="npu"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["queue"] == "field-desk"
    assert queue_of(app, response.get_json()["reference"]) == "field-desk"

    assert post_offer(client, offer_answers(recipient="npu")).status_code == 302
    token = page_token(client, "/offer/check")
    assert client.post("/offer/submit", data={"csrf_token": token}).status_code == 302
    confirmation = client.get("/offer/confirmation").get_data(as_text=True)
    with app.app_context():
        offers = db.session.query(Offer).order_by(Offer.id).all()
        assert [o.queue.slug for o in offers] == ["field-desk", "field-desk"]
        assert offers[1].reference in confirmation
        assert db.session.query(Queue).filter_by(slug="field-desk").one().name == "Field desk"


def test_a_queue_no_longer_routed_is_retired_and_comes_back(app, client, runner, rules_copy):
    response = client.post(
        "/api/v1/offers", json=offer_body(recipient="any", items=[offer_body()["items"][1]])
    )
    assert response.get_json()["queue"] == "allocation"
    folder = rules_copy("no-allocation")
    edit(folder, "routing.yaml", 'when: recipient == "npu"', 'when: recipient in ("npu", "any")')
    routing = (folder / "routing.yaml").read_text()
    (folder / "routing.yaml").write_text(routing.split("  - queue: allocation")[0])
    assert runner.invoke(args=["rules", "publish", str(folder)]).exit_code == 0
    with app.app_context():
        assert "allocation" not in {q.slug for q in all_queues()}
        retired = db.session.query(Queue).filter_by(slug="allocation").one()
        assert retired.retired and len(db.session.query(Offer).filter_by(queue=retired).all()) == 1
    assert (
        client.post(
            "/api/v1/offers", json=offer_body(recipient="any", items=[offer_body()["items"][1]])
        ).get_json()["queue"]
        == "npu-desk"
    )

    assert runner.invoke(args=["rules", "publish", "rules"]).exit_code == 0
    with app.app_context():
        assert "allocation" in {q.slug for q in all_queues()}
