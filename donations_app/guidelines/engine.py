"""Evaluate an offer against a loaded rule set: item outcomes, findings, offer outcome, queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .catalog import Catalog
from .routing import Router
from .rules import Rule, Topic

SEVERITY = {"reject": 3, "info": 2, "review": 1, "accept": 0}
OFFER_OUTCOMES = ("rejected", "needs_info", "review", "accepted")
_BY_SEVERITY = {rank: outcome for outcome, rank in SEVERITY.items()}

CategoryCheck = Callable[[Mapping[str, Any], dt.date, Any], list[int]]


class Finding:
    """One rule that fired on one item, with what the donor reads and the values it read.

    Messages and values are rendered on first access from the rule and the item snapshot taken
    when the rule fired, so they are what was enforced, and building a finding costs little.
    """

    __slots__ = ("_as_of", "_fix", "_item", "_message", "_recipient", "_rule", "_values")

    def __init__(self, rule: Rule, item: Mapping[str, Any], as_of: dt.date, recipient: Any) -> None:
        self._rule, self._item, self._as_of, self._recipient = rule, item, as_of, recipient
        self._message: str | None = None
        self._fix: str | None = None
        self._values: dict[str, Any] | None = None

    @property
    def rule(self) -> str:
        """The id of the rule that fired."""
        return self._rule.id

    @property
    def outcome(self) -> str:
        return self._rule.outcome

    @property
    def reference(self) -> str:
        return self._rule.reference

    @property
    def tags(self) -> list[str]:
        return list(self._rule.tags)

    @property
    def message(self) -> str:
        """What the donor reads, with the item's values filled in."""
        if self._message is None:
            self._message = self._rule.message_template.render(
                self._item, self._as_of, self._recipient
            )
        return self._message

    @property
    def fix(self) -> str:
        """What the donor can do about it."""
        if self._fix is None:
            self._fix = self._rule.fix_template.render(self._item, self._as_of, self._recipient)
        return self._fix

    @property
    def values(self) -> dict[str, Any]:
        """The field values (and as_of/recipient) the rule's condition read, JSON-friendly."""
        if self._values is None:
            offer = {"as_of": self._as_of, "recipient": self._recipient}
            get = self._item.get
            self._values = {
                name: jsonable(offer[name] if name in offer else get(name))
                for name in self._rule.reads
            }
        return self._values

    def as_dict(self, values: bool = False) -> dict[str, Any]:
        """The finding of the check answer (docs/api.md), optionally with the values read."""
        rule = self._rule
        data: dict[str, Any] = {
            "rule": rule.id,
            "outcome": rule.outcome,
            "message": self.message,
            "fix": self.fix,
            "reference": rule.reference,
            "tags": list(rule.tags),
        }
        if values:
            data["values"] = dict(self.values)
        return data

    def __repr__(self) -> str:
        return f"Finding({self.rule!r}, {self.outcome!r})"


@dataclass
class ItemResult:
    """The outcome of one item line and every rule that fired on it."""

    index: int
    category: str
    outcome: str
    findings: list[Finding] = field(default_factory=list)

    def as_dict(self, values: bool = False) -> dict[str, Any]:
        """The item of the check answer (docs/api.md)."""
        return {
            "index": self.index,
            "category": self.category,
            "outcome": self.outcome,
            "findings": [finding.as_dict(values) for finding in self.findings],
        }


@dataclass
class Evaluation:
    """The result of evaluating one offer."""

    outcome: str
    queue: str | None
    items: list[ItemResult]
    ruleset_version: str
    as_of: dt.date

    def as_dict(self, values: bool = False) -> dict[str, Any]:
        """The check answer of docs/api.md without "ruleset"."""
        return {
            "outcome": self.outcome,
            "queue": self.queue,
            "items": [item.as_dict(values) for item in self.items],
        }


def jsonable(value: Any) -> Any:
    """A JSON-friendly copy of a field value: ISO dates, Decimal as text."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


class RuleSet:
    """A checked, compiled set of rules; immutable once loaded."""

    def __init__(
        self,
        version: str,
        catalog: Catalog,
        rules: list[Rule],
        checks: dict[str, CategoryCheck],
        router: Router,
        topics: Mapping[str, Topic] | None = None,
    ) -> None:
        self.version = version
        # The heading of each rule file, by file name, in the order the files were read.
        self.topics = dict(topics or {})
        self.catalog = catalog
        self.rules = rules
        self.router = router
        self._checks = checks
        self._ranks = [SEVERITY[rule.outcome] for rule in rules]

    @property
    def queues(self) -> tuple[str, ...]:
        """The queue slugs routing can choose, in routing order."""
        return self.router.queues

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id (KeyError if none)."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def evaluate(self, offer: Mapping[str, Any], as_of: dt.date) -> Evaluation:
        """Evaluate every item, aggregate the outcomes (docs/guidelines.md), and route the offer."""
        recipient = offer.get("recipient")
        rules, checks, ranks = self.rules, self._checks, self._ranks
        results: list[ItemResult] = []
        rejected = info = review = 0
        for index, item in enumerate(offer.get("items") or ()):
            category = item.get("category")
            check = checks.get(category)
            if check is None:
                raise ValueError(f"item {index}: unknown category {category!r}")
            fired = check(item, as_of, recipient)
            # A snapshot of the item, so a finding's values are what was read here even if the
            # caller changes its dict later: the explanation cannot drift from the enforcement.
            seen = dict(item) if fired else item
            findings = [Finding(rules[i], seen, as_of, recipient) for i in fired]
            rank = max([ranks[i] for i in fired]) if fired else 0
            results.append(ItemResult(index, category, _BY_SEVERITY[rank], findings))
            if rank == 3:
                rejected += 1
            elif rank == 2:
                info += 1
            elif rank == 1:
                review += 1
        if results and rejected == len(results):
            outcome = "rejected"
        elif info:
            outcome = "needs_info"
        else:
            outcome = "review" if review else "accepted"
        queue = None
        if outcome in ("review", "accepted"):
            queue = self.router.route(offer, results)
        return Evaluation(outcome, queue, results, self.version, as_of)
