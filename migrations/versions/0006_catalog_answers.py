"""The catalog's answers: no CHECK lists of catalog vocabularies, an answers column on items.

The database stores what the catalog allows: the fixed lists of agency types, conditions,
acquisitions, protection levels and voltages are dropped (the API schema checks answers against
the active catalog), the answer columns widen to 40 characters, the quantity keeps only its lower
bound (the catalog sets the upper one), and items get `answers`, a JSON object holding the
answers to catalog fields without a column of their own. The workflow's own codes (statuses,
outcomes, recipients, decisions) keep their CHECK constraints.

Revision ID: 0006_catalog_answers
Revises: 0005_rule_sets
"""

import re

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006_catalog_answers"
down_revision = "0005_rule_sets"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
CODE_LENGTH = 40
# The CHECK lists this revision drops, as revision 0001 made them (the downgrade restores them).
DROPPED_CHECKS = {
    ("offers", "agency_type"): "agency_type IN ('municipal_police', 'sheriff', 'state_police', "
    "'state_agency', 'federal', 'tribal', 'other')",
    ("items", "condition"): "condition IN ('new', 'like_new', 'good', 'fair', 'poor', "
    "'unserviceable')",
    ("items", "acquired_via"): "acquired_via IN ('own_funds', 'federal_grant', 'bvp', "
    "'dod_1033', 'donated_to_agency', 'unknown')",
    ("items", "protection_level"): "protection_level IS NULL OR protection_level IN ('IIA', "
    "'II', 'IIIA', 'III', 'IV', 'HG1', 'HG2', 'RF1', 'RF2', 'RF3')",
    ("items", "voltage"): "voltage IS NULL OR voltage IN ('120', '230', '100-240', 'battery')",
}
OLD_QUANTITY = ("ck_items_quantity_range", "quantity BETWEEN 1 AND 100000")
NEW_QUANTITY = ("ck_items_quantity_positive", "quantity >= 1")
# (table, column, length before, nullable)
WIDENED = [
    ("offers", "agency_type", 30, False),
    ("items", "condition", 20, False),
    ("items", "acquired_via", 20, False),
    ("items", "protection_level", 4, True),
    ("items", "voltage", 10, True),
]


def upgrade():
    op.add_column(
        "items", sa.Column("answers", JSON, nullable=False, server_default=sa.text("'{}'"))
    )
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_schema(_upgrade_sql)
        return
    for table, column in DROPPED_CHECKS:
        op.drop_constraint(op.f(f"ck_{table}_{column}"), table, type_="check")
    op.drop_constraint(op.f(OLD_QUANTITY[0]), "items", type_="check")
    op.create_check_constraint(op.f(NEW_QUANTITY[0]), "items", NEW_QUANTITY[1])
    for table, column, before, nullable in WIDENED:
        op.alter_column(
            table,
            column,
            type_=sa.String(CODE_LENGTH),
            existing_type=sa.String(before),
            existing_nullable=nullable,
        )


def downgrade():
    bind = op.get_bind()
    for (table, column), check in DROPPED_CHECKS.items():
        _refuse_rows_outside(bind, table, check)
    _refuse_rows_outside(bind, "items", OLD_QUANTITY[1])
    if bind.dialect.name == "sqlite":
        _sqlite_schema(_downgrade_sql)
    else:
        for table, column, before, nullable in WIDENED:
            op.alter_column(
                table,
                column,
                type_=sa.String(before),
                existing_type=sa.String(CODE_LENGTH),
                existing_nullable=nullable,
            )
        op.drop_constraint(op.f(NEW_QUANTITY[0]), "items", type_="check")
        op.create_check_constraint(op.f(OLD_QUANTITY[0]), "items", OLD_QUANTITY[1])
        for (table, column), check in DROPPED_CHECKS.items():
            op.create_check_constraint(op.f(f"ck_{table}_{column}"), table, check)
    op.drop_column("items", "answers")


def _refuse_rows_outside(bind, table: str, check: str) -> None:
    count = bind.execute(sa.text(f"SELECT count(*) FROM {table} WHERE NOT ({check})")).scalar()
    if count:
        raise RuntimeError(
            f"cannot downgrade: {count} row(s) of {table} hold answers the old schema refuses "
            f"({check})"
        )


# SQLite cannot drop a CHECK constraint, and Alembic's batch mode would copy, drop and rename
# the table: dropping `items` deletes every finding through ON DELETE CASCADE while foreign keys
# are enforced (they are on, and a migration runs inside a transaction, where the pragma that
# turns them off has no effect). Removing or relaxing CHECK constraints and changing declared
# lengths leave the stored rows and indexes as they are, so SQLite's documented procedure for
# such changes applies: edit the table's CREATE statement in the schema table, then bump the
# schema version (https://www.sqlite.org/lang_altertable.html, "otheralter").


def _sqlite_schema(edit) -> None:
    bind = op.get_bind()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    for table in ("offers", "items"):
        sql = bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).scalar()
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
            (edit(table, sql), table),
        )
    bind.exec_driver_sql(f"PRAGMA schema_version={version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")
    problems = bind.exec_driver_sql("PRAGMA integrity_check").scalars().all()
    if problems != ["ok"]:
        raise RuntimeError(f"the SQLite schema edit failed its integrity check: {problems}")


def _constraint(name: str) -> re.Pattern[str]:
    """A `, CONSTRAINT name CHECK (...)` clause, with one level of nested parentheses."""
    return re.compile(
        rf",\s*CONSTRAINT\s+\"?{name}\"?\s+CHECK\s*\((?:[^()]|\([^()]*\))*\)", re.IGNORECASE
    )


def _column_type(column: str) -> re.Pattern[str]:
    return re.compile(rf"(\n\s*\"?{column}\"?\s+)VARCHAR\(\d+\)", re.IGNORECASE)


def _upgrade_sql(table: str, sql: str) -> str:
    for owner, column in DROPPED_CHECKS:
        if owner == table:
            sql = _constraint(f"ck_{table}_{column}").sub("", sql)
    if table == "items":
        sql = _constraint(OLD_QUANTITY[0]).sub(
            f", CONSTRAINT {NEW_QUANTITY[0]} CHECK ({NEW_QUANTITY[1]})", sql
        )
    for owner, column, _before, _nullable in WIDENED:
        if owner == table:
            sql = _column_type(column).sub(rf"\g<1>VARCHAR({CODE_LENGTH})", sql)
    return sql


def _downgrade_sql(table: str, sql: str) -> str:
    for owner, column, before, _nullable in WIDENED:
        if owner == table:
            sql = _column_type(column).sub(rf"\g<1>VARCHAR({before})", sql)
    checks = [
        f"CONSTRAINT ck_{table}_{column} CHECK ({check})"
        for (owner, column), check in DROPPED_CHECKS.items()
        if owner == table
    ]
    if table == "items":
        sql = _constraint(NEW_QUANTITY[0]).sub("", sql)
        checks.append(f"CONSTRAINT {OLD_QUANTITY[0]} CHECK ({OLD_QUANTITY[1]})")
    closing = sql.rindex(")")
    return sql[:closing].rstrip() + ", \n\t" + ", \n\t".join(checks) + "\n" + sql[closing:]
