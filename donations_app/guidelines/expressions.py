"""The condition language: parse with `ast`, allow a whitelist, type-check, lower to safe Python.

A condition is a Python expression restricted to names the catalog defines, literals, comparisons,
`and`/`or`/`not`, `in`, `+ - *` and a few helpers. Checking happens once, at load time; the result
is a plain Python `ast.expr` that the engine compiles (with empty `__builtins__`) into one function
per category. Missing values follow the rule "a comparison that reads a missing field does not
fire": the expression is put in negation normal form and every comparison is guarded by
`field is not None`, which gives three-valued logic without any cost at evaluation time.
"""

from __future__ import annotations

import ast
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from .source import did_you_mean

MAX_SOURCE = 1000
MAX_STRING = 200
MAX_NUMBER = 10**12
MAX_DEPTH = 40

DATE, DURATION, NUMBER, TEXT, BOOL, SET, LIST, NEEDS, ERROR = (
    "date",
    "duration",
    "number",
    "text",
    "bool",
    "set",
    "list",
    "needs",
    "error",
)
_CATALOG_TYPES = {
    "date": DATE,
    "bool": BOOL,
    "enum": TEXT,
    "text": TEXT,
    "integer": NUMBER,
    "decimal": NUMBER,
    "list": LIST,
}
_ORDERED = {DATE, DURATION, NUMBER}
_NEGATED: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.GtE,
    ast.LtE: ast.Gt,
    ast.Gt: ast.LtE,
    ast.GtE: ast.Lt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_OP_TEXT: dict[type[ast.AST], str] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
}
_BOOL_WORDS = {"true": True, "false": False, "always": True, "True": True, "False": False}
HELPERS = ("days", "date", "lower", "upper", "missing", "present", "count")


@dataclass(frozen=True)
class Type:
    """The static type of a value; `choices` is the vocabulary of text values or set members."""

    kind: str
    choices: tuple[str, ...] | None = None
    nullable: bool = False


def field_type(catalog_type: str, choices: tuple[str, ...] | None = None) -> Type:
    """The language type of a catalog field (always nullable: it may be missing)."""
    return Type(_CATALOG_TYPES[catalog_type], choices, nullable=True)


@dataclass
class Names:
    """What a condition may name: fields (local variables), offer values, constants."""

    variables: dict[str, Type]
    constants: dict[str, tuple[Type, object]] = field(default_factory=dict)


class ExpressionError(Exception):
    """One problem in a condition, at a 1-based line and 0-based column of its source."""

    def __init__(self, message: str, line: int = 1, col: int = 0) -> None:
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


class ConstantPool:
    """Values that cannot be Python literals (dates, sets, helpers), shared by compiled code."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}
        self._names: dict[tuple[type, object], str] = {}

    def add(self, value: object, hint: str = "k") -> ast.Name:
        """A name that refers to `value` in the compiled code's globals."""
        try:
            key = (type(value), value)
            name = self._names.get(key)
        except TypeError:
            key, name = None, None
        if name is None:
            name = f"_{hint}{len(self.values)}"
            self.values[name] = value
            if key is not None:
                self._names[key] = name
        return ast.Name(name, ast.Load())


@dataclass
class Condition:
    """A checked condition: its source, the variables it reads, and its lowered Python tree."""

    source: str
    reads: tuple[str, ...]
    tree: ast.expr


def _days(n: object) -> dt.timedelta:
    return dt.timedelta(days=int(n))  # type: ignore[call-overload]


def _count(values: object) -> int:
    return len(values)  # type: ignore[arg-type]


def compile_condition(source: str, names: Names, pool: ConstantPool) -> Condition:
    """Check a condition and lower it; raise a list of ExpressionError via ExpressionErrors."""
    if len(source) > MAX_SOURCE:
        raise ExpressionErrors(
            [ExpressionError(f"the condition is longer than {MAX_SOURCE} characters")]
        )
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionErrors(
            [
                ExpressionError(
                    f"not a valid condition: {exc.msg}", exc.lineno or 1, (exc.offset or 1) - 1
                )
            ]
        ) from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionErrors([ExpressionError("not a valid condition")]) from None
    checker = _Checker(names, source.strip())
    result = checker.check(tree.body, 0)
    if result.kind not in (BOOL, ERROR):
        checker.error(tree.body, f"the condition must be true or false, not a {result.kind} value")
    if checker.errors:
        raise ExpressionErrors(checker.errors)
    lowered = _Lowerer(names, pool, checker).condition(tree.body, negate=False)
    return Condition(source, tuple(checker.reads), lowered)


class ExpressionErrors(Exception):
    """All the problems found in one condition."""

    def __init__(self, errors: list[ExpressionError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


class _Checker:
    """Walks the tree once: rejects anything off the whitelist and infers each node's type."""

    def __init__(self, names: Names, source: str) -> None:
        self.names, self.source = names, source
        self.errors: list[ExpressionError] = []
        self.reads: list[str] = []
        self.types: dict[int, Type] = {}

    def error(self, node: ast.AST, message: str) -> Type:
        self.errors.append(
            ExpressionError(message, getattr(node, "lineno", 1), getattr(node, "col_offset", 0))
        )
        return Type(ERROR)

    def check(self, node: ast.AST, depth: int) -> Type:
        if depth > MAX_DEPTH:
            return self.error(node, "the condition is nested too deeply")
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            return self.error(node, f"{_describe(node)} is not allowed in a condition")
        result = method(node, depth + 1)
        self.types[id(node)] = result
        return result

    def _BoolOp(self, node: ast.BoolOp, depth: int) -> Type:
        for value in node.values:
            self._want_bool(value, depth, "and/or")
        return Type(BOOL)

    def _want_bool(self, node: ast.AST, depth: int, what: str) -> None:
        kind = self.check(node, depth).kind
        if kind not in (BOOL, ERROR):
            self.error(node, f"{what} needs true/false values, not a {kind} value")

    def _UnaryOp(self, node: ast.UnaryOp, depth: int) -> Type:
        if isinstance(node.op, ast.Not):
            self._want_bool(node.operand, depth, "not")
            return Type(BOOL)
        if isinstance(node.op, ast.USub | ast.UAdd):
            operand = self.check(node.operand, depth)
            if operand.kind not in (NUMBER, DURATION, ERROR):
                return self.error(node, f"a sign needs a number, not a {operand.kind} value")
            return Type(operand.kind, nullable=operand.nullable)
        return self.error(node, f"{_describe(node)} is not allowed in a condition")

    def _BinOp(self, node: ast.BinOp, depth: int) -> Type:
        left, right = self.check(node.left, depth), self.check(node.right, depth)
        if ERROR in (left.kind, right.kind):
            return Type(ERROR)
        op = type(node.op)
        if op not in (ast.Add, ast.Sub, ast.Mult):
            return self.error(node, f"{_describe(node.op)} is not allowed (only + - *)")
        nullable = left.nullable or right.nullable
        pair = (left.kind, right.kind)
        result = {
            (ast.Add, (DATE, DURATION)): DATE,
            (ast.Add, (DURATION, DATE)): DATE,
            (ast.Sub, (DATE, DURATION)): DATE,
            (ast.Sub, (DATE, DATE)): DURATION,
            (ast.Add, (DURATION, DURATION)): DURATION,
            (ast.Sub, (DURATION, DURATION)): DURATION,
            (ast.Add, (NUMBER, NUMBER)): NUMBER,
            (ast.Sub, (NUMBER, NUMBER)): NUMBER,
            (ast.Mult, (NUMBER, NUMBER)): NUMBER,
        }.get((op, pair))
        if result is None:
            return self.error(
                node,
                f"cannot compute {left.kind} {_OP_TEXT[op]} {right.kind}"
                + (" (write days(n) for a number of days)" if DATE in pair else ""),
            )
        return Type(result, nullable=nullable)

    def _Compare(self, node: ast.Compare, depth: int) -> Type:
        for operand in (node.left, *node.comparators):
            if isinstance(operand, ast.BoolOp | ast.Compare) or (
                isinstance(operand, ast.UnaryOp) and isinstance(operand.op, ast.Not)
            ):
                return self.error(
                    operand,
                    "a comparison compares a field with a value, not with another condition: "
                    'join conditions with and/or, e.g. damaged is true and voltage == "120"',
                )
        left_node = node.left
        left = self.check(left_node, depth)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.Is | ast.IsNot):
                self._check_is(left, right_node)
                right = Type(BOOL)
            else:
                right = self.check(right_node, depth)
                self._check_pair(node, type(op), left, left_node, right, right_node)
            left, left_node = right, right_node
        return Type(BOOL)

    def _check_is(self, left: Type, right_node: ast.AST) -> None:
        word = getattr(right_node, "id", getattr(right_node, "value", None))
        if not (
            isinstance(right_node, ast.Name) and word in _BOOL_WORDS and word != "always"
        ) and not (isinstance(right_node, ast.Constant) and isinstance(word, bool)):
            self.error(
                right_node, "write `is true` or `is not true` (is compares only with true/false)"
            )
        elif left.kind not in (BOOL, ERROR):
            self.error(right_node, f"`is true` needs a yes/no field, not a {left.kind} value")

    def _check_pair(
        self,
        node: ast.AST,
        op: type[ast.cmpop],
        left: Type,
        left_node: ast.AST,
        right: Type,
        right_node: ast.AST,
    ) -> None:
        if ERROR in (left.kind, right.kind):
            return
        if op in (ast.In, ast.NotIn):
            if right.kind not in (SET, LIST):
                self.error(
                    right_node, f"`in` needs a set or a list on the right, not a {right.kind} value"
                )
            elif left.kind != TEXT:
                self.error(left_node, f"`in` looks for a text value, not a {left.kind} value")
            else:
                self._check_literal_choices(left_node, right.choices)
                if isinstance(right_node, ast.List | ast.Tuple | ast.Set):
                    for element in right_node.elts:
                        self._check_literal_choices(element, left.choices)
            return
        if left.kind != right.kind:
            self.error(node, f"cannot compare a {left.kind} value with a {right.kind} value")
            return
        if op not in (ast.Eq, ast.NotEq) and left.kind not in _ORDERED:
            self.error(node, f"{_OP_TEXT[op]} does not apply to {left.kind} values; use == or !=")
            return
        if left.kind == TEXT:
            self._check_literal_choices(right_node, left.choices)
            self._check_literal_choices(left_node, right.choices)

    def _check_literal_choices(self, node: ast.AST, choices: tuple[str, ...] | None) -> None:
        if choices is None or not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            return
        if node.value not in choices:
            self.error(
                node, f'"{node.value}" is not a possible value' + did_you_mean(node.value, choices)
            )

    def _Name(self, node: ast.Name, depth: int) -> Type:
        name = node.id
        if name.startswith("_"):
            return self.error(
                node, f'the name "{name}" is not allowed (names may not start with _)'
            )
        if name in _BOOL_WORDS:
            return Type(BOOL)
        if name in self.names.variables:
            if name not in self.reads:
                self.reads.append(name)
            return self.names.variables[name]
        if name in self.names.constants:
            kind = self.names.constants[name][0]
            if kind.kind == NEEDS:
                return self.error(
                    node, "needs must be indexed by a recipient, e.g. needs[recipient]"
                )
            return kind
        if name in HELPERS:
            return self.error(node, f"{name} is a function: call it, e.g. {name}(...)")
        known = [*self.names.variables, *self.names.constants, "true", "false"]
        return self.error(node, f'unknown name "{name}"' + did_you_mean(name, known))

    def _Constant(self, node: ast.Constant, depth: int) -> Type:
        value = node.value
        if isinstance(value, bool):
            return Type(BOOL)
        if isinstance(value, str):
            if len(value) > MAX_STRING:
                return self.error(node, f"text longer than {MAX_STRING} characters")
            return Type(TEXT)
        if isinstance(value, int | float) and not isinstance(value, complex):
            if abs(value) > MAX_NUMBER or value != value:
                return self.error(node, f"numbers are limited to {MAX_NUMBER:,}")
            return Type(NUMBER)
        return self.error(node, f"the literal {value!r} is not allowed")

    def _List(self, node: ast.List | ast.Tuple | ast.Set, depth: int) -> Type:
        if len(node.elts) > 100:
            return self.error(node, "a list in a condition may hold at most 100 values")
        for element in node.elts:
            if not (isinstance(element, ast.Constant) and isinstance(element.value, str)):
                return self.error(element, "a list in a condition may only hold quoted text values")
            self.check(element, depth)
        return Type(SET, tuple(e.value for e in node.elts))  # type: ignore[attr-defined]

    _Tuple = _Set = _List

    def _Subscript(self, node: ast.Subscript, depth: int) -> Type:
        base = node.value
        if not (
            isinstance(base, ast.Name)
            and base.id in self.names.constants
            and self.names.constants[base.id][0].kind == NEEDS
        ):
            return self.error(node, "[...] is allowed only as needs[recipient]")
        key = self.check(node.slice, depth)
        if key.kind not in (TEXT, ERROR):
            return self.error(node.slice, f"needs[...] takes a recipient, not a {key.kind} value")
        need_type = self.names.constants[base.id][0]
        self._check_literal_choices(node.slice, need_type.choices)
        return Type(SET, self.names.variables.get("category", Type(TEXT)).choices, key.nullable)

    def _Call(self, node: ast.Call, depth: int) -> Type:
        func = node.func
        if not isinstance(func, ast.Name):
            return self.error(node, f"calling {_describe(func)} is not allowed in a condition")
        if func.id.startswith("_"):
            return self.error(
                node, f'the name "{func.id}" is not allowed (names may not start with _)'
            )
        if func.id not in HELPERS:
            return self.error(
                node, f'unknown function "{func.id}"' + did_you_mean(func.id, HELPERS)
            )
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            return self.error(node, f"{func.id}() takes exactly one value")
        if func.id in ("missing", "present"):
            return self._presence_test(func.id, node.args[0], depth)
        if func.id == "date":
            return self._date_literal(node.args[0])
        return self._conversion(func.id, node.args[0], depth)

    def _presence_test(self, name: str, arg_node: ast.expr, depth: int) -> Type:
        if not (isinstance(arg_node, ast.Name) and arg_node.id in self.names.variables):
            return self.error(arg_node, f"{name}() takes a field name")
        self.check(arg_node, depth)
        return Type(BOOL)

    def _date_literal(self, arg_node: ast.expr) -> Type:
        if not (isinstance(arg_node, ast.Constant) and isinstance(arg_node.value, str)):
            return self.error(arg_node, 'date() takes a quoted date, e.g. date("2026-01-31")')
        try:
            dt.date.fromisoformat(arg_node.value)
        except ValueError:
            return self.error(arg_node, f'"{arg_node.value}" is not a date (YYYY-MM-DD)')
        return Type(DATE)

    def _conversion(self, name: str, arg_node: ast.expr, depth: int) -> Type:
        arg = self.check(arg_node, depth)
        want = {"days": NUMBER, "lower": TEXT, "upper": TEXT, "count": LIST}[name]
        if arg.kind not in (want, ERROR):
            return self.error(arg_node, f"{name}() takes a {want} value, not a {arg.kind} value")
        result = {"days": DURATION, "lower": TEXT, "upper": TEXT, "count": NUMBER}[name]
        choices = arg.choices if name in ("lower", "upper") else None
        if choices is not None:
            choices = tuple(getattr(c, name)() for c in choices)
        return Type(result, choices, arg.nullable)


class _Lowerer:
    """Builds the safe, guarded Python expression from a checked tree."""

    def __init__(self, names: Names, pool: ConstantPool, checker: _Checker) -> None:
        self.names, self.pool, self.checker = names, pool, checker

    def condition(self, node: ast.AST, negate: bool) -> ast.expr:
        if isinstance(node, ast.BoolOp):
            is_and = isinstance(node.op, ast.And) != negate
            values = [self.condition(v, negate) for v in node.values]
            return ast.BoolOp(ast.And() if is_and else ast.Or(), values)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return self.condition(node.operand, not negate)
        if isinstance(node, ast.Compare):
            atoms, left = [], node.left
            for op, right in zip(node.ops, node.comparators, strict=True):
                atoms.append(self.atom(left, type(op), right, negate))
                left = right
            if len(atoms) == 1:
                return atoms[0]
            return ast.BoolOp(ast.Or() if negate else ast.And(), atoms)
        if isinstance(node, ast.Name) and node.id in _BOOL_WORDS:
            return ast.Constant(_BOOL_WORDS[node.id] != negate)
        if isinstance(node, ast.Constant):
            return ast.Constant(bool(node.value) != negate)
        if isinstance(node, ast.Call):
            is_missing = (node.func.id == "missing") != negate  # type: ignore[attr-defined]
            op = ast.Is() if is_missing else ast.IsNot()
            return ast.Compare(self.value(node.args[0]), [op], [ast.Constant(None)])
        # A bare yes/no field: true only when it is True; a missing one matches neither way.
        return ast.Compare(self.value(node), [ast.Is()], [ast.Constant(not negate)])

    def atom(self, left: ast.AST, op: type[ast.cmpop], right: ast.AST, negate: bool) -> ast.expr:
        if negate:
            op = _NEGATED[op]
        if op in (ast.Is, ast.IsNot):
            word = getattr(right, "id", getattr(right, "value", None))
            target = ast.Constant(_BOOL_WORDS.get(word, word))  # type: ignore[arg-type]
            return ast.Compare(self.value(left), [op()], [target])
        compare = ast.Compare(self.value(left), [op()], [self.value(right)])
        return self._guard(left, compare, [right])

    def _guard(self, first: ast.AST, expr: ast.expr, others: list[ast.AST]) -> ast.expr:
        nullable: list[str] = []
        for part in [first, *others]:
            for sub in ast.walk(part):
                if not isinstance(sub, ast.Name):
                    continue
                variable = self.names.variables.get(sub.id)
                if variable is not None and variable.nullable and sub.id not in nullable:
                    nullable.append(sub.id)
        if not nullable:
            return expr
        checks: list[ast.expr] = [
            ast.Compare(ast.Name(n, ast.Load()), [ast.IsNot()], [ast.Constant(None)])
            for n in nullable
        ]
        return ast.BoolOp(ast.And(), [*checks, expr])

    def value(self, node: ast.AST) -> ast.expr:
        if isinstance(node, ast.Name):
            return self._name_value(node)
        if isinstance(node, ast.Constant):
            return self._constant_value(node)
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return self.pool.add(frozenset(e.value for e in node.elts), "set")  # type: ignore[attr-defined]
        if isinstance(node, ast.UnaryOp):
            return ast.UnaryOp(
                ast.USub() if isinstance(node.op, ast.USub) else ast.UAdd(),
                self.value(node.operand),
            )
        if isinstance(node, ast.BinOp):
            return ast.BinOp(self.value(node.left), type(node.op)(), self.value(node.right))
        if isinstance(node, ast.Subscript):
            base = self.pool.add(self.names.constants[node.value.id][1], "needs")  # type: ignore[attr-defined]
            return ast.Subscript(base, self.value(node.slice), ast.Load())
        if isinstance(node, ast.Call):
            return self._call(node)
        raise AssertionError(f"unchecked node {type(node).__name__}")  # pragma: no cover

    def _name_value(self, node: ast.Name) -> ast.expr:
        if node.id in _BOOL_WORDS:
            return ast.Constant(_BOOL_WORDS[node.id])
        if node.id in self.names.variables:
            return ast.Name(node.id, ast.Load())
        return self.pool.add(self.names.constants[node.id][1], "set")

    def _constant_value(self, node: ast.Constant) -> ast.expr:
        if isinstance(node.value, float):
            text = ast.get_source_segment(self.checker.source, node) or repr(node.value)
            try:
                return self.pool.add(Decimal(text), "n")
            except InvalidOperation:
                return self.pool.add(Decimal(repr(node.value)), "n")
        return ast.Constant(node.value)

    def _call(self, node: ast.Call) -> ast.expr:
        name, arg = node.func.id, node.args[0]  # type: ignore[attr-defined]
        if name == "date":
            return self.pool.add(dt.date.fromisoformat(arg.value), "date")  # type: ignore[attr-defined]
        if name == "days" and isinstance(arg, ast.Constant):
            return self.pool.add(_days(arg.value), "days")
        if name in ("missing", "present"):
            return self.condition(node, negate=False)
        function = {"days": _days, "lower": str.lower, "upper": str.upper, "count": _count}[name]
        return ast.Call(self.pool.add(function, name), [self.value(arg)], [])


def _describe(node: ast.AST) -> str:
    names = {
        "Attribute": "attribute access (.)",
        "Subscript": "indexing ([...])",
        "Lambda": "lambda",
        "ListComp": "a comprehension",
        "SetComp": "a comprehension",
        "DictComp": "a comprehension",
        "GeneratorExp": "a comprehension",
        "Pow": "**",
        "Div": "/",
        "FloorDiv": "//",
        "Mod": "%",
        "Dict": "a {...} mapping",
        "JoinedStr": "an f-string",
        "NamedExpr": ":=",
        "IfExp": "if/else",
        "Await": "await",
        "Yield": "yield",
        "Starred": "*",
        "BitAnd": "&",
        "BitOr": "|",
        "BitXor": "^",
        "LShift": "<<",
        "RShift": ">>",
        "MatMult": "@",
        "Invert": "~",
    }
    return names.get(type(node).__name__, type(node).__name__)
