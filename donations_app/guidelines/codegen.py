"""Compile the checked conditions of every rule into one Python function per category.

Each function reads the fields its rules need once, tests each rule's lowered condition in file
order, and returns the indexes of the rules that fired. It runs with empty `__builtins__`; its
only globals are the constants the conditions were lowered to (dates, sets, helper functions).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import Any

from .catalog import Catalog
from .expressions import ConstantPool
from .rules import Rule

OFFER_NAMES = ("as_of", "recipient")


def rule_test(rule: Rule, pool: ConstantPool) -> ast.expr:
    """The full test of one rule: effective dates, required fields, then its condition."""
    tests: list[ast.expr] = []
    as_of = ast.Name("as_of", ast.Load())
    if rule.effective_from:
        tests.append(ast.Compare(as_of, [ast.GtE()], [pool.add(rule.effective_from, "date")]))
    if rule.effective_until:
        tests.append(ast.Compare(as_of, [ast.LtE()], [pool.add(rule.effective_until, "date")]))
    for name in rule.requires:
        tests.append(ast.Compare(ast.Name(name, ast.Load()), [ast.IsNot()], [ast.Constant(None)]))
    tests.append(rule.condition_tree)
    return tests[0] if len(tests) == 1 else ast.BoolOp(ast.And(), tests)


def compile_checks(
    catalog: Catalog, rules: list[Rule], pool: ConstantPool
) -> dict[str, Callable[[Mapping[str, Any], Any, Any], list[int]]]:
    """One compiled check per category id, testing only the rules that apply to it."""
    functions: list[ast.stmt] = []
    for category in catalog.categories:
        functions.append(_category_function(category.id, rules, pool))
    module = ast.fix_missing_locations(ast.Module(functions, type_ignores=[]))
    namespace: dict[str, Any] = {"__builtins__": {}, **pool.values}
    # The code comes only from checked, lowered conditions: no user text reaches exec directly.
    exec(compile(module, "<guideline rules>", "exec"), namespace)  # noqa: S102
    return {category.id: namespace[f"check_{category.id}"] for category in catalog.categories}


def _category_function(category_id: str, rules: list[Rule], pool: ConstantPool) -> ast.FunctionDef:
    reads: list[str] = []
    tests: list[ast.stmt] = []
    for index, rule in enumerate(rules):
        if category_id not in rule.applies_to:
            continue
        for name in rule.reads:
            if name not in OFFER_NAMES and name not in reads:
                reads.append(name)
        append = ast.Expr(ast.Call(ast.Name("_append", ast.Load()), [ast.Constant(index)], []))
        tests.append(ast.If(rule_test(rule, pool), [append], []))
    get = ast.Attribute(ast.Name("_item", ast.Load()), "get", ast.Load())
    body: list[ast.stmt] = [ast.Assign([ast.Name("_get", ast.Store())], get)]
    for name in reads:
        value = ast.Call(ast.Name("_get", ast.Load()), [ast.Constant(name)], [])
        body.append(ast.Assign([ast.Name(name, ast.Store())], value))
    body.append(ast.Assign([ast.Name("_fired", ast.Store())], ast.List([], ast.Load())))
    append_of = ast.Attribute(ast.Name("_fired", ast.Load()), "append", ast.Load())
    body.append(ast.Assign([ast.Name("_append", ast.Store())], append_of))
    body.extend(tests)
    body.append(ast.Return(ast.Name("_fired", ast.Load())))
    arguments = ast.arguments(
        posonlyargs=[],
        args=[ast.arg("_item"), ast.arg("as_of"), ast.arg("recipient")],
        kwonlyargs=[],
        kw_defaults=[],
        defaults=[],
    )
    return ast.FunctionDef(f"check_{category_id}", arguments, body, [], None)
