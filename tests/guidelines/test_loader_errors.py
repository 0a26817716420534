"""Load-time checks: each kind of mistake is reported as file:line:col with a useful message."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from donations_app.guidelines import RuleSetError, load_rules

GOOD_RULE = """\
topic: Test
rules:
  - id: TEST-RULE
    title: A test rule
    applies_to: [body_armor]
    when: {when}
    outcome: reject
    message: "{message}"
    fix: Do something else.
    reference: Test reference
    tags: []
    examples:
      - item: {{category: body_armor, damaged: true}}
        outcome: reject
"""


def write(rules_dir: Path, text: str, name: str = "zz_test.yaml") -> str:
    (rules_dir / name).write_text(textwrap.dedent(text))
    return str(rules_dir / name)


def errors_of(rules_dir: Path) -> list[str]:
    with pytest.raises(RuleSetError) as caught:
        load_rules(rules_dir)
    return caught.value.errors


def only_error(rules_dir: Path) -> str:
    errors = errors_of(rules_dir)
    assert len(errors) == 1, errors
    return errors[0]


def rule(when: str = "damaged is true", message: str = "Broken.") -> str:
    return GOOD_RULE.format(when=when, message=message)


def test_the_good_rule_template_loads(rules_copy):
    write(rules_copy, rule())
    assert load_rules(rules_copy).rule("TEST-RULE").when == "damaged is true"


def test_yaml_syntax_error(rules_copy):
    path = write(rules_copy, "topic: Test\nrules:\n  - id: [unclosed\n")
    error = only_error(rules_copy)
    assert error.startswith(f"{path}:4:")
    assert "YAML syntax" in error


def test_misspelt_field_in_condition(rules_copy):
    path = write(rules_copy, rule(when="damaged is true and expires_onn < as_of"))
    assert only_error(rules_copy) == (
        f'{path}:6:31: unknown name "expires_onn" (did you mean "expires_on"?)'
    )


def test_misspelt_field_in_message(rules_copy):
    path = write(rules_copy, rule(message="Ends {expires_onn}."))
    error = only_error(rules_copy)
    assert error.startswith(f"{path}:8:")
    assert 'did you mean "expires_on"?' in error


def test_placeholder_with_attribute_access_is_refused(rules_copy):
    write(rules_copy, rule(message="{expires_on.__class__}"))
    assert "must name a field" in only_error(rules_copy)


def test_unknown_key_with_suggestion(rules_copy):
    path = write(rules_copy, rule().replace("    fix:", "    fixx: x\n    fix:"))
    error = only_error(rules_copy)
    assert error.startswith(f"{path}:9:5:")
    assert 'unknown key "fixx" (did you mean "fix"?)' in error


def test_unknown_function_with_suggestion(rules_copy):
    path = write(rules_copy, rule(when="expires_on < as_of + dayz(180)"))
    error = only_error(rules_copy)
    assert error.startswith(f"{path}:6:")
    assert 'unknown function "dayz" (did you mean "days"?)' in error


def test_unknown_named_set(rules_copy):
    write(rules_copy, rule(when="protection_level in cotccc_tourniquet"))
    assert 'did you mean "cotccc_tourniquets"?' in only_error(rules_copy)


def test_comparing_a_date_with_a_number(rules_copy):
    path = write(rules_copy, rule(when="expires_on < 180"))
    assert only_error(rules_copy) == f"{path}:6:11: cannot compare a date value with a number value"


def test_adding_a_number_to_a_date_suggests_days(rules_copy):
    write(rules_copy, rule(when="expires_on < as_of + 180"))
    assert "days(n)" in only_error(rules_copy)


def test_misspelt_choice(rules_copy):
    write(rules_copy, rule(when='protection_level == "IIIa"'))
    assert 'did you mean "IIIA"?' in only_error(rules_copy)


def test_unknown_category_in_applies_to(rules_copy):
    path = write(rules_copy, rule().replace("[body_armor]", "[body_armor, helmets]"))
    error = only_error(rules_copy)
    assert error.startswith(f"{path}:5:")
    assert 'unknown category "helmets" (did you mean "helmet"?)' in error


def test_category_field_not_asked_for_a_category(rules_copy):
    write(rules_copy, rule(when='voltage == "120"'))
    assert '"voltage" is not asked for body_armor' in only_error(rules_copy)


def test_duplicate_rule_id(rules_copy):
    path = write(rules_copy, rule().replace("TEST-RULE", "ARMS"))
    error = only_error(rules_copy)
    assert error.startswith(f"{path}:3:")
    assert 'rule id "ARMS" is already used at' in error
    assert "arms.yaml:" in error


def test_duplicate_yaml_key(rules_copy):
    path = write(rules_copy, rule().replace("    fix:", "    outcome: info\n    fix:"))
    assert only_error(rules_copy).startswith(f'{path}:9:5: "outcome" is given twice')


@pytest.mark.parametrize(
    "when",
    [
        "expires_on.year > 2000",
        "__import__('os')",
        "damaged[0]",
        "[x for x in needs]",
        "lambda: 1",
        "10 ** 3 > 1",
    ],
)
def test_disallowed_construct(rules_copy, when):
    quoted = "'" + when.replace("'", "''") + "'"
    path = write(rules_copy, rule(when=quoted))
    error = only_error(rules_copy)
    assert error.startswith(f"{path}:6:")
    assert "allowed" in error


def test_example_whose_outcome_differs(rules_copy):
    path = write(rules_copy, rule().replace("        outcome: reject", "        outcome: accept"))
    error = only_error(rules_copy)
    assert error.startswith(f"{path}:14:18:")
    assert "example 1 of TEST-RULE: expected accept, got reject" in error


def test_example_with_a_misspelt_item_field(rules_copy):
    write(rules_copy, rule().replace("damaged: true}", "damagd: true}"))
    assert 'did you mean "damaged"?' in only_error(rules_copy)


def test_example_with_a_date_needs_as_of(rules_copy):
    write(rules_copy, rule().replace("damaged: true}", "damaged: true, expires_on: 2030-01-01}"))
    assert "needs as_of" in only_error(rules_copy)


def test_wrong_outcome_value(rules_copy):
    write(
        rules_copy, rule().replace("outcome: reject\n    message", "outcome: rejected\n    message")
    )
    assert "outcome: Must be one of" in only_error(rules_copy)


def test_missing_required_key(rules_copy):
    write(rules_copy, rule().replace("    reference: Test reference\n", ""))
    assert '"reference" is required' in only_error(rules_copy)


def test_stray_yml_file_is_refused(rules_copy):
    (rules_copy / "extra.yml").write_text("topic: x\n")
    assert "must end in .yaml" in only_error(rules_copy)


def test_misspelt_field_in_catalog_category(rules_copy):
    catalog = rules_copy / "catalog.yaml"
    catalog.write_text(
        catalog.read_text().replace(
            "fields: [protection_level, expires_on, damaged]\n  - id: helmet",
            "fields: [protection_levl, expires_on, damaged]\n  - id: helmet",
            1,
        )
    )
    errors = errors_of(rules_copy)
    assert any("catalog.yaml:" in e and 'did you mean "protection_level"?' in e for e in errors)


def test_routing_errors_are_reported(rules_copy):
    routing = rules_copy / "routing.yaml"
    routing.write_text(
        routing.read_text().replace('"export_control" in tags', '"export_controll" in tags')
    )
    error = only_error(rules_copy)
    assert "routing.yaml:" in error
    assert 'did you mean "export_control"?' in error


def test_all_errors_are_reported_together(rules_copy):
    write(rules_copy, rule(when="expires_onn < as_of", message="{damagd}"))
    assert len(errors_of(rules_copy)) == 2


def test_version_is_stable_for_identical_files(rules_copy, tmp_path):
    from .conftest import RULES_DIR

    assert load_rules(rules_copy).version == load_rules(RULES_DIR).version
    needs = rules_copy / "needs.yaml"
    needs.write_text(needs.read_text() + "\n# a comment is a change too\n")
    assert load_rules(rules_copy).version != load_rules(RULES_DIR).version


def test_effective_dates(rules_copy):
    text = rule().replace("    tags: []", "    effective_from: 2027-01-01\n    tags: []")
    text = text.replace(
        "        outcome: reject", "        as_of: 2027-01-01\n        outcome: reject"
    )
    write(rules_copy, text)
    ruleset = load_rules(rules_copy)
    line = {"category": "body_armor", "damaged": True}
    import datetime as dt

    def fires(day):
        found = ruleset.evaluate({"recipient": "any", "items": [line]}, day).items[0].findings
        return "TEST-RULE" in {f.rule for f in found}

    assert not fires(dt.date(2026, 12, 31))
    assert fires(dt.date(2027, 1, 1))


@pytest.mark.parametrize(
    "when",
    ["damaged == (damaged and false)", "(damaged or armored) == true", "damaged == (not armored)"],
)
def test_a_condition_compared_with_a_condition_is_refused_not_crashed(rules_copy, when):
    # Found by the AST fuzzer: the checker let it through and compiling it raised AssertionError.
    path = write(rules_copy, rule(when="'" + when + "'"))
    error = only_error(rules_copy)
    assert error.startswith(f"{path}:6:")
    assert "join conditions with and/or" in error
