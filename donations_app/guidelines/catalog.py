"""The equipment catalog (rules/catalog.yaml): categories, fields, named sets, needs, enums."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TypeGuard

from .source import Mapping, Position, Problems, Sequence, did_you_mean, read_yaml

FIELD_TYPES = ("date", "bool", "enum", "text", "integer", "decimal", "list")
ENUMS = ("agency_type", "recipient", "condition", "acquired_via", "state")
RECIPIENTS = ("sbgs", "npu")
# Names the condition language gives its own meaning; a field or set may not take them.
RESERVED = frozenset(
    {"as_of", "recipient", "needs", "true", "false", "always", "none", "tags", "categories"}
    | {"total_value", "days", "date", "lower", "upper", "missing", "present", "count"}
)
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_TOP_KEYS = ("categories", "item_fields", "fields", "sets", "needs", "enums")
_FIELD_KEYS = ("label", "type", "hint", "choices", "enum", "suggestions")


@dataclass(frozen=True)
class FieldSpec:
    """One question asked about an item: its type, allowed answers and donor hint."""

    name: str
    label: str
    type: str
    choices: tuple[str, ...] | None = None
    choice_labels: tuple[tuple[str, str], ...] | None = None
    hint: str = ""
    suggestions: tuple[str, ...] | None = None

    def label_of(self, value: object) -> str:
        """The human label of an enum value (the value itself when unknown)."""
        for choice, label in self.choice_labels or ():
            if choice == value:
                return label
        return str(value)


@dataclass(frozen=True)
class Category:
    """A kind of equipment and the extra fields asked for it."""

    id: str
    label: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    """Everything the form, the API schema and the rule checker know about items."""

    categories: list[Category]
    item_fields: dict[str, FieldSpec]
    fields: dict[str, FieldSpec]
    sets: dict[str, tuple[str, ...]]
    needs: dict[str, frozenset[str]]
    enums: dict[str, tuple[tuple[str, str], ...]]

    def category(self, category_id: str) -> Category:
        """The category with this id (KeyError if there is none)."""
        for category in self.categories:
            if category.id == category_id:
                return category
        raise KeyError(category_id)

    def __contains__(self, category_id: object) -> bool:
        return any(category.id == category_id for category in self.categories)

    @property
    def category_ids(self) -> tuple[str, ...]:
        """Category ids in catalog order."""
        return tuple(category.id for category in self.categories)

    def field(self, name: str) -> FieldSpec:
        """The spec of a common or category field."""
        return self.fields[name] if name in self.fields else self.item_fields[name]


def load_catalog(path: str | Path) -> Catalog:
    """Load catalog.yaml from a rules directory (or the file itself); RuleSetError on any error."""
    path = Path(path)
    file = path / "catalog.yaml" if path.is_dir() else path
    problems = Problems()
    catalog = read_catalog(file, str(file), problems)
    problems.raise_if_any()
    assert catalog is not None
    return catalog


def read_catalog(file: Path, shown_as: str, problems: Problems) -> Catalog | None:
    """Read and check a catalog file, recording errors; None when it is unusable."""
    data = read_yaml(file, shown_as, problems)
    if data is None:
        return None
    if not isinstance(data, Mapping):
        problems.add(Position(shown_as, 1, 1), "the catalog must be a mapping of sections")
        return None
    _unknown_keys(data, _TOP_KEYS, problems)
    enums = _read_enums(data, problems)
    sets = _read_sets(data, problems)
    item_fields = _read_fields(data, "item_fields", enums, sets, problems)
    fields = _read_fields(data, "fields", enums, sets, problems)
    categories = _read_categories(data, fields, problems)
    ids = tuple(category.id for category in categories)
    if "category" in item_fields:
        labels = tuple((category.id, category.label) for category in categories)
        item_fields["category"] = _with_choices(item_fields["category"], labels)
    for name in set(fields) - set(item_fields):
        if name in sets:
            problems.add(data.key_at("sets"), f'set "{name}" has the same name as a field')
    needs = _read_needs(data, ids, problems)
    return Catalog(categories, item_fields, fields, sets, needs, enums)


def _unknown_keys(mapping: Mapping, allowed: tuple[str, ...], problems: Problems) -> None:
    for key in mapping:
        if key not in allowed:
            problems.add(mapping.key_at(key), f'unknown key "{key}"' + did_you_mean(key, allowed))


def _labelled(mapping: object, where: Position, problems: Problems) -> tuple[tuple[str, str], ...]:
    if not isinstance(mapping, Mapping) or not mapping:
        problems.add(where, "expected a mapping of value: label")
        return ()
    pairs = []
    for value, label in mapping.items():
        if not isinstance(value, str) or not isinstance(label, str):
            problems.add(mapping.key_at(value), f"value and label must be text (quote {value!r})")
            continue
        pairs.append((value, label))
    return tuple(pairs)


def _read_enums(data: Mapping, problems: Problems) -> dict[str, tuple[tuple[str, str], ...]]:
    section = data.get("enums")
    if not isinstance(section, Mapping):
        problems.add(data.key_at("enums"), "an enums section (a mapping) is required")
        return {}
    enums = {
        name: _labelled(body, section.value_at(name), problems) for name, body in section.items()
    }
    for name in ENUMS:
        if name not in enums:
            problems.add(section.where, f'the enum "{name}" is required')
    return enums


def _name_ok(name: object, where: Position, what: str, problems: Problems) -> TypeGuard[str]:
    if not isinstance(name, str) or not _NAME.match(name) or keyword.iskeyword(name):
        problems.add(where, f"{what} {name!r} must be lower_case letters, digits and _")
        return False
    if name in RESERVED:
        problems.add(where, f'{what} "{name}" is a reserved word of the rule language')
        return False
    return True


def _read_sets(data: Mapping, problems: Problems) -> dict[str, tuple[str, ...]]:
    section = data.get("sets", Mapping())
    sets: dict[str, tuple[str, ...]] = {}
    if not isinstance(section, Mapping):
        problems.add(data.value_at("sets"), "sets must be a mapping of name: [values]")
        return sets
    for name, values in section.items():
        if not _name_ok(name, section.key_at(name), "set name", problems):
            continue
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            problems.add(section.value_at(name), f'set "{name}" must be a list of text values')
            continue
        sets[name] = tuple(values)
    return sets


def _read_categories(
    data: Mapping, known: dict[str, FieldSpec], problems: Problems
) -> list[Category]:
    section = data.get("categories")
    if not isinstance(section, Sequence) or not section:
        problems.add(data.key_at("categories"), "a non-empty list of categories is required")
        return []
    categories: list[Category] = []
    seen: set[str] = set()
    for index, entry in enumerate(section):
        where = section.item_at(index)
        if not isinstance(entry, Mapping):
            problems.add(where, "a category needs id, label and fields")
            continue
        _unknown_keys(entry, ("id", "label", "fields"), problems)
        cid, label, fields = entry.get("id"), entry.get("label"), entry.get("fields", Sequence())
        if not _name_ok(cid, entry.value_at("id"), "category id", problems):
            continue
        if cid in seen:
            problems.add(entry.value_at("id"), f'category "{cid}" is listed twice')
        seen.add(cid)
        if not isinstance(label, str):
            problems.add(entry.key_at("label"), f'category "{cid}" needs a label')
            label = cid
        if not isinstance(fields, Sequence) or not all(isinstance(f, str) for f in fields):
            problems.add(entry.value_at("fields"), "fields must be a list of field names")
            fields = Sequence()
        for index, name in enumerate(fields):
            if name not in known:
                problems.add(
                    fields.item_at(index), f'unknown field "{name}"' + did_you_mean(name, known)
                )
        categories.append(Category(cid, label, tuple(fields)))
    return categories


def _with_choices(spec: FieldSpec, pairs: tuple[tuple[str, str], ...]) -> FieldSpec:
    return FieldSpec(
        spec.name,
        spec.label,
        spec.type,
        tuple(v for v, _ in pairs),
        pairs,
        spec.hint,
        spec.suggestions,
    )


def _read_fields(
    data: Mapping,
    section_name: str,
    enums: dict[str, tuple[tuple[str, str], ...]],
    sets: dict[str, tuple[str, ...]],
    problems: Problems,
) -> dict[str, FieldSpec]:
    section = data.get(section_name)
    fields: dict[str, FieldSpec] = {}
    if not isinstance(section, Mapping):
        problems.add(data.key_at(section_name), f"a {section_name} section (a mapping) is required")
        return fields
    for name, body in section.items():
        spec = _read_field(name, body, section.key_at(name), section_name, enums, sets, problems)
        if spec is not None:
            fields[name] = spec
    return fields


def _read_field(
    name: object,
    body: object,
    where: Position,
    section_name: str,
    enums: dict[str, tuple[tuple[str, str], ...]],
    sets: dict[str, tuple[str, ...]],
    problems: Problems,
) -> FieldSpec | None:
    if not _name_ok(name, where, "field name", problems):
        return None
    if not isinstance(body, Mapping):
        problems.add(where, f'field "{name}" needs label and type')
        return None
    _unknown_keys(body, _FIELD_KEYS, problems)
    ftype = body.get("type")
    if ftype not in FIELD_TYPES:
        problems.add(
            body.value_at("type"),
            f"type must be one of {', '.join(FIELD_TYPES)}" + did_you_mean(str(ftype), FIELD_TYPES),
        )
        return None
    spec = FieldSpec(name, str(body.get("label", name)), ftype, hint=str(body.get("hint", "")))
    if ftype == "enum":
        spec = _enum_choices(spec, body, where, section_name, enums, problems)
    if "suggestions" in body:
        spec = _with_suggestions(spec, body, sets, problems)
    return spec


def _enum_choices(
    spec: FieldSpec,
    body: Mapping,
    where: Position,
    section_name: str,
    enums: dict[str, tuple[tuple[str, str], ...]],
    problems: Problems,
) -> FieldSpec:
    if "choices" in body:
        return _with_choices(spec, _labelled(body["choices"], body.value_at("choices"), problems))
    if "enum" in body:
        if body["enum"] not in enums:
            problems.add(
                body.value_at("enum"),
                f'unknown enum "{body["enum"]}"' + did_you_mean(str(body["enum"]), enums),
            )
        return _with_choices(spec, enums.get(body["enum"], ()))
    # The item's category takes its choices from the categories section.
    if not (section_name == "item_fields" and spec.name == "category"):
        problems.add(where, f'enum field "{spec.name}" needs choices or enum')
    return spec


def _with_suggestions(
    spec: FieldSpec, body: Mapping, sets: dict[str, tuple[str, ...]], problems: Problems
) -> FieldSpec:
    if body["suggestions"] not in sets:
        problems.add(
            body.value_at("suggestions"),
            f'unknown set "{body["suggestions"]}"' + did_you_mean(str(body["suggestions"]), sets),
        )
    return FieldSpec(
        spec.name,
        spec.label,
        spec.type,
        spec.choices,
        spec.choice_labels,
        spec.hint,
        sets.get(body["suggestions"]),
    )


def _read_needs(
    data: Mapping, ids: tuple[str, ...], problems: Problems
) -> dict[str, frozenset[str]]:
    section = data.get("needs")
    needs: dict[str, frozenset[str]] = {}
    if not isinstance(section, Mapping):
        problems.add(data.key_at("needs"), "a needs section (recipient: [categories]) is required")
        return needs
    for recipient, categories in section.items():
        if recipient not in RECIPIENTS:
            problems.add(
                section.key_at(recipient),
                f'unknown recipient "{recipient}"' + did_you_mean(str(recipient), RECIPIENTS),
            )
            continue
        if not isinstance(categories, Sequence):
            problems.add(section.value_at(recipient), "expected a list of category ids")
            continue
        for index, cid in enumerate(categories):
            if cid not in ids:
                problems.add(
                    categories.item_at(index),
                    f'unknown category "{cid}"' + did_you_mean(str(cid), ids),
                )
        needs[recipient] = frozenset(categories)
    needs["any"] = frozenset().union(*needs.values())
    return needs
