"""Read YAML files keeping where each key and value came from, for `file:line:col` messages."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class RuleSetError(Exception):
    """A rule set (or catalog) that cannot load; `.errors` are `file:line:col: message` strings."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


@dataclass(frozen=True)
class Position:
    """A 1-based line and column in a named file."""

    file: str
    line: int
    col: int

    def shifted(self, lines: int = 0, cols: int = 0) -> Position:
        """The position `lines` below and `cols` to the right."""
        return Position(self.file, self.line + lines, self.col + cols)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class Problems:
    """Collects every error found while loading, so a maintainer sees them all at once."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def add(self, where: Position, message: str) -> None:
        """Record one error at a position."""
        self.errors.append(f"{where}: {message}")

    def raise_if_any(self) -> None:
        """Raise RuleSetError when anything was recorded."""
        if self.errors:
            raise RuleSetError(self.errors)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A ' (did you mean "x"?)' suffix naming the closest candidate, or ''."""
    candidates = list(candidates)
    same_letters = [c for c in candidates if c.lower() == str(word).lower()]
    close = same_letters or difflib.get_close_matches(str(word), candidates, n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


class Mapping(dict):
    """A YAML mapping that remembers the position of each key and value."""

    where: Position
    key_where: dict[Any, Position]
    value_where: dict[Any, Position]
    value_style: dict[Any, str | None]

    def key_at(self, key: Any) -> Position:
        """Where `key` is written, or where the mapping starts."""
        return self.key_where.get(key, self.where)

    def value_at(self, key: Any) -> Position:
        """Where the value of `key` starts, or where the mapping starts."""
        return self.value_where.get(key, self.where)


class Sequence(list):
    """A YAML sequence that remembers the position of each element."""

    where: Position
    item_where: list[Position]

    def item_at(self, index: int) -> Position:
        """Where element `index` starts."""
        return self.item_where[index] if index < len(self.item_where) else self.where


class _Loader(yaml.SafeLoader):
    file_name = ""
    duplicates: list[tuple[Position, str]]

    def at(self, mark: yaml.Mark) -> Position:
        return Position(self.file_name, mark.line + 1, mark.column + 1)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode):
    data = Mapping()
    data.where = loader.at(node.start_mark)
    data.key_where, data.value_where, data.value_style = {}, {}, {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be plain text", key_node.start_mark
            ) from None
        if key in data:
            loader.duplicates.append((loader.at(key_node.start_mark), f'"{key}" is given twice'))
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_where[key] = loader.at(key_node.start_mark)
        data.value_where[key] = _content_start(loader, value_node)
        data.value_style[key] = getattr(value_node, "style", None)


def _content_start(loader: _Loader, node: yaml.Node) -> Position:
    """Where a scalar's text begins: after an opening quote, or on the line after `|`/`>`."""
    where = loader.at(node.start_mark)
    style = getattr(node, "style", None)
    if style in ("'", '"'):
        return where.shifted(cols=1)
    mark = node.start_mark
    if style in ("|", ">") and mark.buffer is not None:
        newline = mark.buffer.find("\n", mark.pointer)
        if newline >= 0:
            start = newline + 1
            indent = len(mark.buffer[start:]) - len(mark.buffer[start:].lstrip(" "))
            return Position(where.file, where.line + 1, indent + 1)
    return where


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode):
    data = Sequence()
    data.where = loader.at(node.start_mark)
    data.item_where = [loader.at(child.start_mark) for child in node.value]
    yield data
    data.extend(loader.construct_object(child, deep=True) for child in node.value)


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    """A date or time; an impossible one (2026-13-01) is an error at its position, not a crash."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f'"{node.value}" is not a real date ({exc}); write it as YYYY-MM-DD, e.g. 2026-01-31',
            node.start_mark,
        ) from None


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)

# PyYAML's wording, as a maintainer who is not a programmer would want it, with the fix.
_PLAIN_YAML = (
    (
        "expected <block end>",
        "the indentation does not line up: this line is indented differently from the "
        "lines before it; indent keys of the same mapping, and the dashes of the same "
        "list, by exactly the same number of spaces",
    ),
    (
        "mapping values are not allowed here",
        'a second ":" on one line, or a line indented under a value; put quotes around '
        'text that contains ": " (message: "Note: ...") or fix the indentation',
    ),
    (
        "cannot start any token",
        "a tab or other character YAML does not allow here; indent with spaces only, "
        "and quote text that starts with @, ` or %",
    ),
    (
        "expected ',' or ']'",
        'a list written in [ ] is not closed; add the "]" (or quote a value containing a comma)',
    ),
    (
        "expected ',' or '}'",
        'a mapping written in { } is not closed; add the "}" (or quote a value containing a comma)',
    ),
    (
        "while scanning a quoted scalar",
        "a quoted text has no closing quote; add the quote at its end",
    ),
    (
        "found undefined alias",
        "a * reference to an anchor that does not exist; quote text that starts with *",
    ),
    (
        "could not determine a constructor",
        "a ! tag that rule files do not use; remove it, or quote text that starts with !",
    ),
)


def plain_yaml_message(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's error as a sentence saying what is wrong and how to fix it."""
    problem = str(exc.problem or exc.context or "not valid YAML")
    whole = f"{exc.context or ''} {problem}"
    for pattern, plain in _PLAIN_YAML:
        if pattern in whole:
            return f"YAML syntax: {plain} (the parser said: {problem})"
    if problem.startswith('"'):
        return problem
    return f"YAML syntax: {problem}"


def read_yaml(path: Path, shown_as: str, problems: Problems) -> Any:
    """Parse one YAML file into Mapping/Sequence/scalars; syntax errors go to `problems`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(Position(shown_as, 1, 1), f"cannot read the file: {exc}")
        return None
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        # The reader refuses control characters before parsing starts, with no line mark.
        before = text[: exc.position]
        where = Position(shown_as, before.count("\n") + 1, len(before.rsplit("\n", 1)[-1]) + 1)
        problems.add(where, f"YAML syntax: the character U+{exc.character:04X} is not allowed")
        return None
    loader.file_name = shown_as
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = loader.at(mark) if mark else Position(shown_as, 1, 1)
        problems.add(where, plain_yaml_message(exc))
        return None
    except yaml.YAMLError as exc:
        problems.add(Position(shown_as, 1, 1), f"YAML syntax: {exc}")
        return None
    finally:
        loader.dispose()
    for where, message in loader.duplicates:
        problems.add(where, message)
    return data
