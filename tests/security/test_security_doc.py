"""docs/SECURITY.md names a test for each control: every file and test it names exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CITED = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+))?`")


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_every_test_the_security_page_cites_exists():
    citations = CITED.findall((ROOT / "docs" / "SECURITY.md").read_text(encoding="utf-8"))
    assert len(citations) > 50
    missing = []
    for file, test in citations:
        path = ROOT / file
        if not path.is_file() or (test and test not in _test_names(path)):
            missing.append(f"{file}::{test}" if test else file)
    assert missing == []
