"""Load a rules directory: read and check every YAML file, compile, run examples, build a RuleSet.

A rule set with any error never loads: every problem is collected and raised together as
RuleSetError, each as `file:line:col: message`, so a typo cannot silently disable a rule.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Mapping as FileMapping
from pathlib import Path
from typing import Any

from .catalog import Catalog, read_catalog
from .codegen import compile_checks
from .engine import RuleSet
from .examples import read_example, run_examples
from .expressions import (
    NEEDS,
    SET,
    TEXT,
    ConstantPool,
    ExpressionErrors,
    Names,
    Type,
    compile_condition,
    field_type,
)
from .routing import read_routing
from .rules import Rule, Template, Topic
from .schema import FILE_KEYS, RuleSchema, validate_mapping
from .source import Mapping, Position, Problems, RuleSetError, Sequence, did_you_mean, read_yaml

SPECIAL_FILES = ("catalog.yaml", "routing.yaml")


def load_rules(path: str | Path, run_rule_examples: bool = True) -> RuleSet:
    """Load and check a rules directory; RuleSetError lists every problem found."""
    directory = Path(path)
    if not directory.is_dir():
        raise RuleSetError([f"{directory}:1:1: not a directory of rule files"])
    return _load(directory, str(directory), run_rule_examples)


def load_rules_from_files(
    files: FileMapping[str, str], shown_in: str = "", run_rule_examples: bool = True
) -> RuleSet:
    """Load a rule set from its files' texts (name -> YAML), as stored by a publication.

    Errors name each file as `shown_in/name` (or just `name`). The version is the one the same
    files give in a directory, so a set keeps its version from disk to storage and back.
    """
    with tempfile.TemporaryDirectory(prefix="ruleset-") as folder:
        directory = Path(folder)
        for name, text in files.items():
            if Path(name).name != name:
                raise RuleSetError([f"{name}:1:1: a rule file name cannot name a folder"])
            (directory / name).write_bytes(text.encode("utf-8"))
        return _load(directory, shown_in, run_rule_examples)


def read_rule_files(path: str | Path) -> dict[str, str]:
    """The text of every file of a rules directory that its version covers (name -> text)."""
    return {
        file.name: file.read_bytes().decode("utf-8", errors="replace")
        for file in sorted(Path(path).glob("*.yaml"))
    }


def _load(directory: Path, shown_in: str, run_rule_examples: bool) -> RuleSet:
    problems = Problems()

    def shown(name: str) -> str:
        return str(Path(shown_in) / name) if shown_in else name

    catalog = read_catalog(directory / "catalog.yaml", shown("catalog.yaml"), problems)
    if catalog is None or problems.errors:
        problems.raise_if_any()
    assert catalog is not None
    for stray in sorted(directory.glob("*.yml")):
        problems.add(
            Position(shown(stray.name), 1, 1),
            "rule files must end in .yaml; this file would be ignored",
        )
    pool = ConstantPool()
    names = item_names(catalog)
    rules: list[Rule] = []
    topics: dict[str, Topic] = {}
    for file in rule_files(directory):
        rules.extend(
            _read_rule_file(file, shown(file.name), catalog, names, pool, problems, topics)
        )
    _check_duplicates(rules, problems)
    tags = tuple(sorted({tag for rule in rules for tag in rule.tags}))
    router = read_routing(
        directory / "routing.yaml", shown("routing.yaml"), catalog, tags, pool, problems
    )
    problems.raise_if_any()
    assert router is not None
    ruleset = RuleSet(
        version_of(directory),
        catalog,
        rules,
        compile_checks(catalog, rules, pool),
        router,
        topics,
    )
    if run_rule_examples:
        for result in run_examples(ruleset):
            if not result.passed:
                problems.add(result.example.where, result.explanation)
        problems.raise_if_any()
    return ruleset


def rule_files(directory: Path) -> list[Path]:
    """The guideline files of a rules directory, in the order their rules are listed."""
    return [f for f in sorted(directory.glob("*.yaml")) if f.name not in SPECIAL_FILES]


def version_of(directory: Path) -> str:
    """A content hash of every YAML file: identical files give an identical version."""
    digest = hashlib.sha256()
    for file in sorted(directory.glob("*.yaml")):
        digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def version_of_files(files: FileMapping[str, str]) -> str:
    """The version that `version_of` gives a directory holding exactly these files."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode("utf-8") + b"\0")
    return digest.hexdigest()[:16]


def item_names(catalog: Catalog) -> Names:
    """What a rule's condition may name: item fields, as_of, recipient, sets and needs."""
    variables: dict[str, Type] = {}
    for spec in [*catalog.item_fields.values(), *catalog.fields.values()]:
        variables[spec.name] = field_type(spec.type, spec.choices)
    variables["category"] = Type(TEXT, catalog.category_ids)
    variables["as_of"] = Type("date")
    recipients = tuple(value for value, _ in catalog.enums.get("recipient", ()))
    variables["recipient"] = Type(TEXT, recipients or None, nullable=True)
    constants: dict[str, tuple[Type, object]] = {
        name: (Type(SET), frozenset(values)) for name, values in catalog.sets.items()
    }
    constants["needs"] = (Type(NEEDS, tuple(catalog.needs)), dict(catalog.needs))
    return Names(variables, constants)


def _check_duplicates(rules: list[Rule], problems: Problems) -> None:
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            first = seen[rule.id].where
            problems.add(rule.where, f'rule id "{rule.id}" is already used at {first}')
        else:
            seen[rule.id] = rule


def _read_rule_file(
    file: Path,
    shown: str,
    catalog: Catalog,
    names: Names,
    pool: ConstantPool,
    problems: Problems,
    topics: dict[str, Topic],
) -> list[Rule]:
    data = read_yaml(file, shown, problems)
    if data is None:
        return []
    if not isinstance(data, Mapping) or not isinstance(data.get("rules"), Sequence):
        problems.add(Position(shown, 1, 1), "a rule file needs a topic and a list under rules:")
        return []
    for key in data:
        if key not in FILE_KEYS:
            problems.add(
                data.key_at(key), f'unknown key "{key}"' + did_you_mean(str(key), FILE_KEYS)
            )
    name = Path(shown).name
    topics[name] = Topic(name, str(data.get("topic") or name), str(data.get("summary") or ""))
    rules = []
    for index, entry in enumerate(data["rules"]):
        if not isinstance(entry, Mapping):
            problems.add(data["rules"].item_at(index), "a rule must be a mapping of id, title, ...")
            continue
        rule = _read_rule(entry, shown, catalog, names, pool, problems)
        if rule is not None:
            rules.append(rule)
    return rules


def _read_rule(
    entry: Mapping,
    shown: str,
    catalog: Catalog,
    names: Names,
    pool: ConstantPool,
    problems: Problems,
) -> Rule | None:
    before = len(problems.errors)
    fields = validate_mapping(RuleSchema(), entry, problems)
    if fields is None:
        return None
    applies_to, applies_text = _applies_to(entry, catalog, problems)
    when = "always" if fields["when"] is True else fields["when"]
    if not isinstance(when, str):
        problems.add(entry.value_at("when"), "when: must be a condition, e.g. damaged is true")
        return None
    requires = tuple(fields["requires"])
    _check_requires(entry, requires, catalog, problems)
    reads: list[str] = list(requires)
    tree = None
    try:
        condition = compile_condition(when, names, pool)
        tree = condition.tree
        reads.extend(n for n in condition.reads if n not in reads)
        _check_listed(condition.reads, applies_to, catalog, entry.value_at("when"), problems)
    except ExpressionErrors as exc:
        start = entry.value_at("when")
        for error in exc.errors:
            problems.add(start.shifted(error.line - 1, error.col), error.message)
    templates = {
        key: _template(entry, key, applies_to, catalog, names, problems)
        for key in ("message", "fix")
    }
    examples = []
    for index, raw in enumerate(fields["examples"]):
        example = read_example(raw, entry["examples"].item_at(index), catalog, problems)
        if example is not None:
            examples.append(example)
    dated = fields.get("effective_from") or fields.get("effective_until")
    if dated and any(example.as_of is None for example in examples):
        problems.add(
            entry.key_at("examples"), "examples of a rule with effective dates need as_of:"
        )
    message_template, fix_template = templates["message"], templates["fix"]
    if len(problems.errors) > before or message_template is None or fix_template is None:
        return None
    return Rule(
        id=fields["id"],
        title=fields["title"],
        applies_to=applies_to,
        applies_to_text=applies_text,
        when=when,
        outcome=fields["outcome"],
        message=fields["message"],
        fix=fields["fix"],
        reference=fields["reference"],
        tags=tuple(fields["tags"]),
        source_file=Path(shown).name,
        where=entry.where,
        requires=requires,
        effective_from=fields.get("effective_from"),
        effective_until=fields.get("effective_until"),
        notes=fields.get("notes", ""),
        examples=tuple(examples),
        reads=tuple(reads),
        message_template=message_template,
        fix_template=fix_template,
        condition_tree=tree,
    )


def _check_requires(
    entry: Mapping, requires: tuple[str, ...], catalog: Catalog, problems: Problems
) -> None:
    for index, name in enumerate(requires):
        if name not in catalog.item_fields and name not in catalog.fields:
            problems.add(
                entry["requires"].item_at(index),
                f'unknown field "{name}"'
                + did_you_mean(name, [*catalog.item_fields, *catalog.fields]),
            )


def _applies_to(
    entry: Mapping, catalog: Catalog, problems: Problems
) -> tuple[tuple[str, ...], str]:
    """Resolve applies_to: a list of ids, `all`, {all_except: [...]} or {with_field: name}."""
    value, where, ids = entry["applies_to"], entry.value_at("applies_to"), catalog.category_ids
    if value == "all":
        return ids, "all categories"
    if isinstance(value, Mapping) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "all_except" and isinstance(arg, Sequence):
            _known_categories(arg, catalog, problems)
            return tuple(c for c in ids if c not in arg), "all categories except " + ", ".join(arg)
        if key == "with_field" and isinstance(arg, str):
            if arg not in catalog.fields:
                problems.add(
                    value.value_at(key),
                    f'unknown field "{arg}"' + did_you_mean(arg, catalog.fields),
                )
            return tuple(
                c.id for c in catalog.categories if arg in c.fields
            ), f"categories with {arg}"
        problems.add(
            value.key_at(key),
            f'unknown form of applies_to "{key}"'
            + did_you_mean(str(key), ("all_except", "with_field")),
        )
        return (), ""
    if isinstance(value, Sequence) and value:
        _known_categories(value, catalog, problems)
        return tuple(value), ", ".join(value)
    problems.add(
        where,
        "applies_to must be all, a list of categories, {all_except: [...]} or {with_field: name}",
    )
    return (), ""


def _known_categories(values: Sequence, catalog: Catalog, problems: Problems) -> None:
    for index, value in enumerate(values):
        if value not in catalog:
            problems.add(
                values.item_at(index),
                f'unknown category "{value}"' + did_you_mean(str(value), catalog.category_ids),
            )


def _check_listed(
    reads: Any, applies_to: tuple[str, ...], catalog: Catalog, where: Position, problems: Problems
) -> None:
    """A category field must be asked for every category the rule applies to."""
    for name in reads:
        if name not in catalog.fields or name in catalog.item_fields:
            continue
        missing = [c for c in applies_to if c in catalog and name not in catalog.category(c).fields]
        if missing:
            problems.add(
                where,
                f'"{name}" is not asked for {", ".join(missing)}; '
                f"limit applies_to (e.g. with_field: {name})",
            )


def _template(
    entry: Mapping,
    key: str,
    applies_to: tuple[str, ...],
    catalog: Catalog,
    names: Names,
    problems: Problems,
) -> Template | None:
    text, start = entry[key], entry.value_at(key)
    try:
        placeholders = Template.placeholders(text)
    except ValueError as exc:
        problems.add(start, f"{key}: {exc} (write {{{{ and }}}} for a literal brace)")
        return None
    ok = True
    for name, offset, problem in placeholders:
        where = start.shifted(cols=offset)
        if problem:
            problems.add(where, problem)
            ok = False
        elif name not in names.variables:
            problems.add(
                where, f'unknown field "{{{name}}}" in {key}' + did_you_mean(name, names.variables)
            )
            ok = False
        else:
            _check_listed([name], applies_to, catalog, where, problems)
    if not ok:
        return None
    labels = {
        spec.name: dict(spec.choice_labels or ())
        for spec in [*catalog.item_fields.values(), *catalog.fields.values()]
        if spec.choice_labels
    }
    labels["recipient"] = dict(catalog.enums.get("recipient", ()))
    return Template(text, labels)
