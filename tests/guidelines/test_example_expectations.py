"""An example may also say which rules fire (`fires:`) and which queue it goes to (`queue:`)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from donations_app.guidelines import RuleSetError, load_rules, run_examples

RULE = """\
topic: Test
rules:
  - id: TEST-BIG
    title: Big offers are looked at
    applies_to: [electrical]
    when: quantity > 99000
    outcome: review
    message: Many items.
    fix: Offer fewer.
    reference: Test reference
    examples:
      - item: {{category: electrical, quantity: 99999}}
        recipient: sbgs
        outcome: review
{extra}
"""


def write(rules_dir: Path, extra: str) -> None:
    (rules_dir / "zz_test.yaml").write_text(textwrap.dedent(RULE.format(extra=extra)))


def results_for(rules_dir: Path) -> list:
    ruleset = load_rules(rules_dir, run_rule_examples=False)
    return [r for r in run_examples(ruleset) if r.rule.id == "TEST-BIG"]


def test_right_rules_and_queue_pass(rules_copy):
    write(rules_copy, "        fires: [TEST-BIG]\n        queue: sbgs-desk")
    (result,) = results_for(rules_copy)
    assert result.passed, result.explanation
    load_rules(rules_copy)


def test_examples_without_fires_or_queue_keep_working(rules_copy):
    write(rules_copy, "")
    (result,) = results_for(rules_copy)
    assert result.passed


def test_a_wrong_queue_fails_and_says_what_it_got(rules_copy):
    write(rules_copy, "        queue: npu-desk")
    (result,) = results_for(rules_copy)
    assert not result.passed
    assert "expected queue npu-desk, got sbgs-desk" in result.explanation


def test_an_unknown_queue_is_named_with_a_suggestion(rules_copy):
    write(rules_copy, "        queue: sbgs-dsk")
    with pytest.raises(RuleSetError) as caught:
        load_rules(rules_copy)
    (error,) = [e for e in caught.value.errors if "TEST-BIG" in e]
    assert 'routing.yaml has no queue "sbgs-dsk" (did you mean "sbgs-desk"?)' in error


def test_missing_or_extra_fired_rules_fail(rules_copy):
    write(rules_copy, "        fires: [TEST-BIG, ARMS]")
    (result,) = results_for(rules_copy)
    assert not result.passed
    assert "expected to fire TEST-BIG, ARMS" in result.explanation
    assert "(fired: TEST-BIG)" in result.explanation


def test_an_empty_fires_list_means_no_rule_fires(rules_copy):
    write(rules_copy, "        fires: []")
    (result,) = results_for(rules_copy)
    assert "expected to fire no rule" in result.explanation


def test_an_unknown_rule_in_fires_is_named(rules_copy):
    write(rules_copy, "        fires: [TEST-BIGG]")
    (result,) = results_for(rules_copy)
    assert 'no rule is called "TEST-BIGG" (did you mean "TEST-BIG"?)' in result.explanation


def test_fires_must_hold_rule_ids(rules_copy):
    write(rules_copy, "        fires: [not an id]")
    with pytest.raises(RuleSetError) as caught:
        load_rules(rules_copy)
    assert any("Must be a rule id" in e for e in caught.value.errors)
