"""Fixtures of the stored-rule-set tests: editable copies of the rules directory, and a
PostgreSQL clean-up of the queues a test's routing file created (queues are kept between tests)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

RULES = Path(__file__).resolve().parents[2] / "rules"
SEEDED_QUEUES = ("export-control", "legal", "logistics", "sbgs-desk", "npu-desk", "allocation")


@pytest.fixture
def rules_copy(tmp_path: Path) -> Callable[[str], Path]:
    """rules_copy(name): a fresh copy of rules/ under tmp_path/name, to edit."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(RULES, target)
        return target

    return copy


def edit(folder: Path, name: str, old: str, new: str) -> None:
    """Replace `old` (which must be there) with `new` in one file of a rules directory."""
    text = (folder / name).read_text()
    assert old in text, f"{old!r} is not in {name}"
    (folder / name).write_text(text.replace(old, new, 1))


@pytest.fixture(autouse=True)
def _restore_seeded_queues(backend: str, database_url: str) -> Iterator[None]:
    yield
    if backend != "postgresql":
        return  # every SQLite test gets its own copy of the database
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(
            sa.text("DELETE FROM queues WHERE slug NOT IN :seeded").bindparams(
                sa.bindparam("seeded", expanding=True)
            ),
            {"seeded": list(SEEDED_QUEUES)},
        )
        conn.execute(sa.text("UPDATE queues SET retired = false"))
    engine.dispose()
