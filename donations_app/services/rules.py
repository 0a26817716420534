"""The active guideline rule set, loaded once when the app starts.

A rule set with any error never loads, so a deployment with a broken rule file fails to
start (and its health check with it) while the running service keeps the rules it has.
"""

from __future__ import annotations

import sys
from pathlib import Path

from flask import current_app

from donations_app.guidelines import RuleSet, RuleSetError, load_rules

# The exit status of a process whose rules do not load. Gunicorn stops, instead of starting
# the worker again and again, when a worker exits with 4 ("App failed to load").
EXIT_RULES_DO_NOT_LOAD = 4


class RuleBook:
    """Holds the RuleSet the app evaluates offers with."""

    def __init__(self, rules_dir: str | Path) -> None:
        self.rules_dir = Path(rules_dir)
        self.active: RuleSet = load_rules(self.rules_dir)


def load_rulebook(rules_dir: str | Path) -> RuleBook:
    """The RuleBook for starting the app; a rule set with errors ends the process.

    Each error is printed to stderr as `file:line:col: message` and the process exits with
    EXIT_RULES_DO_NOT_LOAD: a stack trace would bury the one line the operator needs.
    """
    try:
        return RuleBook(rules_dir)
    except RuleSetError as error:
        lines = [f"The guideline rules in {rules_dir} do not load, so the service cannot start:"]
        lines += [f"  {problem}" for problem in error.errors]
        lines.append("Fix them and start the service again.")
        print("\n".join(lines), file=sys.stderr, flush=True)
        raise SystemExit(EXIT_RULES_DO_NOT_LOAD) from None


def active_ruleset() -> RuleSet:
    """The rule set that evaluates offers now."""
    return current_app.extensions["rulebook"].active
