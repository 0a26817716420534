"""A candidate rule set for the impact and re-check tests: the shipped rules plus one rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.api.bodies import VALID_OFFER

RULES = Path(__file__).resolve().parents[2] / "rules"
NEW_RULE = """topic: Helmet quantities
rules:
  - id: HELMET-QUANTITY
    title: At most 50 helmets in one line
    applies_to: [helmet]
    when: quantity > 50
    outcome: reject
    message: "{quantity} helmets is more than one line may hold."
    fix: Offer at most 50 helmets per item line.
    reference: Test policy
    tags: []
    examples:
      - item: {category: helmet, description: Helmets, quantity: 60, condition: good,
               acquired_via: own_funds, protection_level: IIIA, expires_on: 2031-01-01}
        as_of: 2026-01-01
        outcome: reject
"""


def helmet(quantity: int) -> dict:
    return {
        **VALID_OFFER["items"][0],
        "category": "helmet",
        "description": "Ballistic helmets",
        "quantity": quantity,
    }


@pytest.fixture
def candidate(tmp_path) -> Path:
    folder = tmp_path / "candidate"
    shutil.copytree(RULES, folder)
    (folder / "helmet_quantity.yaml").write_text(NEW_RULE)
    return folder
