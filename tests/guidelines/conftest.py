"""Shared fixtures for the rule engine tests: the shipped rule set and item builders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from donations_app.guidelines import RuleSet, load_rules

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    """The default rules shipped in rules/."""
    return load_rules(RULES_DIR)


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped rules directory."""
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target)
    return target
