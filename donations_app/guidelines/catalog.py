"""The equipment catalog (rules/catalog.yaml): categories, fields, named sets, needs, enums."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import TypeGuard

from .source import Mapping, Position, Problems, Sequence, did_you_mean, read_yaml

FIELD_TYPES = ("date", "bool", "enum", "text", "integer", "decimal", "list")
ENUMS = ("agency_type", "recipient", "condition", "acquired_via", "state")
RECIPIENTS = ("sbgs", "npu")
# The recipient codes the workflow knows (its queues, filters and exports name them).
RECIPIENT_CODES = ("sbgs", "npu", "any")
NUMBER_TYPES = ("integer", "decimal")
# The item fields the database keeps in a column of their own, with the type each column holds,
# in the order of the API's item line. Every other catalog field is kept with the item's
# answers, so a new field needs no migration; these keep their type.
COLUMN_TYPES = {
    "category": "enum",
    "description": "text",
    "quantity": "integer",
    "condition": "enum",
    "acquired_via": "enum",
    "manufacturer": "text",
    "model": "text",
    "manufactured_on": "date",
    "unit_value_usd": "decimal",
    "serial_numbers": "list",
    "expires_on": "date",
    "protection_level": "enum",
    "damaged": "bool",
    "armored": "bool",
    "encrypted": "bool",
    "storage_sanitized": "bool",
    "insignia_removed": "bool",
    "voltage": "enum",
}
# Every item line has these: their columns are NOT NULL.
REQUIRED_ITEM_FIELDS = ("category", "description", "quantity", "condition", "acquired_via")
# What the number columns can hold: a whole number of 32 bits, and Numeric(12, 2).
COLUMN_RANGES = {
    "quantity": (Decimal(1), Decimal(2**31 - 1)),
    "unit_value_usd": (Decimal(0), Decimal("9999999999.99")),
}
# The widest answer code (enum value, category id) the database columns take.
MAX_CODE_LENGTH = 40
MAX_UNIT_LENGTH = 20
# Decimal answers are kept to the cent (the place count of the unit value column).
DECIMAL_PLACES = 2
# Names the condition language gives its own meaning; a field or set may not take them.
RESERVED = frozenset(
    {"as_of", "recipient", "needs", "true", "false", "always", "none", "tags", "categories"}
    | {"total_value", "days", "date", "lower", "upper", "missing", "present", "count"}
)
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_TOP_KEYS = ("categories", "item_fields", "fields", "sets", "needs", "enums")
_FIELD_KEYS = ("label", "type", "hint", "choices", "enum", "suggestions", "min", "max", "unit")


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
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    unit: str = ""

    def label_of(self, value: object) -> str:
        """The human label of an enum value (the value itself when unknown), or a number and
        its unit."""
        for choice, label in self.choice_labels or ():
            if choice == value:
                return label
        if self.unit and self.type in NUMBER_TYPES:
            return f"{value} {self.unit}"
        return str(value)

    def range_text(self) -> str:
        """The allowed range of a number field in words, e.g. "between 0 and 1,000 kg"."""
        if self.minimum is None or self.maximum is None:
            raise ValueError(f"{self.name!r} is not a number field with a min and max")
        unit = f" {self.unit}" if self.unit else ""
        return f"between {_number(self.minimum)} and {_number(self.maximum)}{unit}"


def _number(value: Decimal) -> str:
    return f"{value:,}" if value == value.to_integral_value() else f"{value:,.2f}"


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
    _check_storage(data, item_fields, fields, problems)
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
        if not isinstance(value, str):
            problems.add(
                mapping.key_at(value),
                f'the answer {value!r} must be text: put it in quotes, like "{value}": ...',
            )
            continue
        if not isinstance(label, str) or not label.strip():
            problems.add(
                mapping.key_at(value), f'the answer "{value}" needs a label (text) after the :'
            )
            continue
        if not value or len(value) > MAX_CODE_LENGTH:
            problems.add(
                mapping.key_at(value),
                f'the answer "{value}" must be 1 to {MAX_CODE_LENGTH} characters long',
            )
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
    recipients = tuple(code for code, _ in enums.get("recipient", ()))
    if "recipient" in enums and sorted(recipients) != sorted(RECIPIENT_CODES):
        problems.add(
            section.key_at("recipient"),
            "the recipient answers must be exactly sbgs, npu and any (only their labels may "
            "change): the review queues, filters and exports are built around them, so a new "
            "Ukrainian agency needs a developer",
        )
    body = section.get("state")
    for code, _ in enums.get("state", ()):
        if not re.fullmatch(r"[A-Z]{2}", code):
            problems.add(
                body.key_at(code) if isinstance(body, Mapping) else section.where,
                f'state "{code}" must be its 2-letter USPS code in capitals, like IL',
            )
    return enums


def _name_ok(name: object, where: Position, what: str, problems: Problems) -> TypeGuard[str]:
    if not isinstance(name, str) or not _NAME.match(name) or keyword.iskeyword(name):
        problems.add(where, f"{what} {name!r} must be lower_case letters, digits and _")
        return False
    if name in RESERVED:
        problems.add(where, f'{what} "{name}" is a reserved word of the rule language')
        return False
    if len(name) > MAX_CODE_LENGTH:
        problems.add(where, f"{what} {name!r} is longer than {MAX_CODE_LENGTH} characters")
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
    return replace(spec, choices=tuple(v for v, _ in pairs), choice_labels=pairs)


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
    spec = _number_bounds(spec, body, where, problems)
    if ftype == "enum":
        spec = _enum_choices(spec, body, where, section_name, enums, problems)
    for key in ("choices", "enum"):
        if key in body and ftype != "enum":
            problems.add(
                body.key_at(key),
                f'"{key}" applies only to enum fields: make "{name}" type: enum, or remove it',
            )
    if "suggestions" in body and ftype != "text":
        problems.add(body.key_at("suggestions"), "suggestions apply only to text fields")
    elif "suggestions" in body:
        spec = _with_suggestions(spec, body, sets, problems)
    return spec


def _number_bounds(
    spec: FieldSpec, body: Mapping, where: Position, problems: Problems
) -> FieldSpec:
    """min, max and unit of a number field; refused on any other type."""
    if spec.type not in NUMBER_TYPES:
        for key in ("min", "max", "unit"):
            if key in body:
                problems.add(
                    body.key_at(key),
                    f'"{key}" applies only to integer and decimal fields; remove it from '
                    f'"{spec.name}" or change its type',
                )
        return spec
    if "max" not in body:
        problems.add(
            where,
            f'number field "{spec.name}" needs a max: the largest answer a donor may give, '
            "like max: 1000 (and min, 0 when left out)",
        )
        return spec
    bounds = [_bound(spec, body, key, problems) for key in ("min", "max")]
    low = Decimal(0) if "min" not in body else bounds[0]
    high = bounds[1]
    if low is None or high is None:
        return spec
    if low > high:
        problems.add(body.value_at("min"), f"min ({low}) is larger than max ({high})")
    unit = body.get("unit", "")
    if not isinstance(unit, str) or len(unit) > MAX_UNIT_LENGTH:
        problems.add(
            body.value_at("unit"),
            f"unit must be a short text of at most {MAX_UNIT_LENGTH} characters, like kg",
        )
        unit = ""
    return replace(spec, minimum=low, maximum=high, unit=unit.strip())


def _bound(spec: FieldSpec, body: Mapping, key: str, problems: Problems) -> Decimal | None:
    value = body.get(key, 0)
    whole = spec.type == "integer"
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.add(body.value_at(key), f"{key} must be a number, written without quotes")
        return None
    number = Decimal(str(value))
    if not number.is_finite():
        problems.add(body.value_at(key), f"{key} must be a finite number")
        return None
    if whole and number != number.to_integral_value():
        problems.add(
            body.value_at(key), f'{key} of the integer field "{spec.name}" must be a whole number'
        )
        return None
    if number != round(number, DECIMAL_PLACES):
        problems.add(
            body.value_at(key),
            f"{key} may have at most {DECIMAL_PLACES} decimal places: answers are kept to the cent",
        )
        return None
    return number


def _check_storage(
    data: Mapping,
    item_fields: dict[str, FieldSpec],
    fields: dict[str, FieldSpec],
    problems: Problems,
) -> None:
    """Refuse what the database could not store: see COLUMN_TYPES and COLUMN_RANGES."""
    section = data.get("item_fields")
    for name in REQUIRED_ITEM_FIELDS:
        if isinstance(section, Mapping) and name not in section:
            problems.add(
                data.key_at("item_fields"),
                f'item_fields must keep "{name}": every item line needs it',
            )
    for section_name, specs in (("item_fields", item_fields), ("fields", fields)):
        part = data.get(section_name)
        for name, spec in specs.items():
            at = part.key_at(name) if isinstance(part, Mapping) else data.where
            stored = COLUMN_TYPES.get(name)
            if stored is not None and spec.type != stored:
                problems.add(
                    at,
                    f'"{name}" must stay of type {stored}: stored offers keep it as {stored}. '
                    "For a different question, add a field with a new name",
                )
            if name in item_fields and name in fields and item_fields[name].type != spec.type:
                problems.add(at, f'"{name}" has a different type in item_fields and in fields')
            limits = COLUMN_RANGES.get(name)
            if limits is not None and spec.minimum is not None and spec.maximum is not None:
                low, high = limits
                if spec.minimum < low or spec.maximum > high:
                    problems.add(
                        at,
                        f'"{name}" takes min and max between {_number(low)} and '
                        f"{_number(high)} (what the database column holds)",
                    )


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
    return replace(spec, suggestions=sets.get(body["suggestions"]))


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
