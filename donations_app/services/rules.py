"""The active guideline rule set, loaded once when the app starts.

A rule set with any error never loads, so a deployment with a broken rule file fails to
start (and its health check with it) while the running service keeps the rules it has.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from donations_app.guidelines import RuleSet, load_rules


class RuleBook:
    """Holds the RuleSet the app evaluates offers with."""

    def __init__(self, rules_dir: str | Path) -> None:
        self.rules_dir = Path(rules_dir)
        self.active: RuleSet = load_rules(self.rules_dir)


def active_ruleset() -> RuleSet:
    """The rule set that evaluates offers now."""
    return current_app.extensions["rulebook"].active
