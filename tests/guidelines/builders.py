"""Builders for items and one-item offers used across the rule engine tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from donations_app.guidelines import RuleSet

AS_OF = dt.date(2026, 6, 1)


def item(category: str, **fields: Any) -> dict[str, Any]:
    """An item line with serviceable, own-funded defaults."""
    base = {
        "category": category,
        "description": "test item",
        "quantity": 1,
        "condition": "good",
        "acquired_via": "own_funds",
    }
    base.update(fields)
    return base


def fired(
    ruleset: RuleSet, line: dict[str, Any], recipient: str = "any", as_of: dt.date = AS_OF
) -> set[str]:
    """Ids of the rules that fire on one item."""
    evaluation = ruleset.evaluate({"recipient": recipient, "items": [line]}, as_of)
    return {finding.rule for finding in evaluation.items[0].findings}


def outcome(
    ruleset: RuleSet, line: dict[str, Any], recipient: str = "any", as_of: dt.date = AS_OF
) -> str:
    """The outcome of one item."""
    return ruleset.evaluate({"recipient": recipient, "items": [line]}, as_of).items[0].outcome
