"""A rule's examples: read and check them against the catalog, and run them against a rule set."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .catalog import Catalog, FieldSpec
from .rules import Example, Rule
from .schema import ExampleSchema, validate_mapping
from .source import Mapping, Position, Problems, did_you_mean

if TYPE_CHECKING:
    from .engine import RuleSet


@dataclass(frozen=True)
class ExampleResult:
    """Whether one example got the outcome it claims, and what fired."""

    rule: Rule
    number: int
    example: Example
    got: str
    fired: tuple[str, ...]
    queue: str | None = None
    known_rules: tuple[str, ...] = ()
    known_queues: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """True when the item got the expected outcome, rules and queue."""
        return not self.mismatches

    @property
    def mismatches(self) -> list[str]:
        """What differs from what the example says, in words."""
        example, out = self.example, []
        if self.got != example.outcome:
            out.append(f"expected {example.outcome}, got {self.got}")
        if example.fires is not None and set(example.fires) != set(self.fired):
            for rule_id in example.fires:
                if rule_id not in self.known_rules:
                    out.append(
                        f'fires: no rule is called "{rule_id}"'
                        + did_you_mean(rule_id, self.known_rules)
                    )
            expected = ", ".join(example.fires) or "no rule"
            out.append(f"expected to fire {expected}")
        if example.queue is not None and example.queue != self.queue:
            if example.queue not in self.known_queues:
                out.append(
                    f'queue: routing.yaml has no queue "{example.queue}"'
                    + did_you_mean(example.queue, self.known_queues)
                )
            out.append(f"expected queue {example.queue}, got {self.queue or 'no queue'}")
        return out

    @property
    def explanation(self) -> str:
        """One line saying what happened."""
        fired = ", ".join(self.fired) or "no rule"
        verdict = "; ".join(self.mismatches) or "ok"
        return f"example {self.number} of {self.rule.id}: {verdict} (fired: {fired})"


def read_example(raw: Any, where: Position, catalog: Catalog, problems: Problems) -> Example | None:
    """Check one example's shape and its item's fields; None when invalid."""
    if not isinstance(raw, Mapping):
        problems.add(where, "an example needs item: {...} and outcome:")
        return None
    before = len(problems.errors)
    fields = validate_mapping(ExampleSchema(), raw, problems)
    if fields is None:
        return None
    item_where = raw.value_at("item")
    item = _read_item(raw["item"], item_where, catalog, problems)
    if (
        item is not None
        and fields.get("as_of") is None
        and any(isinstance(value, dt.date) for value in item.values())
    ):
        problems.add(
            raw.where,
            "an example with a date needs as_of: so it gives the same answer on every day",
        )
    if item is None or len(problems.errors) > before:
        return None
    return Example(
        item,
        fields["outcome"],
        fields.get("recipient", "any"),
        fields.get("as_of"),
        raw.value_at("outcome"),
        tuple(fields["fires"]) if "fires" in fields else None,
        fields.get("queue"),
    )


def _read_item(item: Any, where: Position, catalog: Catalog, problems: Problems) -> dict | None:
    category = item.get("category") if isinstance(item, Mapping) else None
    if not isinstance(category, str) or category not in catalog:
        problems.add(
            where,
            f'the example item needs a known category, not "{category}"'
            + did_you_mean(str(category), catalog.category_ids),
        )
        return None
    allowed = {
        **catalog.item_fields,
        **{n: catalog.fields[n] for n in catalog.category(category).fields},
    }
    out: dict[str, Any] = {}
    for key, value in item.items():
        spec = allowed.get(key)
        if spec is None:
            problems.add(
                item.key_at(key),
                f'"{key}" is not a field of {category}' + did_you_mean(str(key), allowed),
            )
            continue
        converted = _convert(spec, value)
        if converted is _INVALID:
            problems.add(
                item.value_at(key),
                f"{key}: {value!r} is not a valid {spec.type}"
                + (did_you_mean(str(value), spec.choices) if spec.choices else ""),
            )
            continue
        out[key] = converted
    return out


_INVALID = object()


def _convert(spec: FieldSpec, value: Any) -> Any:
    if value is None:
        return None
    if spec.type == "date":
        ok = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    elif spec.type == "bool":
        ok = isinstance(value, bool)
    elif spec.type == "enum":
        ok = value in (spec.choices or ())
    elif spec.type == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif spec.type == "decimal":
        if isinstance(value, int | float | str) and not isinstance(value, bool):
            try:
                return Decimal(str(value))
            except ArithmeticError:
                return _INVALID
        ok = False
    elif spec.type == "list":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    else:
        ok = isinstance(value, str)
    return value if ok else _INVALID


def run_examples(ruleset: RuleSet) -> list[ExampleResult]:
    """Evaluate every rule's examples with the whole rule set."""
    results = []
    rule_ids = tuple(rule.id for rule in ruleset.rules)
    for rule in ruleset.rules:
        for number, example in enumerate(rule.examples, start=1):
            offer = {"recipient": example.recipient, "items": [example.item]}
            as_of = example.as_of or dt.datetime.now(dt.UTC).date()
            evaluation = ruleset.evaluate(offer, as_of)
            item = evaluation.items[0]
            fired = tuple(finding.rule for finding in item.findings)
            results.append(
                ExampleResult(
                    rule,
                    number,
                    example,
                    item.outcome,
                    fired,
                    evaluation.queue,
                    rule_ids,
                    ruleset.queues,
                )
            )
    return results
