"""`flask rules check|test|explain` on the shipped rules and on broken copies."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from donations_app.rules_cli import rules

from .conftest import RULES_DIR


@pytest.fixture
def cli():
    """A CLI runner for a minimal app with only the rules commands registered."""
    app = Flask(__name__)
    app.config["RULES_DIR"] = str(RULES_DIR)
    app.cli.add_command(rules)
    return app.test_cli_runner()


def test_check_passes_on_shipped_rules(cli):
    result = cli.invoke(args=["rules", "check"])
    assert result.exit_code == 0, result.output
    assert "OK: 24 rules" in result.output


def test_check_reports_misspelt_fields_with_suggestions(cli, rules_copy):
    armor = rules_copy / "armor.yaml"
    text = armor.read_text()
    text = text.replace(
        "when: expires_on < as_of + days(180)", "when: expires_onn < as_of + days(180)"
    )
    text = text.replace("on the label is {expires_on}.", "on the label is {expires_date}.")
    armor.write_text(text)
    result = cli.invoke(args=["rules", "check", str(rules_copy)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "armor.yaml:" in line]
    assert len(lines) == 2
    when_line = next(n for n, t in enumerate(text.splitlines(), 1) if "expires_onn" in t)
    assert f"armor.yaml:{when_line}:11:" in lines[0]
    assert 'did you mean "expires_on"?' in lines[0]
    assert "{expires_date}" in lines[1]
    assert 'did you mean "expires_on"?' in lines[1]


def test_test_passes_on_shipped_rules(cli):
    result = cli.invoke(args=["rules", "test"])
    assert result.exit_code == 0, result.output
    assert "pass  ARMOR-WARRANTY" in result.output
    assert " 0 failed" in result.output


def test_test_fails_on_a_wrong_example(cli, rules_copy):
    arms = rules_copy / "arms.yaml"
    arms.write_text(
        arms.read_text().replace(
            "outcome: reject\n      - item", "outcome: accept\n      - item", 1
        )
    )
    result = cli.invoke(args=["rules", "test", str(rules_copy)])
    assert result.exit_code == 1
    assert "FAIL  ARMS" in result.output
    assert "expected accept, got reject" in result.output


def test_explain_prints_findings_and_values(cli, tmp_path):
    offer = {
        "recipient": "npu",
        "items": [
            {
                "category": "body_armor",
                "description": "Vests",
                "quantity": 5,
                "condition": "good",
                "acquired_via": "own_funds",
                "protection_level": "IIIA",
                "expires_on": "2026-07-01",
            },
            {
                "category": "medical",
                "description": "Kits",
                "quantity": 5,
                "condition": "new",
                "acquired_via": "own_funds",
                "expires_on": "2030-01-01",
                "unit_value_usd": "12.50",
            },
        ],
    }
    path = tmp_path / "offer.json"
    path.write_text(json.dumps(offer))
    result = cli.invoke(args=["rules", "explain", str(path), "--as-of", "2026-06-01"])
    assert result.exit_code == 0, result.output
    assert "Offer outcome: accepted; queue: npu-desk" in result.output
    assert "ARMOR-WARRANTY -> reject" in result.output
    assert 'read: expires_on="2026-07-01", as_of="2026-06-01"' in result.output
    assert "Item 1 (medical): accept" in result.output
