"""Offer outcome aggregation and queue routing (docs/guidelines.md); the check answer's shape."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from .builders import AS_OF, item

LATER = AS_OF + dt.timedelta(days=800)
REJECTED = item("firearm")
INFO = item("medical")  # no expiry date
REVIEW_EXPORT = item("baton")
REVIEW_LEGAL = item("medical", acquired_via="bvp", expires_on=LATER)
ACCEPTED = item("medical", expires_on=LATER)


def evaluate(ruleset, *items, recipient="npu"):
    return ruleset.evaluate({"recipient": recipient, "items": list(items)}, AS_OF)


def test_all_items_rejected_means_rejected_without_queue(ruleset):
    evaluation = evaluate(ruleset, REJECTED, item("ammunition"))
    assert (evaluation.outcome, evaluation.queue) == ("rejected", None)


def test_info_among_non_rejected_means_needs_info_without_queue(ruleset):
    evaluation = evaluate(ruleset, REJECTED, INFO, REVIEW_EXPORT)
    assert (evaluation.outcome, evaluation.queue) == ("needs_info", None)


def test_review_when_any_item_needs_review(ruleset):
    evaluation = evaluate(ruleset, REJECTED, ACCEPTED, REVIEW_EXPORT)
    assert evaluation.outcome == "review"


def test_accepted_when_nothing_fires(ruleset):
    evaluation = evaluate(ruleset, ACCEPTED, item("tourniquet", model="TX3"))
    assert (evaluation.outcome, evaluation.queue) == ("accepted", "npu-desk")


def test_accepted_despite_a_rejected_item(ruleset):
    assert evaluate(ruleset, REJECTED, ACCEPTED).outcome == "accepted"


def test_export_control_wins_over_legal_and_logistics(ruleset):
    vehicle = item("vehicle", insignia_removed=True)
    assert evaluate(ruleset, REVIEW_LEGAL, vehicle, REVIEW_EXPORT).queue == "export-control"


def test_legal_wins_over_logistics(ruleset):
    vehicle = item("vehicle", insignia_removed=True)
    assert evaluate(ruleset, vehicle, REVIEW_LEGAL).queue == "legal"


def test_vehicle_goes_to_logistics(ruleset):
    vehicle = item("vehicle", insignia_removed=True)
    assert evaluate(ruleset, vehicle, recipient="sbgs").queue == "logistics"


@pytest.mark.parametrize(
    ("quantity", "value", "queue"),
    [
        (10, Decimal("24999.99"), "npu-desk"),
        (10, Decimal("25000"), "logistics"),
        (1, Decimal("250000"), "logistics"),
        (1, None, "npu-desk"),
    ],
)
def test_total_value_boundary(ruleset, quantity, value, queue):
    line = item("medical", expires_on=LATER, quantity=quantity, unit_value_usd=value)
    assert evaluate(ruleset, line).queue == queue


def test_total_value_sums_items(ruleset):
    line = item("medical", expires_on=LATER, quantity=1, unit_value_usd=Decimal("125000"))
    assert evaluate(ruleset, line).queue == "npu-desk"
    assert evaluate(ruleset, line, dict(line)).queue == "logistics"


@pytest.mark.parametrize(
    ("recipient", "queue"),
    [
        ("sbgs", "sbgs-desk"),
        ("npu", "npu-desk"),
        ("any", "allocation"),
    ],
)
def test_recipient_desks(ruleset, recipient, queue):
    assert evaluate(ruleset, ACCEPTED, recipient=recipient).queue == queue


def test_rejected_items_are_ignored_by_routing(ruleset):
    rejected_export = item("baton", condition="poor")
    rejected_vehicle = item("vehicle", acquired_via="dod_1033", insignia_removed=True)
    rejected_pricey = item("firearm", unit_value_usd=Decimal("900000"), quantity=1)
    evaluation = evaluate(ruleset, rejected_export, rejected_vehicle, rejected_pricey, ACCEPTED)
    assert [i.outcome for i in evaluation.items] == ["reject", "reject", "reject", "accept"]
    assert (evaluation.outcome, evaluation.queue) == ("accepted", "npu-desk")


def test_review_offer_is_routed_by_needs_confirmation_only_to_desk(ruleset):
    evaluation = evaluate(ruleset, item("uniform", insignia_removed=True), recipient="sbgs")
    assert (evaluation.outcome, evaluation.queue) == ("review", "sbgs-desk")


def test_as_dict_is_exactly_the_spec_shape(ruleset):
    evaluation = evaluate(ruleset, REVIEW_EXPORT, ACCEPTED)
    data = evaluation.as_dict()
    assert set(data) == {"outcome", "queue", "items"}
    assert data["items"][1] == {
        "index": 1,
        "category": "medical",
        "outcome": "accept",
        "findings": [],
    }
    finding = data["items"][0]["findings"][0]
    assert set(finding) == {"rule", "outcome", "message", "fix", "reference", "tags"}
    assert finding["tags"] == ["export_control"]
    with_values = evaluation.as_dict(values=True)["items"][0]["findings"][0]
    assert "values" in with_values
    assert evaluation.ruleset_version == ruleset.version


def test_queues_are_the_spec_slugs(ruleset):
    assert ruleset.queues == (
        "export-control",
        "legal",
        "logistics",
        "sbgs-desk",
        "npu-desk",
        "allocation",
    )
