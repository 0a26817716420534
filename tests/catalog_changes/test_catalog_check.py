"""`rules check` refuses every catalog change that could not work end to end, at file:line:col.

Each case edits a copy of rules/catalog.yaml as a maintainer might, then loads the directory
as `flask rules check` does; the error names the line of the mistake and says how to fix it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from donations_app.guidelines import RuleSetError, load_rules

RULES = Path(__file__).parents[2] / "rules"
QUANTITY = "  quantity:\n    label: Quantity\n    type: integer\n"
VOLTAGE_ANSWER = '      "230": 230 V\n'
NEW_FIELD = "fields:\n  expires_on:\n"


def number_field(body: str) -> tuple[str, str]:
    return NEW_FIELD, f"fields:\n  weight:\n    label: Weight\n{body}  expires_on:\n"


CASES = {
    "number without max": (
        *number_field("    type: decimal\n"),
        "weight",
        'number field "weight" needs a max',
    ),
    "min above max": (
        *number_field("    type: integer\n    min: 10\n    max: 5\n"),
        "10\n    max: 5",
        "min (10) is larger than max (5)",
    ),
    "max in quotes": (
        *number_field('    type: integer\n    max: "1000"\n'),
        '"1000"',
        "max must be a number, written without quotes",
    ),
    "fractional bound of an integer": (
        *number_field("    type: integer\n    max: 2.5\n"),
        "2.5",
        'max of the integer field "weight" must be a whole number',
    ),
    "three decimal places": (
        *number_field("    type: decimal\n    max: 2.125\n"),
        "2.125",
        "max may have at most 2 decimal places",
    ),
    "unit not text": (
        *number_field("    type: decimal\n    max: 20\n    unit: [kg]\n"),
        "[kg]",
        "unit must be a short text",
    ),
    "range on a text field": (
        *number_field("    type: text\n    max: 20\n"),
        "max: 20",
        '"max" applies only to integer and decimal fields',
    ),
    "choices on a text field": (
        *number_field("    type: text\n    choices:\n      a: A\n"),
        "choices:",
        '"choices" applies only to enum fields',
    ),
    "unquoted number answer": (
        VOLTAGE_ANSWER,
        VOLTAGE_ANSWER + "      12: 12 V DC\n",
        "12: 12 V DC",
        "the answer 12 must be text: put it in quotes",
    ),
    "answer without a label": (
        VOLTAGE_ANSWER,
        VOLTAGE_ANSWER + '      "12":\n',
        '"12":\n',
        'the answer "12" needs a label',
    ),
    "answer code too long": (
        VOLTAGE_ANSWER,
        VOLTAGE_ANSWER + f'      "{"x" * 41}": Long\n',
        f'"{"x" * 41}"',
        "must be 1 to 40 characters long",
    ),
    "stored field changes type": (
        "  voltage:\n    label: Power supply\n    type: enum\n",
        "  voltage:\n    label: Power supply\n    type: text\n",
        "voltage:\n    label: Power supply\n    type: text",
        '"voltage" must stay of type enum',
    ),
    "quantity beyond its column": (
        QUANTITY + "    hint: How many of this item.\n    min: 1\n    max: 100000\n",
        QUANTITY + "    hint: How many of this item.\n    min: 1\n    max: 5000000000\n",
        "quantity:\n",
        '"quantity" takes min and max between 1 and 2,147,483,647',
    ),
    "required question removed": (
        "  condition:\n    label: Condition\n    type: enum\n    enum: condition\n",
        "",
        "item_fields:",
        'item_fields must keep "condition"',
    ),
    "new recipient": (
        "    any: Either agency\n",
        "    any: Either agency\n    sesu: State Emergency Service\n",
        "recipient:\n    sbgs",
        "the recipient answers must be exactly sbgs, npu and any",
    ),
    "state not a USPS code": (
        "    WY: Wyoming\n",
        "    WY: Wyoming\n    Yukon: Yukon\n",
        "Yukon: Yukon",
        'state "Yukon" must be its 2-letter USPS code',
    ),
}


def written_at(text: str, needle: str) -> tuple[int, int]:
    """The 1-based line and column where `needle` starts in the edited catalog."""
    offset = text.index(needle)
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


@pytest.mark.parametrize(("old", "new", "at", "says"), CASES.values(), ids=CASES.keys())
def test_a_catalog_mistake_is_an_error_at_its_line(
    tmp_path: Path, old: str, new: str, at: str, says: str
) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    catalog = folder / "catalog.yaml"
    text = catalog.read_text()
    assert old in text, f"catalog.yaml no longer has {old!r}"
    text = text.replace(old, new, 1)
    catalog.write_text(text)

    with pytest.raises(RuleSetError) as raised:
        load_rules(folder)

    found = [e for e in raised.value.errors if says in e]
    assert found, raised.value.errors
    match = re.match(r"(.+catalog\.yaml):(\d+):(\d+): ", found[0])
    assert match, found[0]
    line, column = written_at(text, at)
    assert int(match.group(2)) == line, found[0]
    assert int(match.group(3)) in (column, column + 1), found[0]  # a quoted value starts inside


def test_the_catalog_as_shipped_has_no_error() -> None:
    load_rules(RULES)
