"""`flask rules impact`: stored offers re-evaluated under a candidate rule set, counted exactly
against a small case worked out by hand."""

from __future__ import annotations

import json

import pytest

from tests.api.bodies import item_body, offer_body
from tests.rules_impact.conftest import NEW_RULE, RULES, helmet


@pytest.fixture
def stored(client) -> dict[str, str]:
    """Three offers: A (100 helmets), B (10 helmets), C (60 helmets and first-aid kits)."""
    references = {}
    for name, items in (
        ("A", [helmet(100)]),
        ("B", [helmet(10)]),
        ("C", [helmet(60), item_body()]),
    ):
        response = client.post("/api/v1/offers", json=offer_body(items=items))
        assert response.status_code == 201, response.text
        references[name] = response.get_json()["reference"]
    return references


def test_impact_counts_match_the_hand_computed_case(runner, stored, candidate):
    result = runner.invoke(args=["rules", "impact", str(candidate), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    # By hand: A's only item goes review -> reject, so A is rejected and leaves its queue; B's
    # 10 helmets are under the limit; C's helmets go review -> reject and the first-aid kits
    # alone are accepted, so C moves from the export-control queue to the SBGS desk.
    assert report["summary"] == {
        "offers": 3,
        "items": 4,
        "offers_changed": 2,
        "items_changed": 2,
        "outcome_changed": 2,
        "queue_changed": 2,
        "problems": 0,
        "rules": {"HELMET-QUANTITY": {"offers": 2, "items": 2}},
    }
    changes = {change["reference"]: change for change in report["changes"]}
    assert set(changes) == {stored["A"], stored["C"]}
    assert changes[stored["A"]]["outcome"] == {"before": "review", "after": "rejected"}
    assert changes[stored["A"]]["queue"] == {"before": "export-control", "after": None}
    assert changes[stored["C"]]["outcome"] == {"before": "review", "after": "accepted"}
    assert changes[stored["C"]]["queue"] == {"before": "export-control", "after": "sbgs-desk"}
    (item,) = changes[stored["C"]]["items"]
    assert item["index"] == 0
    assert item["rules"]["after"] == [*item["rules"]["before"], "HELMET-QUANTITY"]


def test_impact_as_text_and_csv(runner, stored, candidate):
    text = runner.invoke(args=["rules", "impact", str(candidate)])
    assert text.exit_code == 0, text.output
    assert (
        f"{stored['A']} (queued): review -> rejected, queue export-control -> none" in text.output
    )
    assert "now fires HELMET-QUANTITY" in text.output
    assert "2 of 3 offers would change (2 outcome, 2 queue); 2 of 4 items." in text.output
    csv_out = runner.invoke(args=["rules", "impact", str(candidate), "--format", "csv"])
    rows = csv_out.output.strip().splitlines()
    assert rows[0].startswith("reference,status,item,category,before,after")
    assert len(rows) == 3


def test_impact_filters_by_status_and_date(runner, stored, candidate):
    decided = runner.invoke(args=["rules", "impact", str(candidate), "--status", "decided"])
    assert "0 of 0 offers would change" in decided.output
    later = runner.invoke(args=["rules", "impact", str(candidate), "--since", "2100-01-01"])
    assert "0 of 0 offers would change" in later.output


def test_the_same_rules_change_nothing(runner, stored):
    result = runner.invoke(args=["rules", "impact", str(RULES)])
    assert result.exit_code == 0
    assert "0 of 3 offers would change" in result.output


def test_a_broken_candidate_is_refused_with_its_errors(runner, candidate):
    (candidate / "helmet_quantity.yaml").write_text(
        NEW_RULE.replace("quantity > 50", "quantty > 50")
    )
    result = runner.invoke(args=["rules", "impact", str(candidate)])
    assert result.exit_code == 1
    assert "helmet_quantity.yaml:" in result.output and 'did you mean "quantity"' in result.output
    assert "Traceback" not in result.output
