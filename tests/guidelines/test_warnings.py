"""Warnings about rules that load but cannot be what the maintainer meant."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from donations_app.guidelines import load_rules
from donations_app.guidelines.warnings import CODES, find_warnings

from .conftest import RULES_DIR

RULE = """\
  - id: {id}
    title: A test rule
    applies_to: [body_armor]
    when: {when}
    outcome: {outcome}
    message: Test message.
    fix: Do something else.
    reference: Test reference
    tags: {tags}
    examples:
      - item: {{category: body_armor, damaged: true}}
        outcome: reject
"""


def write_rules(rules_dir: Path, *rules: dict[str, str]) -> Path:
    text = "topic: Test\nrules:\n" + "".join(
        RULE.format(**{"outcome": "reject", "tags": "[]", **rule}) for rule in rules
    )
    path = rules_dir / "zz_test.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_the_shipped_rules_only_warn_about_a_label_tag(ruleset):
    warnings = find_warnings(ruleset, RULES_DIR)
    assert [(w.code, str(w.where)) for w in warnings] == [
        ("unused-tag", f"{RULES_DIR / 'needs.yaml'}:10:5")
    ]


@pytest.mark.parametrize(
    ("when", "code"),
    [
        ("quantity < 0", "never-true"),
        ("quantity > 100000", "never-true"),
        ("expires_on < expires_on", "never-true"),
        ('condition == "new" and condition == "good"', "never-true"),
        ("quantity >= 1", "always-true"),
        ("expires_on < as_of or expires_on >= as_of", "always-true"),
        ("damaged is true or damaged is false", "always-true"),
    ],
)
def test_a_condition_that_cannot_vary_is_named(rules_copy, when, code):
    path = write_rules(rules_copy, {"id": "TEST-ONE", "when": when})
    ruleset = load_rules(rules_copy, run_rule_examples=False)
    warnings = [w for w in find_warnings(ruleset, rules_copy) if w.code != "unused-tag"]
    assert [(w.code, w.where.file, w.where.line) for w in warnings] == [(code, str(path), 3)]
    assert ("always true" if code == "always-true" else "can never be true") in warnings[0].message


@pytest.mark.parametrize(
    "when",
    [
        "quantity > 1",
        "expires_on < as_of + days(180)",
        "damaged is true",
        'lower(manufacturer) == "acme"',
        "count(serial_numbers) > 3",
        'condition in ["new", "good"]',
    ],
)
def test_a_condition_that_can_go_either_way_is_not_flagged(rules_copy, when):
    write_rules(rules_copy, {"id": "TEST-ONE", "when": when})
    ruleset = load_rules(rules_copy, run_rule_examples=False)
    assert [w for w in find_warnings(ruleset, rules_copy) if w.code != "unused-tag"] == []


def test_equivalent_rules_are_duplicates_or_contradictions(rules_copy):
    write_rules(
        rules_copy,
        {"id": "TEST-ONE", "when": "quantity > 10"},
        {"id": "TEST-TWO", "when": "not quantity <= 10"},
        {"id": "TEST-THREE", "when": "10 < quantity", "outcome": "review"},
        {"id": "TEST-FOUR", "when": "quantity > 11"},
    )
    ruleset = load_rules(rules_copy, run_rule_examples=False)
    found = [(w.code, w.message.split()[0]) for w in find_warnings(ruleset, rules_copy)]
    assert ("duplicate-rule", "TEST-TWO") in found
    assert ("contradicting-rules", "TEST-THREE") in found
    assert not any("TEST-FOUR" in who for _, who in found)


def test_a_tag_no_route_uses_is_named(rules_copy):
    write_rules(rules_copy, {"id": "TEST-ONE", "when": "quantity > 10", "tags": "[paperwork]"})
    ruleset = load_rules(rules_copy, run_rule_examples=False)
    messages = [w.message for w in find_warnings(ruleset, rules_copy) if w.code == "unused-tag"]
    assert any('"paperwork"' in m for m in messages)


def test_a_missing_catch_all_route_is_named(rules_copy):
    routing = rules_copy / "routing.yaml"
    text = routing.read_text()
    routing.write_text(text[: text.index("  - queue: allocation")])
    ruleset = load_rules(rules_copy, run_rule_examples=False)
    warnings = [w for w in find_warnings(ruleset, rules_copy) if w.code == "no-catch-all-route"]
    assert len(warnings) == 1
    assert str(warnings[0].where) == f"{routing}:1:1"
    assert '"any"' in warnings[0].message and "when: always" in warnings[0].message


def test_every_warning_code_is_one_of_the_documented_codes(rules_copy):
    write_rules(
        rules_copy,
        {"id": "TEST-ONE", "when": "quantity > 10", "tags": "[paperwork]"},
        {"id": "TEST-TWO", "when": "quantity > 10"},
        {"id": "TEST-THREE", "when": "quantity < 0"},
        {"id": "TEST-FOUR", "when": "quantity >= 1"},
    )
    ruleset = load_rules(rules_copy, run_rule_examples=False)
    found = {w.code for w in find_warnings(ruleset, rules_copy)}
    assert found == {"unused-tag", "duplicate-rule", "never-true", "always-true"}
    assert found <= set(CODES)
