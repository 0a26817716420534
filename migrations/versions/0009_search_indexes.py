"""Search indexes: trigram indexes on PostgreSQL, FTS5 trigram tables on SQLite.

The reviewers' search box matches a substring, in any case, of an offer's reference, agency name
and contact e-mail and of its items' descriptions and serial numbers. `LIKE '%text%'` cannot use
a B-tree index, so:

- PostgreSQL: `pg_trgm` GIN indexes on `lower(column)` (serial numbers as the text of their JSON
  array), which serve `lower(column) LIKE '%text%'` for texts of three characters or more.
- SQLite: two external-content FTS5 tables with the trigram tokenizer (SQLite >= 3.34),
  `search_offers` over offers and `search_items` over items, kept in step by triggers in the
  same transaction as every INSERT, UPDATE and DELETE, whatever code path writes the row (a
  privacy erasure that rewrites the contact e-mail removes the old one from the index).

A later SQLite migration that rebuilds `offers` or `items` (batch_alter_table copies the table)
drops these triggers with the old table: it must create them again (`create_sqlite_search`).

Revision ID: 0009_search_indexes
Revises: 0008_evidence_files
"""

from alembic import op

revision = "0009_search_indexes"
down_revision = "0008_evidence_files"
branch_labels = None
depends_on = None

# (table, index name, indexed expression); kept in step with __table_args__ in donations_app/models.
TRIGRAM_INDEXES = [
    ("offers", "ix_offers_reference_trgm", "lower(reference)"),
    ("offers", "ix_offers_agency_name_trgm", "lower(agency_name)"),
    ("offers", "ix_offers_contact_email_trgm", "lower(contact_email)"),
    ("items", "ix_items_description_trgm", "lower(description)"),
    ("items", "ix_items_serial_numbers_trgm", "lower(serial_numbers::text)"),
]
# (FTS5 table, content table, indexed columns).
SEARCH_TABLES = [
    ("search_offers", "offers", ("reference", "agency_name", "contact_email")),
    ("search_items", "items", ("description", "serial_numbers")),
]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for table, name, expression in TRIGRAM_INDEXES:
            op.execute(f"CREATE INDEX {name} ON {table} USING gin ({expression} gin_trgm_ops)")
        return
    create_sqlite_search()


def create_sqlite_search():
    """The FTS5 tables, filled from their content tables, and the triggers that keep them."""
    for fts, table, columns in SEARCH_TABLES:
        names = ", ".join(columns)
        new = ", ".join(f"new.{column}" for column in columns)
        old = ", ".join(f"old.{column}" for column in columns)
        delete = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"
        insert = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"
        op.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', "
            "content_rowid='id', tokenize='trigram')"
        )
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
        op.execute(f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {insert} END")
        op.execute(f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {delete} END")
        op.execute(
            f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {names} ON {table} "
            f"BEGIN {delete} {insert} END"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for _table, name, _expression in reversed(TRIGRAM_INDEXES):
            op.execute(f"DROP INDEX {name}")
        # The extension stays: other objects may have come to use it.
        return
    for fts, _table, _columns in reversed(SEARCH_TABLES):
        for event in ("update", "delete", "insert"):
            op.execute(f"DROP TRIGGER {fts}_{event}")
        op.execute(f"DROP TABLE {fts}")
