"""rules/README.md, the maintainer's guide, names everything a maintainer can write."""

from __future__ import annotations

import re

import pytest

from donations_app.guidelines.catalog import _FIELD_KEYS, _TOP_KEYS, FIELD_TYPES
from donations_app.guidelines.expressions import HELPERS, ConstantPool, compile_condition
from donations_app.guidelines.loader import item_names
from donations_app.guidelines.routing import _ROUTE_KEYS
from donations_app.guidelines.rules import OUTCOMES
from donations_app.guidelines.schema import EXAMPLE_KEYS, FILE_KEYS, RULE_KEYS
from donations_app.guidelines.warnings import CODES

from .conftest import RULES_DIR

GUIDE = (RULES_DIR / "README.md").read_text(encoding="utf-8")
CODE = set(re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", GUIDE, flags=re.S)))


def section(heading: str) -> str:
    start = GUIDE.index(f"\n## {heading}")
    end = GUIDE.find("\n## ", start + 1)
    return GUIDE[start : end if end != -1 else None]


@pytest.mark.parametrize(
    "words",
    [
        FILE_KEYS,
        RULE_KEYS,
        EXAMPLE_KEYS,
        _TOP_KEYS,
        _FIELD_KEYS,
        ("id", "label", "fields"),
        _ROUTE_KEYS,
        FIELD_TYPES,
        OUTCOMES,
        CODES,
        ("all", "all_except", "with_field", "tags", "categories", "total_value", "recipient"),
    ],
)
def test_every_key_and_word_the_loader_accepts_is_documented(words):
    assert [w for w in words if w not in CODE] == []


def test_every_rule_key_has_a_row_in_the_rule_table():
    table = section("A guideline file")
    assert [k for k in RULE_KEYS if f"| `{k}` |" not in table] == []
    assert [k for k in EXAMPLE_KEYS if f"| `{k}` |" not in table] == []


def test_every_helper_function_is_documented_with_an_example_that_compiles(ruleset):
    table = section("The condition language")
    names = item_names(ruleset.catalog)
    for helper in HELPERS:
        row = re.search(rf"^\| `{helper}\([^`]*\)` \| [^|]+ \| `([^`]+)` \|$", table, re.M)
        assert row is not None, helper
        compile_condition(row.group(1), names, ConstantPool())


def test_the_helpers_table_lists_only_real_helpers():
    table = section("The condition language")
    listed = re.findall(r"^\| `(\w+)\(", table, re.M)
    assert sorted(listed) == sorted(HELPERS)


def test_every_rules_command_the_guide_names_exists(runner):
    listed = runner.invoke(args=["rules", "--help"]).output
    named = set(re.findall(r"(?:flask (?:--app donations_app )?|`)rules ([a-z]+)", GUIDE))
    assert {"impact", "publish", "recheck", "explain", "schema"} <= named
    assert [command for command in sorted(named) if f"  {command} " not in listed] == []
