"""Every default rule of docs/guidelines.md, with both sides of each date and value boundary."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from .builders import AS_OF, fired, item, outcome

LATER = AS_OF + dt.timedelta(days=800)
ARMOR = {"protection_level": "IIIA", "expires_on": LATER, "damaged": False}


@pytest.mark.parametrize("category", ["firearm", "ammunition", "weapon_optic"])
def test_arms_are_always_rejected_and_skip_the_need_list(ruleset, category):
    assert fired(ruleset, item(category)) == {"ARMS"}
    assert outcome(ruleset, item(category)) == "reject"


@pytest.mark.parametrize(
    ("condition", "rejected"),
    [
        ("new", False),
        ("like_new", False),
        ("good", False),
        ("fair", False),
        ("poor", True),
        ("unserviceable", True),
    ],
)
def test_condition(ruleset, condition, rejected):
    line = item("medical", condition=condition, expires_on=LATER)
    assert ("CONDITION" in fired(ruleset, line)) is rejected


def test_condition_message_uses_the_label(ruleset):
    evaluation = ruleset.evaluate(
        {"recipient": "npu", "items": [item("baton", condition="poor")]}, AS_OF
    )
    finding = evaluation.items[0].findings[0]
    assert finding.rule == "CONDITION"
    assert '"Poor"' in finding.message


@pytest.mark.parametrize("category", ["body_armor", "helmet"])
def test_armor_missing_level_and_expiry_ask_for_info(ruleset, category):
    assert {"ARMOR-LEVEL-MISSING", "ARMOR-EXPIRY-MISSING"} <= fired(ruleset, item(category))
    assert outcome(ruleset, item(category)) == "info"
    complete = item(category, **ARMOR)
    assert not {"ARMOR-LEVEL-MISSING", "ARMOR-EXPIRY-MISSING"} & fired(ruleset, complete)


@pytest.mark.parametrize(("days_left", "rejected"), [(179, True), (180, False), (181, False)])
@pytest.mark.parametrize("category", ["body_armor", "helmet"])
def test_armor_warranty_boundary(ruleset, category, days_left, rejected):
    line = item(category, **{**ARMOR, "expires_on": AS_OF + dt.timedelta(days=days_left)})
    assert ("ARMOR-WARRANTY" in fired(ruleset, line)) is rejected


def test_armor_warranty_message_names_the_date(ruleset):
    line = item("body_armor", **{**ARMOR, "expires_on": dt.date(2026, 7, 1)})
    evaluation = ruleset.evaluate({"recipient": "any", "items": [line]}, AS_OF)
    finding = next(f for f in evaluation.items[0].findings if f.rule == "ARMOR-WARRANTY")
    assert "2026-07-01" in finding.message
    assert finding.values == {"expires_on": "2026-07-01", "as_of": "2026-06-01"}


@pytest.mark.parametrize(("damaged", "rejected"), [(True, True), (False, False), (None, False)])
def test_armor_damaged(ruleset, damaged, rejected):
    line = item("helmet", **{**ARMOR, "damaged": damaged})
    assert ("ARMOR-DAMAGED" in fired(ruleset, line)) is rejected


@pytest.mark.parametrize(
    ("category", "level", "expected"),
    [
        ("body_armor", "IV", "EXPORT-ARMOR-ITAR"),
        ("body_armor", "RF3", "EXPORT-ARMOR-ITAR"),
        ("body_armor", "IIIA", "EXPORT-ARMOR-EAR"),
        ("body_armor", "III", "EXPORT-ARMOR-EAR"),
        ("body_armor", "RF2", "EXPORT-ARMOR-EAR"),
        ("helmet", "IV", "EXPORT-ARMOR-EAR"),
        ("helmet", "RF3", "EXPORT-ARMOR-EAR"),
        ("helmet", "IIIA", "EXPORT-ARMOR-EAR"),
    ],
)
def test_armor_export_itar_versus_ear(ruleset, category, level, expected):
    found = fired(ruleset, item(category, **{**ARMOR, "protection_level": level}))
    assert found & {"EXPORT-ARMOR-ITAR", "EXPORT-ARMOR-EAR"} == {expected}


def test_armor_without_level_gets_no_export_finding(ruleset):
    found = fired(ruleset, item("body_armor", expires_on=LATER))
    assert not found & {"EXPORT-ARMOR-ITAR", "EXPORT-ARMOR-EAR"}


@pytest.mark.parametrize(
    "category", ["riot_gear", "restraints", "baton", "chemical_spray", "stun_device"]
)
def test_crime_control_items_go_to_export_review(ruleset, category):
    assert "EXPORT-CRIME-CONTROL" in fired(ruleset, item(category, expires_on=LATER))


def test_night_vision_drone_and_other_always_need_export_review(ruleset):
    assert "EXPORT-NIGHT-VISION" in fired(ruleset, item("night_vision"))
    assert "EXPORT-DRONE" in fired(ruleset, item("drone"))
    assert "UNCLASSIFIED" in fired(ruleset, item("other"))


@pytest.mark.parametrize("category", ["radio", "computer", "phone"])
@pytest.mark.parametrize(("encrypted", "review"), [(True, True), (False, False), (None, False)])
def test_encryption(ruleset, category, encrypted, review):
    line = item(category, encrypted=encrypted, storage_sanitized=True)
    assert ("EXPORT-ENCRYPTION" in fired(ruleset, line)) is review


@pytest.mark.parametrize(("armored", "review"), [(True, True), (False, False), (None, False)])
def test_armored_vehicle(ruleset, armored, review):
    line = item("vehicle", armored=armored, insignia_removed=True)
    assert ("EXPORT-ARMORED-VEHICLE" in fired(ruleset, line)) is review


@pytest.mark.parametrize("category", ["radio", "computer", "phone", "camera"])
@pytest.mark.parametrize(("sanitized", "info"), [(True, False), (False, True), (None, True)])
def test_data_sanitize_asks_unless_confirmed(ruleset, category, sanitized, info):
    line = item(category, storage_sanitized=sanitized)
    assert ("DATA-SANITIZE" in fired(ruleset, line)) is info


@pytest.mark.parametrize("category", ["uniform", "vehicle", "riot_gear"])
@pytest.mark.parametrize(("removed", "info"), [(True, False), (False, True), (None, True)])
def test_markings(ruleset, category, removed, info):
    assert ("MARKINGS" in fired(ruleset, item(category, insignia_removed=removed))) is info


@pytest.mark.parametrize(
    "category",
    ["stun_device", "night_vision", "radio", "drone", "computer", "phone", "camera", "electrical"],
)
@pytest.mark.parametrize(
    ("voltage", "rejected"),
    [
        ("120", True),
        ("230", False),
        ("100-240", False),
        ("battery", False),
        (None, False),
    ],
)
def test_voltage_120_for_categories_with_a_voltage_field(ruleset, category, voltage, rejected):
    assert ("VOLTAGE-120" in fired(ruleset, item(category, voltage=voltage))) is rejected


@pytest.mark.parametrize("category", ["body_armor", "baton", "vehicle", "medical", "uniform"])
def test_voltage_is_ignored_for_categories_without_the_field(ruleset, category):
    assert "VOLTAGE-120" not in fired(ruleset, item(category, voltage="120"))


@pytest.mark.parametrize("category", ["baton", "medical", "firearm", "other"])
def test_dod_1033_property_is_rejected_in_every_category(ruleset, category):
    assert "PROV-1033" in fired(ruleset, item(category, acquired_via="dod_1033"))


@pytest.mark.parametrize(
    ("value", "info"),
    [
        (None, True),
        (Decimal("10000.01"), True),
        (Decimal("10000"), False),
        (Decimal("0"), False),
        (Decimal("25000"), True),
    ],
)
def test_federal_grant_threshold(ruleset, value, info):
    line = item("electrical", acquired_via="federal_grant", voltage="230", unit_value_usd=value)
    assert ("PROV-GRANT" in fired(ruleset, line)) is info


def test_grant_rule_ignores_other_funding(ruleset):
    line = item("electrical", voltage="230", unit_value_usd=Decimal("99999"))
    assert "PROV-GRANT" not in fired(ruleset, line)


def test_grant_rule_records_the_missing_value(ruleset):
    line = item("electrical", acquired_via="federal_grant", voltage="230")
    evaluation = ruleset.evaluate({"recipient": "sbgs", "items": [line]}, AS_OF)
    finding = evaluation.items[0].findings[0]
    assert finding.values == {"acquired_via": "federal_grant", "unit_value_usd": None}


def test_bvp_goes_to_legal_review(ruleset):
    evaluation = ruleset.evaluate(
        {"recipient": "npu", "items": [item("body_armor", acquired_via="bvp", **ARMOR)]}, AS_OF
    )
    finding = next(f for f in evaluation.items[0].findings if f.rule == "PROV-BVP")
    assert finding.outcome == "review"
    assert finding.tags == ["legal"]


@pytest.mark.parametrize(
    ("model", "rejected"),
    [
        (None, True),
        ("Generic tactical", True),
        ("c-a-t gen 7", True),
        ("C-A-T Gen 7", False),
        ("SOF Tourniquet Wide", False),
        ("SAM XT", False),
        ("TX2", False),
        ("TX3", False),
        ("RMT Tactical", False),
    ],
)
def test_tourniquet_model(ruleset, model, rejected):
    line = item("tourniquet", model=model)
    assert ("TOURNIQUET-MODEL" in fired(ruleset, line)) is rejected
    if model is None:
        line.pop("model")
        assert "TOURNIQUET-MODEL" in fired(ruleset, line)


@pytest.mark.parametrize("category", ["medical", "chemical_spray"])
def test_shelf_life_missing(ruleset, category):
    assert "SHELF-LIFE-MISSING" in fired(ruleset, item(category))
    assert "SHELF-LIFE-MISSING" not in fired(ruleset, item(category, expires_on=LATER))


@pytest.mark.parametrize("category", ["medical", "chemical_spray"])
@pytest.mark.parametrize(("days_left", "rejected"), [(364, True), (365, False), (366, False)])
def test_shelf_life_boundary(ruleset, category, days_left, rejected):
    line = item(category, expires_on=AS_OF + dt.timedelta(days=days_left))
    assert ("SHELF-LIFE" in fired(ruleset, line)) is rejected


@pytest.mark.parametrize("category", ["forensic_kit", "body_armor"])
def test_shelf_life_rules_do_not_apply_to_other_dated_items(ruleset, category):
    found = fired(ruleset, item(category, expires_on=AS_OF))
    assert not found & {"SHELF-LIFE", "SHELF-LIFE-MISSING"}


SBGS = {
    "body_armor",
    "helmet",
    "night_vision",
    "drone",
    "vehicle",
    "radio",
    "electrical",
    "medical",
    "tourniquet",
}
NPU = {
    "body_armor",
    "helmet",
    "medical",
    "tourniquet",
    "vehicle",
    "computer",
    "phone",
    "camera",
    "forensic_kit",
    "radio",
    "electrical",
}
ALL = [
    "body_armor",
    "helmet",
    "riot_gear",
    "restraints",
    "baton",
    "chemical_spray",
    "stun_device",
    "night_vision",
    "radio",
    "drone",
    "vehicle",
    "computer",
    "phone",
    "camera",
    "electrical",
    "uniform",
    "tourniquet",
    "medical",
    "forensic_kit",
    "other",
]


@pytest.mark.parametrize("category", ALL)
@pytest.mark.parametrize(
    ("recipient", "needed"), [("sbgs", SBGS), ("npu", NPU), ("any", SBGS | NPU)]
)
def test_need_list_per_recipient(ruleset, category, recipient, needed):
    found = fired(ruleset, item(category), recipient=recipient)
    assert ("NEED-LIST" in found) is (category not in needed)


def test_need_list_finding_is_tagged(ruleset):
    evaluation = ruleset.evaluate({"recipient": "sbgs", "items": [item("baton")]}, AS_OF)
    tags = {tag for f in evaluation.items[0].findings for tag in f.tags}
    assert "needs_confirmation" in tags


def test_missing_recipient_does_not_fire_the_need_list(ruleset):
    evaluation = ruleset.evaluate({"items": [item("baton")]}, AS_OF)
    assert "NEED-LIST" not in {f.rule for f in evaluation.items[0].findings}


def test_missing_fields_do_not_fire_comparisons(ruleset):
    bare = {"category": "electrical"}
    assert fired(ruleset, bare, recipient="sbgs") == set()
    assert outcome(ruleset, bare, recipient="sbgs") == "accept"


def test_category_fields_not_listed_for_the_category_are_ignored(ruleset):
    line = item("baton", damaged=True, storage_sanitized=False, armored=True)
    assert fired(ruleset, line, recipient="any") == {"EXPORT-CRIME-CONTROL", "NEED-LIST"}


def test_item_with_no_finding_is_accepted(ruleset):
    line = item("medical", expires_on=LATER)
    evaluation = ruleset.evaluate({"recipient": "npu", "items": [line]}, AS_OF)
    assert evaluation.items[0].outcome == "accept"
    assert evaluation.items[0].findings == []


def test_item_outcome_is_the_most_severe_finding(ruleset):
    line = item("body_armor", **{**ARMOR, "protection_level": "IV"}, acquired_via="federal_grant")
    assert fired(ruleset, line) == {"EXPORT-ARMOR-ITAR", "PROV-GRANT"}
    assert outcome(ruleset, line) == "info"
    line["damaged"] = True
    assert outcome(ruleset, line) == "reject"


def test_unknown_category_is_an_error_not_an_acceptance(ruleset):
    with pytest.raises(ValueError, match="unknown category"):
        ruleset.evaluate({"recipient": "npu", "items": [{"category": "spaceship"}]}, AS_OF)


def test_every_spec_rule_is_shipped_with_title_reference_and_examples(ruleset):
    spec_ids = {
        "ARMS",
        "CONDITION",
        "ARMOR-LEVEL-MISSING",
        "ARMOR-EXPIRY-MISSING",
        "ARMOR-WARRANTY",
        "ARMOR-DAMAGED",
        "EXPORT-ARMOR-ITAR",
        "EXPORT-ARMOR-EAR",
        "EXPORT-CRIME-CONTROL",
        "EXPORT-NIGHT-VISION",
        "EXPORT-ENCRYPTION",
        "EXPORT-DRONE",
        "EXPORT-ARMORED-VEHICLE",
        "DATA-SANITIZE",
        "MARKINGS",
        "VOLTAGE-120",
        "PROV-1033",
        "PROV-GRANT",
        "PROV-BVP",
        "TOURNIQUET-MODEL",
        "SHELF-LIFE-MISSING",
        "SHELF-LIFE",
        "NEED-LIST",
        "UNCLASSIFIED",
    }
    assert {rule.id for rule in ruleset.rules} == spec_ids
    for rule in ruleset.rules:
        assert rule.title and rule.message and rule.fix and rule.reference and rule.examples
