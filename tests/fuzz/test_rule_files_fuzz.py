"""Hypothesis over whole rule files: YAML text with random keys, values, conditions, dates and
indentation, added to a copy of the shipped rules. Loading either succeeds or raises
RuleSetError whose every message is `file:line:col: message`; never any other exception."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from donations_app.guidelines import RuleSetError, load_rules
from donations_app.guidelines.schema import RULE_KEYS
from tests.guidelines.conftest import RULES_DIR

EXAMPLES = 120
LOCATED = re.compile(r"^\S[^\n]*\.yaml:\d+:\d+: \S")

CONDITIONS = st.sampled_from(
    [
        "damaged is true",
        "expires_on < as_of + days(180)",
        "quantity > 10",
        "category in needs",
        "missing(protection_level)",
        'lower(model) == "x"',
        "__import__('os')",
        "damaged.__class__",
        "quantity ** 99",
        "unknown_field == 1",
        "(",
        "and or not",
        "x" * 300,
    ]
)
SCALARS = st.one_of(
    CONDITIONS,
    st.sampled_from(
        [
            "2026-12-01",
            "2026-13-45",
            "0000-00-00",
            "9999-12-31",
            "reject",
            "info",
            "bogus",
            "[body_armor, helmet]",
            "[]",
            "{category: body_armor, damaged: true}",
            "{item: {category: helmet}, outcome: accept}",
            "[{item: {category: body_armor}, outcome: reject, as_of: 2026-01-01}]",
            "ARMOR-WARRANTY",
            "lower-case-id",
            "null",
            "~",
            "yes",
            "0x1F",
            "1e400",
            "&anchor value",
            "*anchor",
            "!!python/object:os.system x",
            "!!binary aGVsbG8=",
            '"quoted \\u00e9 \\x00"',
            "'unterminated",
            "{unclosed: [",
            "|\n  block text\n  more",
            ">-\n    folded",
            "\t tab",
            "\u202e\u0644\u0627 \U0001f600",
        ]
    ),
    st.integers().map(str),
    st.text(max_size=20),
)
KEYS = st.one_of(
    st.sampled_from([*RULE_KEYS, "item", "as_of", "recipient", "note"]),
    st.text(min_size=1, max_size=10),
)


@st.composite
def rule_texts(draw: st.DrawFn) -> str:
    """A rule file: mostly rule-shaped, with random keys, values and indentation."""
    lines = [f"topic: {draw(SCALARS)}", "rules:"]
    for _ in range(draw(st.integers(0, 3))):
        indent = " " * draw(st.integers(0, 6))
        lines.append(f"{indent}- id: {draw(SCALARS)}")
        for _ in range(draw(st.integers(0, 10))):
            inner = " " * draw(st.integers(0, 8))
            lines.append(f"{inner}{draw(KEYS)}: {draw(SCALARS)}")
    text = "\n".join(lines)
    cut = draw(st.integers(0, len(text)))
    return text[:cut] if draw(st.booleans()) else text


def _load(rules_dir: Path, text: str) -> str:
    (rules_dir / "zz_fuzz.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_rules(rules_dir)
    except RuleSetError as error:
        assert error.errors, "RuleSetError without a message"
        for message in error.errors:
            assert LOCATED.match(message), message
        return "refused"
    return "loaded"


def test_random_rule_files_only_ever_raise_located_rule_set_errors(tmp_path: Path):
    rules_dir = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules_dir)
    outcomes: Counter[str] = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(text=st.one_of(rule_texts(), st.text(max_size=200)))
    def run(text: str) -> None:
        outcomes[_load(rules_dir, text)] += 1

    run()
    print(f"hypothesis rule files: {outcomes.total()} cases {dict(outcomes)}")
    assert outcomes["refused"] > 0


def test_a_control_character_is_a_located_yaml_error(tmp_path: Path):
    """The fuzzer found it: PyYAML's reader raised its own error before parsing started."""
    rules_dir = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules_dir)
    (rules_dir / "zz_fuzz.yaml").write_text("topic: Test\nrules:\n  - id: A\x1f\n")
    try:
        load_rules(rules_dir)
    except RuleSetError as error:
        assert error.errors == [
            f"{rules_dir / 'zz_fuzz.yaml'}:3:10: YAML syntax: the character U+001F is not allowed"
        ]
    else:
        raise AssertionError("a rule file with a control character loaded")
