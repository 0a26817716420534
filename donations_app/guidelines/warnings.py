"""Warnings about a rule set that loads but is probably not what its maintainer meant.

A warning is not an error: the rule set still loads. `rules check` shows warnings first, so a
condition that is always true is named as such before the example failures it causes.

Whether a condition is always true, never true, or equivalent to another is decided by trying
it on boundary values: every answer of a choice field, both yes and no, the ends of each number
range, each literal of the condition and its neighbours (n - 1, n, n + 1; a date +- 1 day;
as_of +- each number of days written), and a missing answer. A single comparison is decided
exactly; a long chain of `and`/`or` is tried on a bounded, reproducible sample.
"""

from __future__ import annotations

import ast
import datetime as dt
import itertools
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .catalog import FieldSpec
from .rules import Rule
from .source import Position

if TYPE_CHECKING:
    from .engine import RuleSet

# The number ranges the form and the API accept today; a catalog field's own `min`/`max`
# (when the catalog declares them) takes precedence.
DEFAULT_RANGES: dict[str, tuple[Decimal, Decimal]] = {
    "integer": (Decimal(1), Decimal(100_000)),
    "decimal": (Decimal(0), Decimal("9999999999.99")),
}
REFERENCE_DAY = dt.date(2026, 6, 15)
CODES = (
    "always-true",
    "never-true",
    "never-effective",
    "duplicate-rule",
    "contradicting-rules",
    "unused-tag",
    "no-catch-all-route",
)
MAX_SAMPLES = 4000
_DAY_OFFSETS = (-3650, -365, -30, -1, 0, 1, 30, 365, 3650)


@dataclass(frozen=True)
class RuleWarning:
    """One warning: where, a stable code for CI, and a plain-English message with the fix."""

    where: Position
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: warning: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        """The documented JSON shape of a problem: file, line, col, message, code."""
        return {
            "file": self.where.file,
            "line": self.where.line,
            "col": self.where.col,
            "message": self.message,
            "code": self.code,
        }


def find_warnings(ruleset: RuleSet, directory: str | Path) -> list[RuleWarning]:
    """Every warning about a loaded rule set, rule warnings in rule order, then routing."""
    found = _condition_warnings(ruleset)
    found.extend(_unused_tags(ruleset))
    found.extend(_uncovered_recipients(ruleset, Path(directory) / "routing.yaml"))
    return found


def _condition_warnings(ruleset: RuleSet) -> list[RuleWarning]:
    found: list[RuleWarning] = []
    reported_pairs: set[frozenset[str]] = set()
    for rule in ruleset.rules:
        if (
            rule.effective_from
            and rule.effective_until
            and rule.effective_until < rule.effective_from
        ):
            found.append(
                RuleWarning(
                    rule.where,
                    "never-effective",
                    f"{rule.id} is effective until {rule.effective_until}, before it "
                    f"starts on {rule.effective_from}, so it never fires; swap the dates",
                )
            )
            continue
        tried = _try(ruleset, rule)
        if tried is None:
            continue
        hits = [rule.id in fired for fired, _ in tried]
        complete = [rule.id in fired for fired, full in tried if full]
        if rule.when != "always" and complete and all(complete):
            found.append(
                RuleWarning(
                    rule.where,
                    "always-true",
                    f"the condition of {rule.id} ({rule.when}) is always true whenever its "
                    f"answers are given, so every {rule.applies_to_text} item gets "
                    f'"{rule.outcome}"; if that is meant write when: always, otherwise fix the '
                    "comparison (check < and >, and the number of days)",
                )
            )
        elif not any(hits):
            found.append(
                RuleWarning(
                    rule.where,
                    "never-true",
                    f"the condition of {rule.id} ({rule.when}) can never be true with the "
                    "answers the catalog allows, so the rule never fires; check the values "
                    "and the direction of each comparison",
                )
            )
        else:
            found.extend(_same_as(ruleset, rule, reported_pairs))
    return found


def _same_as(ruleset: RuleSet, rule: Rule, reported: set[frozenset[str]]) -> list[RuleWarning]:
    """Other rules over the same categories and answers that fire on exactly the same items."""
    found = []
    for other in ruleset.rules:
        pair = frozenset((rule.id, other.id))
        if other is rule or pair in reported:
            continue
        if set(other.applies_to) != set(rule.applies_to) or set(other.reads) != set(rule.reads):
            continue
        if other.requires != rule.requires or (other.effective_from, other.effective_until) != (
            rule.effective_from,
            rule.effective_until,
        ):
            continue
        tried = _try(ruleset, rule, extra_literals=other)
        if tried is None or any((rule.id in f) != (other.id in f) for f, _ in tried):
            continue
        reported.add(pair)
        if other.outcome == rule.outcome:
            found.append(
                RuleWarning(
                    other.where,
                    "duplicate-rule",
                    f"{other.id} fires on exactly the same items as {rule.id} ({rule.where}) "
                    f'with the same outcome "{rule.outcome}"; remove one, or merge them',
                )
            )
        else:
            found.append(
                RuleWarning(
                    other.where,
                    "contradicting-rules",
                    f"{other.id} ({other.outcome}) fires on exactly the same items as "
                    f"{rule.id} ({rule.outcome}, {rule.where}); the stricter outcome always "
                    "wins, so one of them never matters: decide which outcome is right",
                )
            )
    return found


def _samples(
    ruleset: RuleSet, rule: Rule, extra_literals: Rule | None = None
) -> list[tuple[Any, ...]] | None:
    """(category, recipient, as_of, values...) tuples to try; None when a read has no domain."""
    catalog = ruleset.catalog
    literals = _literals(rule.when, catalog.sets)
    if extra_literals is not None:
        literals.extend(_literals(extra_literals.when, catalog.sets))
    as_of = rule.effective_from or rule.effective_until or REFERENCE_DAY
    recipients = tuple(v for v, _ in catalog.enums.get("recipient", ())) or (None,)
    fields = [n for n in rule.reads if n not in ("as_of", "recipient", "category")]
    domains: list[list[Any]] = []
    for name in fields:
        try:
            spec = catalog.field(name)
        except KeyError:
            return None
        domains.append([None, *_domain(spec, literals, as_of)])
    heads = [(c, r) for c in rule.applies_to for r in recipients]
    return [
        (category, recipient, as_of, *values)
        for category, recipient in heads
        for values in _product(domains, len(heads))
    ]


def _product(domains: list[list[Any]], heads: int) -> Iterable[tuple[Any, ...]]:
    budget = max(1, MAX_SAMPLES // max(heads, 1))
    total = 1
    for domain in domains:
        total *= len(domain)
    if total <= budget:
        return itertools.product(*domains)
    chooser = random.Random(0)  # noqa: S311  # nosec B311  # reproducible: same files, same warnings
    edges = [tuple(domain[i % len(domain)] for domain in domains) for i in range(budget // 4)]
    picks = [tuple(chooser.choice(domain) for domain in domains) for _ in range(budget)]
    return [*edges, *picks]


def _try(
    ruleset: RuleSet, rule: Rule, extra_literals: Rule | None = None
) -> list[tuple[frozenset[str], bool]] | None:
    """For each sample: the rules that fired, and whether every answer `rule` reads was given."""
    samples = _samples(ruleset, rule, extra_literals)
    if samples is None:
        return None
    fields = [n for n in rule.reads if n not in ("as_of", "recipient", "category")]
    tried = []
    for category, recipient, as_of, *values in samples:
        item = {"category": category, "quantity": 1, **dict(zip(fields, values, strict=True))}
        result = ruleset.evaluate({"recipient": recipient, "items": [item]}, as_of).items[0]
        fired = frozenset(finding.rule for finding in result.findings)
        tried.append((fired, None not in values))
    return tried


def _literals(source: str, sets: Mapping[str, tuple[str, ...]] | None = None) -> list[Any]:
    """Numbers, text and dates written in a condition, and the members of the sets it names."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError):
        return []
    out: list[Any] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and not isinstance(node.value, bool | type(None)):
            out.append(node.value)
        elif isinstance(node, ast.Name) and sets and node.id in sets:
            out.extend(sets[node.id])
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", "") == "date"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            try:
                out.append(dt.date.fromisoformat(str(node.args[0].value)))
            except ValueError:
                continue
    return out


def _domain(spec: FieldSpec, literals: list[Any], as_of: dt.date) -> list[Any]:
    """Boundary values of one field: its answers, range ends, and the literals' neighbours."""
    numbers = [Decimal(str(v)) for v in literals if isinstance(v, int | float)]
    texts = [v for v in literals if isinstance(v, str)]
    if spec.type == "bool":
        return [True, False]
    if spec.type == "enum":
        return list(spec.choices or ())
    if spec.type == "date":
        dates = [as_of + dt.timedelta(days=d) for d in _DAY_OFFSETS]
        for n in numbers:
            for sign in (1, -1):
                dates.extend(as_of + dt.timedelta(days=int(sign * n) + d) for d in (-1, 0, 1))
        for day in (v for v in literals if isinstance(v, dt.date)):
            dates.extend(day + dt.timedelta(days=d) for d in (-1, 0, 1))
        return sorted(set(dates))
    if spec.type in DEFAULT_RANGES:
        low, high = _range(spec)
        values = {low, high, low + 1, high - 1}
        values.update(v + d for v in numbers for d in (-1, 0, 1))
        values = {v for v in values if low <= v <= high}
        if spec.type == "integer":
            return sorted(int(v) for v in values if v == v.to_integral_value())
        return sorted(values)
    if spec.type == "list":
        members = texts or ["A1"]
        lists = [[], members, ["other"], *[[w] for w in members]]
        lengths = {int(n) + d for n in numbers for d in (-1, 0, 1) if 0 < n + d <= 50}
        lists.extend([f"S{i}" for i in range(length)] for length in sorted(lengths))
        return lists
    words = set(texts) | {"other", ""} | set(spec.choices or ())
    words |= {w.lower() for w in texts} | {w.upper() for w in texts}
    return sorted(words)


def _range(spec: FieldSpec) -> tuple[Decimal, Decimal]:
    low, high = DEFAULT_RANGES[spec.type]
    declared_low, declared_high = getattr(spec, "min", None), getattr(spec, "max", None)
    return (
        Decimal(str(declared_low)) if declared_low is not None else low,
        Decimal(str(declared_high)) if declared_high is not None else high,
    )


def _unused_tags(ruleset: RuleSet) -> list[RuleWarning]:
    used: set[str] = set()
    for route in ruleset.router.routes:
        used.update(v for v in _literals(route.when) if isinstance(v, str))
    found = []
    for rule in ruleset.rules:
        for tag in rule.tags:
            if tag not in used:
                found.append(
                    RuleWarning(
                        rule.where,
                        "unused-tag",
                        f'{rule.id} has the tag "{tag}" but no route in routing.yaml uses it, '
                        "so it changes no queue (fine if it only labels the finding for "
                        "reviewers); use it in a route's when: "
                        f'("{tag}" in tags) or remove it',
                    )
                )
    return found


def _uncovered_recipients(ruleset: RuleSet, routing_file: Path) -> list[RuleWarning]:
    """A catch-all is missing when a plain offer (no tags, no category) for a recipient has no
    queue: it would be accepted with nowhere to go."""
    recipients = [v for v, _ in ruleset.catalog.enums.get("recipient", ())]
    lost = [
        r for r in recipients if ruleset.router.route({"recipient": r, "items": []}, []) is None
    ]
    if not lost:
        return []
    return [
        RuleWarning(
            Position(str(routing_file), 1, 1),
            "no-catch-all-route",
            "no route matches an offer for "
            + ", ".join(f'"{r}"' for r in lost)
            + " without tags; add a last route with when: always so every offer finds a queue",
        )
    ]
