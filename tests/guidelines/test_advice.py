"""What the donor reads about an item: one finding decides it, and only advice that agrees."""

from __future__ import annotations

import datetime as dt

from donations_app.guidelines.advice import (
    AFTER_SUBMISSION,
    DECIDED,
    MEETS_EVERY_GUIDELINE,
    all_refused,
    item_advice,
    refused_categories,
)

AS_OF = dt.date(2026, 6, 1)
RIFLE_PLATES_EXPIRED = {
    "category": "body_armor",
    "description": "Rifle plates",
    "quantity": 50,
    "condition": "good",
    "acquired_via": "own_funds",
    "protection_level": "IV",
    "expires_on": dt.date(2026, 7, 1),
}


def offer(*items):
    return {"recipient": "sbgs", "items": list(items)}


def findings_of(ruleset, item):
    result = ruleset.evaluate(offer(item), AS_OF).items[0]
    return result.outcome, [f.as_dict() for f in result.findings]


def test_a_refused_item_never_shows_the_review_advice_that_also_fired(ruleset):
    outcome, findings = findings_of(ruleset, RIFLE_PLATES_EXPIRED)
    assert outcome == "reject"
    assert {f["outcome"] for f in findings} == {"reject", "review"}  # export control fired too
    for submitted in (False, True):
        advice = item_advice(outcome, findings, submitted=submitted)
        assert advice.tag == "reject"
        assert [s.rule for s in advice.findings] == ["ARMOR-WARRANTY"]
        assert advice.deciding == advice.findings[0]
        text = " ".join(f"{s.message} {s.fix}" for s in advice.findings) + advice.next_step
        assert "specialist" not in text.replace(AFTER_SUBMISSION["reject"], "")
        assert "No action needed" not in text


def test_before_submission_every_fix_is_shown_and_after_it_none_the_donor_cannot_do(ruleset):
    outcome, findings = findings_of(ruleset, RIFLE_PLATES_EXPIRED)
    draft = item_advice(outcome, findings, submitted=False)
    assert draft.findings[0].fix.startswith("Offer armor")
    assert draft.next_step == ""
    submitted = item_advice(outcome, findings, submitted=True, can_correct=True)
    assert submitted.findings[0].fix == ""
    assert submitted.findings[0].message == draft.findings[0].message
    assert submitted.next_step == AFTER_SUBMISSION["reject"]


def test_after_submission_no_page_tells_the_donor_to_remove_an_item(ruleset):
    firearm = {**RIFLE_PLATES_EXPIRED, "category": "firearm", "description": "Pistols"}
    worn_radios = {
        "category": "radio",
        "description": "Radios",
        "quantity": 5,
        "condition": "unserviceable",
        "acquired_via": "own_funds",
    }
    for item in (firearm, worn_radios):
        outcome, findings = findings_of(ruleset, item)
        assert any("Remove" in f["fix"] for f in findings)
        advice = item_advice(outcome, findings, submitted=True, can_correct=True)
        shown = " ".join(s.fix for s in advice.findings) + advice.next_step
        assert "remove" not in shown.lower()


def test_information_items_keep_their_fix_only_where_the_donor_can_correct_them(ruleset):
    vest = {k: v for k, v in RIFLE_PLATES_EXPIRED.items() if k != "protection_level"}
    vest["expires_on"] = dt.date(2030, 1, 1)
    outcome, findings = findings_of(ruleset, vest)
    assert outcome == "info"
    here = item_advice(outcome, findings, submitted=True, can_correct=True)
    assert here.findings[0].fix.startswith("Add the NIJ protection level")
    assert here.next_step == ""
    elsewhere = item_advice(outcome, findings, submitted=True, can_correct=False)
    assert elsewhere.findings[0].fix == ""
    assert elsewhere.next_step == AFTER_SUBMISSION["info"]


def test_a_decision_decides_the_tag_so_a_declined_item_is_not_green():
    advice = item_advice("accept", [], submitted=True, decision="declined")
    assert (advice.tag, advice.findings, advice.next_step) == ("declined", (), DECIDED["declined"])
    assert item_advice("review", [], submitted=True, decision="approved").tag == "approved"


def test_an_item_without_findings_meets_every_guideline():
    assert item_advice("accept", [], submitted=False).next_step == MEETS_EVERY_GUIDELINE
    assert item_advice("accept", [], submitted=True).next_step == AFTER_SUBMISSION["accept"]
    assert item_advice("accept", [], submitted=True).deciding is None


def test_the_first_finding_of_the_item_outcome_decides_and_titles_are_used():
    findings = [
        {"rule": "B", "outcome": "review", "message": "b", "fix": "", "reference": ""},
        {"rule": "A", "outcome": "info", "message": "a", "fix": "do a", "reference": "r"},
        {"rule": "C", "outcome": "info", "message": "c", "fix": "do c", "reference": ""},
    ]
    advice = item_advice("info", findings, submitted=False, titles={"A": "Title of A"})
    assert advice.deciding is not None and advice.deciding.rule == "A"
    assert advice.deciding.title == "Title of A"
    assert [s.rule for s in advice.findings] == ["A", "C"]


def test_every_refused_is_only_every_item_refused():
    assert all_refused(["reject", "reject"])
    assert not all_refused(["reject", "review"])
    assert not all_refused([])


def test_refused_categories_are_those_a_rule_refuses_whatever_the_answers(ruleset):
    refused = refused_categories(ruleset.rules, AS_OF)
    assert refused == {"firearm", "ammunition", "weapon_optic"}
    for category in refused:
        item = {**RIFLE_PLATES_EXPIRED, "category": category, "expires_on": dt.date(2031, 1, 1)}
        assert ruleset.evaluate(offer(item), AS_OF).items[0].outcome == "reject"
