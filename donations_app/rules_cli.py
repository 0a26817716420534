"""`flask rules check|test|explain|schema`: the rule maintainers' tools for the guideline files.

These commands work on a broken rules directory and never print a traceback: every problem is
`file:line:col: message`, or with `--format json` the documented JSON shape (rules/README.md).
The group is also a `flask.commands` entry point, so `flask rules ...` runs even when the app
itself cannot start because RULES_DIR is broken.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import click
from flask import Flask, current_app, has_app_context
from flask.cli import ScriptInfo

from .clock import utctoday
from .config import config_for
from .guidelines import Evaluation, RuleSet, RuleSetError, load_rules, run_examples
from .guidelines.json_schema import FILE_KINDS, json_schema
from .guidelines.warnings import RuleWarning, find_warnings

rules = click.Group("rules", help="Check, test and explain the guideline rules (rules/*.yaml).")

FORMAT = click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one JSON document on stdout, for CI.",
)
_WHERE = re.compile(r"^(?P<file>.*?):(?P<line>\d+):(?P<col>\d+): (?P<message>.*)$", re.S)
REFERENCE = re.compile(r"^[A-Z]{2}-\d{4}-\d+$")


class RulesProblem(Exception):
    """Rule files that could not be read, as JSON-ready problems."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(problems)} error(s)")
        self.problems = problems


def problem(text: str, code: str) -> dict[str, Any]:
    """A `file:line:col: message` error as the JSON shape of a problem."""
    match = _WHERE.match(text)
    if match is None:
        return {"file": "", "line": 0, "col": 0, "message": text, "code": code}
    message = match["message"]
    if code == "rule-error" and message.startswith("YAML syntax"):
        code = "yaml-syntax"
    elif code == "rule-error" and "is not a real date" in message:
        code = "yaml-value"
    return {
        "file": match["file"],
        "line": int(match["line"]),
        "col": int(match["col"]),
        "message": message,
        "code": code,
    }


def _text(item: dict[str, Any]) -> str:
    return f"{item['file']}:{item['line']}:{item['col']}: {item['message']}"


def _app() -> Flask | None:
    """The app, if it can start; None when it cannot (e.g. RULES_DIR itself is broken)."""
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    info = click.get_current_context().find_object(ScriptInfo)
    if info is None:
        return None
    try:
        return info.load_app()
    except (Exception, SystemExit):
        return None


def _directory(directory: str | None) -> Path:
    if directory:
        return Path(directory)
    app = _app()
    if app is not None:
        return Path(app.config["RULES_DIR"])
    return Path(config_for()().RULES_DIR)


def _load(directory: Path, run_rule_examples: bool = True) -> RuleSet:
    try:
        return load_rules(directory, run_rule_examples=run_rule_examples)
    except RuleSetError as exc:
        raise RulesProblem([problem(error, "rule-error") for error in exc.errors]) from None
    except (OSError, ValueError) as exc:
        raise RulesProblem(
            [problem(f"{directory}:1:1: cannot read the rules: {exc}", "rule-error")]
        ) from None


def _refuse(exc: RulesProblem, output: str, **extra: Any) -> NoReturn:
    if output == "json":
        click.echo(json.dumps({"ok": False, **extra, "errors": exc.problems, "warnings": []}))
    else:
        for item in exc.problems:
            click.echo(_text(item), err=True)
        click.echo(f"{len(exc.problems)} error(s): the rule set was not loaded.", err=True)
    raise SystemExit(1)


@rules.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@FORMAT
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
def check_command(directory: str | None, output: str, strict: bool) -> None:
    """Check every rule file: errors and warnings as file:line:col: message."""
    folder = _directory(directory)
    try:
        ruleset = _load(folder, run_rule_examples=False)
    except RulesProblem as exc:
        _refuse(exc, output)
    warnings = find_warnings(ruleset, folder)
    errors = [
        problem(f"{result.example.where}: {result.explanation}", "example-failed")
        for result in run_examples(ruleset)
        if not result.passed
    ]
    ok = not errors and not (strict and warnings)
    if output == "json":
        document = {
            "ok": ok,
            "version": ruleset.version,
            "rules": len(ruleset.rules),
            "errors": errors,
            "warnings": [warning.as_dict() for warning in warnings],
        }
        click.echo(json.dumps(document))
    else:
        _print_check(ruleset, warnings, errors)
    if not ok:
        raise SystemExit(1)


def _print_check(ruleset: RuleSet, warnings: list[RuleWarning], errors: list[dict]) -> None:
    for warning in warnings:
        click.echo(str(warning), err=True)
    for item in errors:
        click.echo(_text(item), err=True)
    counts = f"{len(errors)} error(s), {len(warnings)} warning(s)"
    if errors:
        click.echo(f"{counts}: the rule set was not loaded.", err=True)
    else:
        click.echo(f"OK: {len(ruleset.rules)} rules, version {ruleset.version}; {counts}")


@rules.command("test")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@FORMAT
def test_command(directory: str | None, output: str) -> None:
    """Run every rule's examples and report pass/fail per rule."""
    try:
        ruleset = _load(_directory(directory), run_rule_examples=False)
    except RulesProblem as exc:
        _refuse(exc, output, passed=0, failed=0, results=[])
    results = run_examples(ruleset)
    per_rule: list[dict[str, Any]] = []
    for rule in ruleset.rules:
        mine = [result for result in results if result.rule is rule]
        failures = [
            problem(f"{result.example.where}: {result.explanation}", "example-failed")
            for result in mine
            if not result.passed
        ]
        per_rule.append({"rule": rule.id, "examples": len(mine), "failures": failures})
    failed = sum(len(entry["failures"]) for entry in per_rule)
    if output == "json":
        document = {
            "ok": not failed,
            "version": ruleset.version,
            "passed": len(results) - failed,
            "failed": failed,
            "results": per_rule,
            "errors": [f for entry in per_rule for f in entry["failures"]],
            "warnings": [],
        }
        click.echo(json.dumps(document))
    else:
        for entry in per_rule:
            count = f"{entry['examples']} example{'' if entry['examples'] == 1 else 's'}"
            click.echo(f"{'FAIL' if entry['failures'] else 'pass'}  {entry['rule']}  ({count})")
            for item in entry["failures"]:
                click.echo(f"      {_text(item)}")
        click.echo(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        raise SystemExit(1)


@rules.command("explain")
@click.argument("offer")
@click.option(
    "--as-of",
    "as_of",
    help="Evaluate as on this date (YYYY-MM-DD); default today (UTC), or for a stored "
    "offer the day it was submitted.",
)
@click.option("--rules-dir", "directory", type=click.Path(file_okay=False), help="Rules directory.")
@FORMAT
def explain_command(offer: str, as_of: str | None, directory: str | None, output: str) -> None:
    """Evaluate an offer and show each item's outcome, findings, skipped rules and the route.

    OFFER is a JSON file in the API's shape ("-" for stdin) or a stored offer's reference
    (UA-2026-000123), which needs the database.
    """
    try:
        day = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise click.BadParameter(
            f'"{as_of}" is not a date (YYYY-MM-DD)', param_hint="--as-of"
        ) from None
    try:
        if REFERENCE.match(offer) and not Path(offer).exists():
            ruleset, body, day = _stored_offer(offer, directory, day)
        else:
            ruleset = _load(_directory(directory))
            body = _offer_file(offer, ruleset)
    except RulesProblem as exc:
        _refuse(exc, output)
    evaluation = ruleset.evaluate(body, day or utctoday())
    document = explanation(ruleset, body, evaluation)
    if REFERENCE.match(offer):
        document["reference"] = offer
    if output == "json":
        click.echo(json.dumps(document))
    else:
        _print_explanation(document)


def _offer_file(name: str, ruleset: RuleSet) -> dict[str, Any]:
    try:
        with click.open_file(name, "r", encoding="utf-8") as handle:
            data = json.load(handle)
        return parse_offer(data, ruleset)
    except OSError as exc:
        raise click.BadParameter(
            f"cannot read {name}: {exc.strerror or exc}; give a JSON file or a reference "
            "such as UA-2026-000123",
            param_hint="OFFER",
        ) from None
    except (ValueError, ArithmeticError) as exc:
        raise click.BadParameter(f"{name}: {exc}", param_hint="OFFER") from None


def _stored_offer(
    reference: str, directory: str | None, day: dt.date | None
) -> tuple[RuleSet, dict[str, Any], dt.date]:
    """The stored offer's body, evaluated with --rules-dir or the app's active rule set."""
    app = _app()
    if app is None:
        raise click.ClickException(
            "the app cannot start (check RULES_DIR with: flask rules check), so stored "
            "offers cannot be read; explain a JSON file instead"
        )
    from .services.offer_body import offer_body
    from .services.offer_details import load_offer
    from .services.rules import active_ruleset
    from .services.transaction import NotFound

    with app.app_context():
        try:
            stored = load_offer(reference)
        except NotFound:
            raise click.ClickException(
                f"there is no offer with the reference {reference}"
            ) from None
        body = offer_body(stored)
        submitted = stored.submitted_at.date()
        ruleset = _load(Path(directory)) if directory else active_ruleset()
    return ruleset, body, day or submitted


def explanation(ruleset: RuleSet, offer: dict[str, Any], evaluation: Evaluation) -> dict[str, Any]:
    """What the evaluation did, as the documented JSON shape of `rules explain`.

    The route shown is the first route to the chosen queue (routes are tried in order).
    """
    route = next((r for r in ruleset.router.routes if r.queue == evaluation.queue), None)
    items = []
    for result, item in zip(evaluation.items, offer.get("items") or (), strict=True):
        fired = {finding.rule for finding in result.findings}
        skipped, not_in_effect = [], []
        for rule in ruleset.rules:
            if result.category not in rule.applies_to or rule.id in fired:
                continue
            if (rule.effective_from and evaluation.as_of < rule.effective_from) or (
                rule.effective_until and evaluation.as_of > rule.effective_until
            ):
                not_in_effect.append(rule.id)
                continue
            missing = [
                name
                for name in rule.reads
                if name not in ("as_of", "recipient") and item.get(name) is None
            ]
            if missing:
                skipped.append({"rule": rule.id, "missing": missing})
        items.append(
            {
                **result.as_dict(values=True),
                "skipped_for_missing_answers": skipped,
                "not_in_effect": not_in_effect,
            }
        )
    return {
        "ok": True,
        "version": ruleset.version,
        "as_of": evaluation.as_of.isoformat(),
        "outcome": evaluation.outcome,
        "queue": evaluation.queue,
        "route": None
        if route is None
        else {"queue": route.queue, "title": route.title, "when": route.when},
        "items": items,
    }


def _print_explanation(document: dict[str, Any]) -> None:
    reference = f"Offer {document['reference']}: " if "reference" in document else ""
    click.echo(f"{reference}rule set {document['version']}, as of {document['as_of']}")
    click.echo(f"Offer outcome: {document['outcome']}; queue: {document['queue'] or '-'}")
    route = document["route"]
    if route:
        click.echo(f"  route: {route['queue']} ({route['title']}) because {route['when']}")
    for item in document["items"]:
        click.echo(f"\nItem {item['index']} ({item['category']}): {item['outcome']}")
        if not item["findings"]:
            click.echo("  no rule fired")
        for finding in item["findings"]:
            click.echo(f"  {finding['rule']} -> {finding['outcome']}: {finding['message']}")
            values = ", ".join(f"{k}={json.dumps(v)}" for k, v in finding["values"].items())
            click.echo(f"      read: {values or '(nothing)'}")
        for skipped in item["skipped_for_missing_answers"]:
            missing = ", ".join(skipped["missing"])
            click.echo(f"  skipped {skipped['rule']}: no answer for {missing}")
        if item["not_in_effect"]:
            click.echo(f"  not in effect on that day: {', '.join(item['not_in_effect'])}")


@rules.command("schema")
@click.option(
    "--file",
    "kind",
    type=click.Choice(FILE_KINDS),
    default="rules",
    show_default=True,
    help="Which file's schema: a guideline file (rules), catalog.yaml or routing.yaml.",
)
def schema_command(kind: str) -> None:
    """Print the JSON Schema of a rule file, for an editor's completion and validation."""
    click.echo(json.dumps(json_schema(kind), indent=2))


def parse_offer(data: Any, ruleset: RuleSet) -> dict[str, Any]:
    """Turn an API-shaped JSON offer into engine input: ISO dates to date, money to Decimal."""
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ValueError("the offer must be a JSON object with an items list")
    catalog = ruleset.catalog
    specs = [*catalog.item_fields.values(), *catalog.fields.values()]
    dates = {spec.name for spec in specs if spec.type == "date"}
    items = []
    for item in data["items"]:
        if not isinstance(item, dict) or item.get("category") not in catalog:
            raise ValueError(f"each item needs a known category, not {item!r:.60}")
        item = dict(item)
        for name in dates:
            if isinstance(item.get(name), str):
                item[name] = dt.date.fromisoformat(item[name])
        if item.get("unit_value_usd") is not None:
            item["unit_value_usd"] = Decimal(str(item["unit_value_usd"]))
        items.append(item)
    return {**data, "items": items}
