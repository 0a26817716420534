"""The layers are checked, not promised: views and CLI commands never commit or roll back (the
services own every transaction); import-linter checks the imports (see pyproject.toml)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "donations_app"
CALLERS = [
    *sorted((PACKAGE / "intake").glob("*.py")),
    *sorted((PACKAGE / "review").glob("*.py")),
    *sorted((PACKAGE / "api").glob("*.py")),
    *sorted(PACKAGE.glob("*cli.py")),
    PACKAGE / "system.py",
    PACKAGE / "auth.py",
]


def transaction_calls(path: Path) -> list[str]:
    """`name:line: .commit()` for every call that would end or start a transaction."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.name}:{node.lineno}: .{node.func.attr}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"commit", "rollback", "begin", "begin_nested"}
    ]


def test_views_and_cli_commands_leave_transactions_to_the_services():
    assert len(CALLERS) > 15
    found = [call for path in CALLERS for call in transaction_calls(path)]
    assert found == []


def test_the_check_finds_a_commit(tmp_path):
    sample = tmp_path / "view.py"
    sample.write_text("def view():\n    db.session.commit()\n")
    assert transaction_calls(sample) == ["view.py:2: .commit()"]
