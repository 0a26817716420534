"""The declarative base, constraint naming and column types shared by every model."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase

# Named constraints so that Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC timestamp on both databases (SQLite keeps no zone itself)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def in_list(column: str, values: tuple[str, ...], nullable: bool = False) -> str:
    """SQL for a CHECK constraint that keeps a column within a fixed vocabulary."""
    quoted = ", ".join(f"'{v}'" for v in values)
    check = f"{column} IN ({quoted})"
    return f"{column} IS NULL OR {check}" if nullable else check


def trigram_indexes(table: str, columns: tuple[str, ...]) -> list[sa.Index]:
    """PostgreSQL GIN trigram indexes on `lower(column)` (a JSON column as its text), which
    serve `lower(column) LIKE '%text%'`. SQLite searches FTS5 tables instead (migration 0009)."""
    indexes = []
    for column in columns:
        expression = f"{column}::text" if column == "serial_numbers" else column
        index = sa.Index(
            f"ix_{table}_{column}_trgm",
            sa.text(f"lower({expression}) gin_trgm_ops"),
            postgresql_using="gin",
        )
        indexes.append(index.ddl_if(dialect="postgresql"))
    return indexes


class Base(DeclarativeBase):
    """Base class of every model."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
