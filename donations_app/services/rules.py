"""The active guideline rule set, reloaded only when the new files are free of errors."""

from __future__ import annotations

import threading
from pathlib import Path

from flask import current_app

from donations_app.guidelines import RuleSet, RuleSetError, load_rules


class RuleBook:
    """Holds the active RuleSet; a failed reload keeps the previous one active."""

    def __init__(self, rules_dir: str | Path) -> None:
        self.rules_dir = Path(rules_dir)
        self._lock = threading.Lock()
        self._active: RuleSet = load_rules(self.rules_dir)

    @property
    def active(self) -> RuleSet:
        return self._active

    def reload(self) -> RuleSet:
        """Load the rule files again; on errors raise RuleSetError and keep the old set."""
        candidate = load_rules(self.rules_dir)
        with self._lock:
            self._active = candidate
        return candidate


def active_ruleset() -> RuleSet:
    """The rule set that evaluates offers now."""
    return current_app.extensions["rulebook"].active


__all__ = ["RuleBook", "RuleSetError", "active_ruleset"]
