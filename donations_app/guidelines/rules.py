"""A guideline rule as loaded from YAML, and the donor-facing message templates it carries."""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .source import Position

OUTCOMES = ("reject", "info", "review", "accept")
_PLACEHOLDER = re.compile(r"(?<!\{)\{([^{}]*)\}")


def describe_value(value: Any, labels: Mapping[Any, str] | None = None) -> str:
    """How a field value reads in a message: labels for choices, ISO dates, yes/no."""
    if value is None:
        return "not given"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, list | tuple):
        return ", ".join(describe_value(v) for v in value)
    if labels:
        return labels.get(value, str(value))
    return str(value)


class Template:
    """A message with `{field}` placeholders, parsed once at load time."""

    __slots__ = ("parts", "source", "static")

    def __init__(self, source: str, labels: Mapping[str, Mapping[Any, str]]) -> None:
        self.source = source
        self.parts: list[tuple[str, str | None, Mapping[Any, str] | None]] = [
            (literal, name, labels.get(name) if name else None)
            for literal, name, _, _ in string.Formatter().parse(source)
        ]
        self.static = (
            "".join(p[0] for p in self.parts) if all(p[1] is None for p in self.parts) else None
        )

    @staticmethod
    def placeholders(source: str) -> list[tuple[str, int, str | None]]:
        """Each placeholder as (name, offset, problem); ValueError on unbalanced braces."""
        list(string.Formatter().parse(source))  # raises ValueError on a stray brace
        found = []
        for match in _PLACEHOLDER.finditer(source):
            name, problem = match.group(1), None
            if not name.isidentifier():
                problem = f'"{{{name}}}" must name a field, e.g. {{expires_on}}'
            found.append((name, match.start(), problem))
        return found

    def render(self, item: Mapping[str, Any], as_of: dt.date, recipient: Any) -> str:
        """The message for one item."""
        if self.static is not None:
            return self.static
        out = []
        for literal, name, labels in self.parts:
            out.append(literal)
            if name is not None:
                value = (
                    as_of
                    if name == "as_of"
                    else recipient
                    if name == "recipient"
                    else item.get(name)
                )
                out.append(describe_value(value, labels))
        return "".join(out)


@dataclass(frozen=True)
class Example:
    """An item (and offer values) with the outcome the whole rule set must give it."""

    item: dict[str, Any]
    outcome: str
    recipient: str
    as_of: dt.date | None
    where: Position
    fires: tuple[str, ...] | None = None
    queue: str | None = None


@dataclass(frozen=True)
class Topic:
    """A rule file's heading: the topic its rules cover and a summary for donors."""

    source_file: str
    topic: str
    summary: str


@dataclass(frozen=True)
class Rule:
    """One guideline: when it fires, what it does, and what the donor is told."""

    id: str
    title: str
    applies_to: tuple[str, ...]
    applies_to_text: str
    when: str
    outcome: str
    message: str
    fix: str
    reference: str
    tags: tuple[str, ...]
    source_file: str
    where: Position
    message_template: Template
    fix_template: Template
    requires: tuple[str, ...] = ()
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None
    notes: str = ""
    examples: tuple[Example, ...] = ()
    reads: tuple[str, ...] = ()
    condition_tree: Any = None
