"""YAML mistakes are reported as file:line:col with a plain-English fix, never a crash."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from donations_app.guidelines import RuleSetError, load_rules


def errors_after(rules_dir: Path, old: str, new: str, name: str = "armor.yaml") -> list[str]:
    path = rules_dir / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(RuleSetError) as caught:
        load_rules(rules_dir)
    return caught.value.errors


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_an_impossible_date_names_its_file_line_and_column(rules_copy):
    path = rules_copy / "armor.yaml"
    first = re.search(r"as_of: (2026-\d\d-\d\d)", path.read_text())
    assert first is not None
    errors = errors_after(rules_copy, first.group(0), "as_of: 2026-13-01")
    assert len(errors) == 1, errors
    line = line_of(path, "as_of: 2026-13-01")
    assert errors[0].startswith(f"{path}:{line}:")
    assert "is not a real date (month must be in 1..12)" in errors[0]
    assert "YYYY-MM-DD" in errors[0]


def test_bad_indentation_says_so_in_plain_words(rules_copy):
    errors = errors_after(rules_copy, "    title:", "   title:")
    assert len(errors) == 1, errors
    assert "armor.yaml:" in errors[0]
    assert "the indentation does not line up" in errors[0]


def test_a_colon_in_unquoted_text_suggests_quotes(rules_copy):
    errors = errors_after(rules_copy, "    title: ", "    title: Note: ")
    assert len(errors) == 1, errors
    assert 'put quotes around text that contains ": "' in errors[0]


def test_an_impossible_date_in_the_catalog_is_reported_too(rules_copy):
    path = rules_copy / "catalog.yaml"
    path.write_text(path.read_text() + "\nwhen_written: 2026-02-30\n")
    with pytest.raises(RuleSetError) as caught:
        load_rules(rules_copy)
    assert any(
        e.startswith(f"{path}:") and '"2026-02-30" is not a real date' in e
        for e in caught.value.errors
    ), caught.value.errors
