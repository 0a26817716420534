"""Property tests: nothing outside the condition language's whitelist ever compiles or evaluates."""

from __future__ import annotations

import ast
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from donations_app.guidelines import load_catalog
from donations_app.guidelines.expressions import (
    ConstantPool,
    ExpressionErrors,
    compile_condition,
)
from donations_app.guidelines.loader import item_names

from .conftest import RULES_DIR

NAMES = item_names(load_catalog(RULES_DIR))
SAFE_NODES = (
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.UnaryOp,
    ast.USub,
    ast.UAdd,
    ast.Call,
    ast.Subscript,
)

FORBIDDEN = [
    "expires_on.year > 2000",
    "damaged.__class__",
    "().__class__.__bases__[0].__subclasses__()",
    "__import__('os').system('true')",
    "open('/etc/passwd') == 'x'",
    "eval('1') == 1",
    "exec('x=1')",
    "getattr(damaged, 'real')",
    "globals() == 1",
    "__builtins__ == 1",
    "[x for x in cotccc_tourniquets] == 1",
    "{x for x in needs} == 1",
    "(lambda: True)()",
    "10**10**10 > 1",
    "2 ** 8 > 1",
    '"a" * 10**9 == "a"',
    '"a" * 1000 == "a"',
    "quantity > 10000000000000",
    "quantity / 2 > 1",
    "quantity // 2 > 1",
    "quantity % 2 == 1",
    "damaged[0]",
    "needs['sbgs'][0] == 'x'",
    "cotccc_tourniquets[0] == 'x'",
    "(x := 1) == 1",
    "f'{damaged}' == 'x'",
    "1 if damaged else 0",
    "not quantity",
    "_item == 1",
    "_get('x') == 1",
    "quantity @ quantity == 1",
    "~quantity == 1",
    "{'a': 1} == 1",
    "lower(model, model) == 'x'",
    "lower(model=model) == 'x'",
    "lower(*model) == 'x'",
    "days(1)",
    "model",
    "'x' * quantity == 'x'",
    "b'x' == model",
    "None == model",
    "1j == quantity",
    "...",
    "await x",
    "yield 1",
    "x" * 1001,
    "(" * 300 + "damaged" + ")" * 300,
    "not " * 100 + "damaged",
]


@pytest.mark.parametrize("source", FORBIDDEN)
def test_forbidden_constructs_are_rejected_at_load_time(source):
    with pytest.raises(ExpressionErrors):
        compile_condition(source, NAMES, ConstantPool())


def assert_whitelisted(tree: ast.expr, pool: ConstantPool) -> None:
    for node in ast.walk(tree):
        assert isinstance(node, SAFE_NODES), ast.dump(node)
        if isinstance(node, ast.Name):
            assert node.id in NAMES.variables or node.id in pool.values, node.id
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name) and node.func.id in pool.values
        if isinstance(node, ast.Subscript):
            assert isinstance(node.value, ast.Name) and node.value.id.startswith("_needs")
        if isinstance(node, ast.Constant):
            assert node.value is None or isinstance(node.value, bool | int | str)


TOKENS = [
    "damaged",
    "expires_on",
    "as_of",
    "quantity",
    "unit_value_usd",
    "model",
    "category",
    "protection_level",
    "recipient",
    "needs",
    "cotccc_tourniquets",
    "days",
    "lower",
    "missing",
    "present",
    "date",
    "true",
    "false",
    "and",
    "or",
    "not",
    "in",
    "is",
    "<",
    "<=",
    "==",
    "!=",
    "+",
    "-",
    "*",
    "**",
    "/",
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
    "1",
    "180",
    "10000",
    "'IV'",
    '"2026-01-01"',
    "__import__",
    "open",
    "lambda",
    ":",
    "for",
    "x",
    "__class__",
    "if",
    "else",
    "{",
    "}",
    "@",
    "~",
    "%",
]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12))
def test_random_token_soup_never_escapes_the_whitelist(tokens):
    pool = ConstantPool()
    try:
        condition = compile_condition(" ".join(tokens), NAMES, pool)
    except ExpressionErrors:
        return
    assert_whitelisted(condition.tree, pool)


@given(st.text(max_size=60))
@settings(max_examples=500, deadline=None)
def test_random_text_only_ever_raises_expression_errors(source):
    pool = ConstantPool()
    try:
        condition = compile_condition(source, NAMES, pool)
    except ExpressionErrors:
        return
    assert_whitelisted(condition.tree, pool)


def _leaf() -> st.SearchStrategy[ast.expr]:
    names = st.sampled_from([*NAMES.variables, "open", "__import__", "eval", "x", "needs"])
    return st.one_of(
        names.map(lambda n: ast.Name(n, ast.Load())),
        st.integers(-(10**15), 10**15).map(ast.Constant),
        st.sampled_from(["IV", "poor", "body_armor", "sbgs", "x" * 300]).map(ast.Constant),
        st.booleans().map(ast.Constant),
    )


def _extend(children: st.SearchStrategy[ast.expr]) -> st.SearchStrategy[ast.expr]:
    ops = [ast.Add(), ast.Sub(), ast.Mult(), ast.Pow(), ast.Div(), ast.Mod()]
    cmps = [ast.Lt(), ast.Eq(), ast.NotEq(), ast.In(), ast.NotIn(), ast.GtE(), ast.Is()]
    funcs = ["days", "lower", "missing", "present", "open", "getattr", "count"]
    return st.one_of(
        st.tuples(children, st.sampled_from(ops), children).map(
            lambda t: ast.BinOp(t[0], t[1], t[2])
        ),
        st.tuples(children, st.sampled_from(cmps), children).map(
            lambda t: ast.Compare(t[0], [t[1]], [t[2]])
        ),
        st.lists(children, min_size=2, max_size=3).map(lambda v: ast.BoolOp(ast.And(), v)),
        st.lists(children, min_size=2, max_size=3).map(lambda v: ast.BoolOp(ast.Or(), v)),
        children.map(lambda c: ast.UnaryOp(ast.Not(), c)),
        st.tuples(st.sampled_from(funcs), children).map(
            lambda t: ast.Call(ast.Name(t[0], ast.Load()), [t[1]], [])
        ),
        st.tuples(children, st.sampled_from(["year", "__class__"])).map(
            lambda t: ast.Attribute(t[0], t[1], ast.Load())
        ),
        st.tuples(children, children).map(lambda t: ast.Subscript(t[0], t[1], ast.Load())),
        children.map(lambda c: ast.Lambda(ast.arguments([], [], None, [], [], None, []), c)),
        children.map(
            lambda c: ast.ListComp(c, [ast.comprehension(ast.Name("x", ast.Store()), c, [], 0)])
        ),
    )


FORBIDDEN_TYPES = (ast.Attribute, ast.Lambda, ast.ListComp, ast.Pow, ast.Div, ast.Mod)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(_leaf(), _extend, max_leaves=12))
def test_random_asts_with_forbidden_nodes_never_compile(tree):
    source = ast.unparse(ast.fix_missing_locations(ast.Expression(tree)))
    pool = ConstantPool()
    try:
        condition = compile_condition(source, NAMES, pool)
    except ExpressionErrors:
        return
    assert not any(isinstance(n, FORBIDDEN_TYPES) for n in ast.walk(tree)), source
    assert_whitelisted(condition.tree, pool)
    _evaluate(condition, pool)


def _evaluate(condition, pool) -> None:
    """Run a compiled condition with empty builtins on a typical item: it must just answer."""
    items = [
        {name: None for name in NAMES.variables},
        {
            "category": "body_armor",
            "expires_on": dt.date(2027, 1, 1),
            "damaged": True,
            "quantity": 3,
            "unit_value_usd": Decimal("12.50"),
            "model": "TX2",
            "protection_level": "IV",
            "serial_numbers": ["A1"],
            "condition": "good",
        },
    ]
    code = compile(ast.fix_missing_locations(ast.Expression(condition.tree)), "<fuzz>", "eval")
    for item in items:
        scope = {name: item.get(name) for name in NAMES.variables}
        scope.update(as_of=dt.date(2026, 6, 1), recipient="npu")
        result = eval(code, {"__builtins__": {}, **pool.values}, scope)  # noqa: S307
        assert isinstance(result, bool)
