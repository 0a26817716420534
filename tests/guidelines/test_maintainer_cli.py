"""The maintainer's commands on broken and suspicious rule sets: no traceback, JSON for CI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from donations_app.rules_cli import rules

from .conftest import RULES_DIR

PROBLEM_KEYS = {"file", "line", "col", "message", "code"}


@pytest.fixture
def cli():
    app = Flask(__name__)
    app.config["RULES_DIR"] = str(RULES_DIR)
    app.cli.add_command(rules)
    return app.test_cli_runner()


def break_a_date(rules_dir: Path) -> Path:
    armor = rules_dir / "armor.yaml"
    text = armor.read_text()
    first = re.search(r"as_of: 2026-\d\d-\d\d", text)
    assert first is not None
    armor.write_text(text.replace(first.group(0), "as_of: 2026-13-01", 1))
    return armor


def test_check_on_a_broken_directory_names_the_place_without_a_traceback(cli, rules_copy):
    armor = break_a_date(rules_copy)
    result = cli.invoke(args=["rules", "check", str(rules_copy)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert re.search(
        rf"{re.escape(str(armor))}:\d+:\d+: \"2026-13-01\" is not a real date", result.output
    )


def test_check_json_has_the_documented_shape(cli, rules_copy):
    armor = break_a_date(rules_copy)
    result = cli.invoke(args=["rules", "check", str(rules_copy), "--format", "json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False
    (error,) = document["errors"]
    assert set(error) == PROBLEM_KEYS
    assert (error["file"], error["code"]) == (str(armor), "yaml-value")
    assert error["line"] > 1 and error["col"] > 1


def test_check_json_on_the_shipped_rules_lists_the_warning(cli):
    result = cli.invoke(args=["rules", "check", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["ok"] is True and document["rules"] == 24 and document["errors"] == []
    assert [w["code"] for w in document["warnings"]] == ["unused-tag"]
    assert set(document["warnings"][0]) == PROBLEM_KEYS


def test_strict_check_fails_on_warnings(cli):
    result = cli.invoke(args=["rules", "check", "--strict"])
    assert result.exit_code == 1
    assert "1 warning(s)" in result.output


def test_an_always_true_condition_is_named_before_the_example_failures(cli, rules_copy):
    armor = rules_copy / "armor.yaml"
    text = armor.read_text()
    assert "when: expires_on < as_of + days(180)" in text
    armor.write_text(
        text.replace(
            "when: expires_on < as_of + days(180)", "when: expires_on < expires_on + days(180)"
        )
    )
    result = cli.invoke(args=["rules", "check", str(rules_copy)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "warning: the condition of ARMOR-WARRANTY" in lines[0]
    assert "is always true" in lines[0]
    assert any("expected" in line and "ARMOR-WARRANTY" in line for line in lines[1:])


def test_test_json_reports_each_rule(cli, rules_copy):
    armor = rules_copy / "armor.yaml"
    text = armor.read_text()
    armor.write_text(
        text.replace("when: expires_on < as_of + days(180)", "when: expires_on < as_of + days(1)")
    )
    result = cli.invoke(args=["rules", "test", str(rules_copy), "--format", "json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["failed"] >= 1 and document["passed"] > 0
    failing = [r for r in document["results"] if r["failures"]]
    assert {r["rule"] for r in failing} == {"ARMOR-WARRANTY"}
    assert set(failing[0]["failures"][0]) == PROBLEM_KEYS
    assert failing[0]["failures"][0]["code"] == "example-failed"


def test_test_and_explain_on_a_broken_directory_are_clean(cli, rules_copy, tmp_path):
    break_a_date(rules_copy)
    offer = tmp_path / "offer.json"
    offer.write_text(json.dumps({"recipient": "sbgs", "items": [{"category": "radio"}]}))
    for args in (
        ["rules", "test", str(rules_copy)],
        ["rules", "explain", str(offer), "--rules-dir", str(rules_copy)],
        ["rules", "explain", str(offer), "--rules-dir", str(rules_copy), "--format", "json"],
    ):
        result = cli.invoke(args=args)
        assert result.exit_code == 1, args
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "is not a real date" in result.output


def test_explain_shows_the_route_and_the_rules_skipped_for_missing_answers(cli, tmp_path):
    offer = tmp_path / "offer.json"
    body = {
        "recipient": "sbgs",
        "items": [{"category": "electrical", "quantity": 2}],
    }
    offer.write_text(json.dumps(body))
    result = cli.invoke(args=["rules", "explain", str(offer), "--as-of", "2026-06-01"])
    assert result.exit_code == 0, result.output
    assert "route: sbgs-desk (Offers for the State Border Guard Service)" in result.output
    assert "skipped VOLTAGE-120: no answer for voltage" in result.output
    result = cli.invoke(
        args=["rules", "explain", str(offer), "--as-of", "2026-06-01", "--format", "json"]
    )
    document = json.loads(result.stdout)
    assert document["queue"] == "sbgs-desk" and document["route"]["queue"] == "sbgs-desk"
    skipped = document["items"][0]["skipped_for_missing_answers"]
    assert {"rule": "VOLTAGE-120", "missing": ["voltage"]} in skipped


def test_explain_refuses_a_missing_file_cleanly(cli, tmp_path):
    result = cli.invoke(args=["rules", "explain", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert "cannot read" in result.output and "Traceback" not in result.output


def test_flask_rules_check_works_when_rules_dir_itself_is_broken(rules_copy, tmp_path):
    """`flask rules ...` is an entry point: it runs although the app cannot start."""
    armor = break_a_date(rules_copy)
    env = {
        **os.environ,
        "RULES_DIR": str(rules_copy),
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "APP_ENV": "development",
    }
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run(
        [str(flask), "--app", "donations_app", "rules", "check", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    (error,) = json.loads(done.stdout)["errors"]
    assert error["file"] == str(armor)
