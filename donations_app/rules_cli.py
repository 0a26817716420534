"""`flask rules check|test|explain`: the rule maintainers' tools for the guideline YAML files."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from .clock import utctoday
from .guidelines import RuleSet, RuleSetError, load_rules, run_examples

rules = AppGroup("rules", help="Check, test and explain the guideline rules (rules/*.yaml).")


def _directory(directory: str | None) -> Path:
    return Path(directory or current_app.config["RULES_DIR"])


def _load(directory: Path, run_rule_examples: bool = True) -> RuleSet:
    try:
        return load_rules(directory, run_rule_examples=run_rule_examples)
    except RuleSetError as exc:
        for error in exc.errors:
            click.echo(error, err=True)
        click.echo(f"{len(exc.errors)} error(s): the rule set was not loaded.", err=True)
        raise SystemExit(1) from None


@rules.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def check_command(directory: str | None) -> None:
    """Check every rule file; print each problem as file:line:col: message."""
    ruleset = _load(_directory(directory))
    click.echo(f"OK: {len(ruleset.rules)} rules, version {ruleset.version}")


@rules.command("test")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def test_command(directory: str | None) -> None:
    """Run every rule's examples and report pass/fail per rule."""
    ruleset = _load(_directory(directory), run_rule_examples=False)
    results = run_examples(ruleset)
    failed = 0
    for rule in ruleset.rules:
        mine = [result for result in results if result.rule is rule]
        bad = [result for result in mine if not result.passed]
        failed += len(bad)
        count = f"{len(mine)} example{'' if len(mine) == 1 else 's'}"
        click.echo(f"{'FAIL' if bad else 'pass'}  {rule.id}  ({count})")
        for result in bad:
            click.echo(f"      {result.example.where}: {result.explanation}")
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        raise SystemExit(1)


@rules.command("explain")
@click.argument("offer_file", type=click.File("r"))
@click.option(
    "--as-of", "as_of", help="Evaluate as on this date (YYYY-MM-DD); default today (UTC)."
)
@click.option("--rules-dir", "directory", type=click.Path(file_okay=False), help="Rules directory.")
def explain_command(offer_file: Any, as_of: str | None, directory: str | None) -> None:
    """Evaluate an offer (JSON) and show each item's outcome, findings and the values read."""
    ruleset = _load(_directory(directory))
    try:
        offer = parse_offer(json.load(offer_file), ruleset)
        day = dt.date.fromisoformat(as_of) if as_of else utctoday()
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    evaluation = ruleset.evaluate(offer, day)
    click.echo(f"Rule set {ruleset.version}, as of {day.isoformat()}")
    click.echo(f"Offer outcome: {evaluation.outcome}; queue: {evaluation.queue or '-'}")
    for item in evaluation.items:
        click.echo(f"\nItem {item.index} ({item.category}): {item.outcome}")
        if not item.findings:
            click.echo("  no rule fired")
        for finding in item.findings:
            click.echo(f"  {finding.rule} -> {finding.outcome}: {finding.message}")
            values = ", ".join(f"{k}={json.dumps(v)}" for k, v in finding.values.items())
            click.echo(f"      read: {values or '(nothing)'}")


def parse_offer(data: Any, ruleset: RuleSet) -> dict[str, Any]:
    """Turn an API-shaped JSON offer into engine input: ISO dates to date, money to Decimal."""
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ValueError("the offer must be a JSON object with an items list")
    catalog = ruleset.catalog
    specs = [*catalog.item_fields.values(), *catalog.fields.values()]
    dates = {spec.name for spec in specs if spec.type == "date"}
    items = []
    for item in data["items"]:
        item = dict(item)
        for name in dates:
            if isinstance(item.get(name), str):
                item[name] = dt.date.fromisoformat(item[name])
        if item.get("unit_value_usd") is not None:
            item["unit_value_usd"] = Decimal(str(item["unit_value_usd"]))
        items.append(item)
    return {**data, "items": items}
