"""Routing (rules/routing.yaml): which reviewer queue an offer that can go forward goes to.

Routes are tried in order and the first whose condition holds wins. Conditions use the same
language as rules, over offer-level values computed from the items that were not rejected:
`recipient`, `tags` (of their findings), `categories`, and `total_value` (sum of quantity x
unit_value_usd, items without a value counting as 0).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .catalog import Catalog
from .expressions import (
    NUMBER,
    SET,
    TEXT,
    ConstantPool,
    ExpressionErrors,
    Names,
    Type,
    compile_condition,
)
from .source import Mapping as YamlMapping
from .source import Position, Problems, Sequence, did_you_mean, read_yaml

if TYPE_CHECKING:
    from .engine import ItemResult

_QUEUE = re.compile(r"^[a-z][a-z0-9-]*$")
_ROUTE_KEYS = ("queue", "title", "when")


@dataclass(frozen=True)
class Route:
    """One routing step: a queue slug, a plain-language title and its condition."""

    queue: str
    title: str
    when: str


class Router:
    """Chooses the queue of a `review` or `accepted` offer."""

    def __init__(self, routes: list[Route], function: Any) -> None:
        self.routes = routes
        self.queues = tuple(dict.fromkeys(route.queue for route in routes))
        self._function = function

    def route(self, offer: Mapping[str, Any], results: list[ItemResult]) -> str | None:
        """The queue for an offer whose items were evaluated into `results`."""
        items = offer.get("items") or ()
        tags: set[str] = set()
        categories: set[str] = set()
        total = Decimal(0)
        for result in results:
            if result.outcome == "reject":
                continue
            categories.add(result.category)
            for finding in result.findings:
                tags.update(finding.tags)
            item = items[result.index]
            quantity, value = item.get("quantity"), item.get("unit_value_usd")
            if quantity is not None and value is not None:
                total += quantity * value
        return self._function(offer.get("recipient"), tags, categories, total)


def routing_names(catalog: Catalog, tags: tuple[str, ...]) -> Names:
    """What a routing condition may name."""
    recipients = tuple(value for value, _ in catalog.enums.get("recipient", ()))
    return Names(
        {
            "recipient": Type(TEXT, recipients or None, nullable=True),
            "tags": Type(SET, tags),
            "categories": Type(SET, catalog.category_ids),
            "total_value": Type(NUMBER),
        }
    )


def read_routing(
    file: Path,
    shown_as: str,
    catalog: Catalog,
    tags: tuple[str, ...],
    pool: ConstantPool,
    problems: Problems,
) -> Router | None:
    """Read and compile routing.yaml, recording errors; None when unusable."""
    data = read_yaml(file, shown_as, problems)
    if data is None:
        return None
    routes_data = data.get("routes") if isinstance(data, YamlMapping) else None
    if not isinstance(routes_data, Sequence) or not routes_data:
        problems.add(Position(shown_as, 1, 1), "routing.yaml needs a non-empty list under routes:")
        return None
    for key in data:
        if key != "routes":
            problems.add(data.key_at(key), f'unknown key "{key}"' + did_you_mean(key, ("routes",)))
    names = routing_names(catalog, tags)
    routes: list[Route] = []
    tests: list[ast.stmt] = []
    for index, entry in enumerate(routes_data):
        if not isinstance(entry, YamlMapping):
            problems.add(routes_data.item_at(index), "a route needs queue, title and when")
            continue
        read = _read_route(entry, names, pool, problems)
        if read is not None:
            route, tree = read
            routes.append(route)
            tests.append(ast.If(tree, [ast.Return(ast.Constant(route.queue))], []))
    if len(routes) != len(routes_data):
        return None
    return Router(routes, _compile(tests, pool))


def _read_route(
    entry: YamlMapping, names: Names, pool: ConstantPool, problems: Problems
) -> tuple[Route, ast.expr] | None:
    """One route and its compiled condition, or None after recording what is wrong with it."""
    for key in entry:
        if key not in _ROUTE_KEYS:
            problems.add(entry.key_at(key), f'unknown key "{key}"' + did_you_mean(key, _ROUTE_KEYS))
    queue, title, when = entry.get("queue"), entry.get("title", ""), entry.get("when")
    when = "always" if when is True else when
    if not isinstance(queue, str) or not _QUEUE.match(queue):
        problems.add(entry.value_at("queue"), "queue must be a slug such as export-control")
        return None
    if not isinstance(when, str):
        problems.add(
            entry.key_at("when") if "when" in entry else entry.where,
            "a route needs a condition under when:",
        )
        return None
    try:
        condition = compile_condition(when, names, pool)
    except ExpressionErrors as exc:
        start = entry.value_at("when")
        for error in exc.errors:
            problems.add(start.shifted(error.line - 1, error.col), error.message)
        return None
    return Route(queue, str(title), when), condition.tree


def _compile(tests: list[ast.stmt], pool: ConstantPool) -> Any:
    arguments = ast.arguments(
        posonlyargs=[],
        args=[ast.arg(n) for n in ("recipient", "tags", "categories", "total_value")],
        kwonlyargs=[],
        kw_defaults=[],
        defaults=[],
    )
    body = [*tests, ast.Return(ast.Constant(None))]
    module = ast.Module([ast.FunctionDef("route", arguments, body, [], None)], type_ignores=[])
    namespace: dict[str, Any] = {"__builtins__": {}, **pool.values}
    # Only checked, lowered conditions reach exec (see expressions.py).
    exec(compile(ast.fix_missing_locations(module), "<routing>", "exec"), namespace)  # noqa: S102
    return namespace["route"]
