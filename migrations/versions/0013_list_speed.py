"""The reviewers' offer list at scale: offers.evaluation_id and indexes for the list's order.

- `offers.evaluation_id`: the offer's current (latest) evaluation, so that "rule fired" looks
  up the findings of one evaluation per offer instead of searching every evaluation for the
  latest. Filled here from the latest evaluation of each offer, then kept by triggers on
  `evaluations` in the same statement as the write (the application never writes it, so a
  submission or a re-evaluation issues no extra statement): after an INSERT it points at the
  new evaluation, before a DELETE it moves to the latest evaluation left (NULL if none).
- `ix_offers_submitted_id (submitted_at, id)`: the list's default order (newest first, id
  breaking ties) read straight from an index; it replaces `ix_offers_submitted_at`.
- `ix_offers_state_recipient_submitted (agency_state, recipient, submitted_at, id)`: the state
  and recipient filters in that order; it replaces `ix_offers_agency_state`.

No table is rebuilt (a SQLite batch copy of `offers` would drop the search triggers of
0009_search_indexes): the column is a plain ADD COLUMN. On PostgreSQL the backfill rewrites
every offer row, leaving half the table's pages empty: after upgrading a large database, run
`VACUUM (FULL, ANALYZE) offers` (README, "Upgrading").

Revision ID: 0013_list_speed
Revises: 0012_job_files
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_list_speed"
down_revision = "0012_job_files"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_offers_evaluation_id_evaluations"
# PostgreSQL's trigram indexes on offers (0009_search_indexes): (name, indexed expression).
OFFER_TRIGRAM_INDEXES = [
    ("ix_offers_reference_trgm", "lower(reference)"),
    ("ix_offers_agency_name_trgm", "lower(agency_name)"),
    ("ix_offers_contact_email_trgm", "lower(contact_email)"),
]

POSTGRESQL_TRIGGERS = [
    """
    CREATE FUNCTION offers_current_evaluation() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            UPDATE offers SET evaluation_id = NEW.id
            WHERE id = NEW.offer_id AND (evaluation_id IS NULL OR evaluation_id < NEW.id);
            RETURN NULL;
        END IF;
        UPDATE offers SET evaluation_id = (
            SELECT max(id) FROM evaluations WHERE offer_id = OLD.offer_id AND id <> OLD.id
        )
        WHERE id = OLD.offer_id AND evaluation_id = OLD.id;
        RETURN OLD;
    END
    $$ LANGUAGE plpgsql
    """,
    "CREATE TRIGGER evaluations_current_insert AFTER INSERT ON evaluations "
    "FOR EACH ROW EXECUTE FUNCTION offers_current_evaluation()",
    # BEFORE: the offer stops naming the evaluation before the foreign key is checked.
    "CREATE TRIGGER evaluations_current_delete BEFORE DELETE ON evaluations "
    "FOR EACH ROW EXECUTE FUNCTION offers_current_evaluation()",
]
SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER evaluations_current_insert AFTER INSERT ON evaluations BEGIN
        UPDATE offers SET evaluation_id = new.id
        WHERE id = new.offer_id AND (evaluation_id IS NULL OR evaluation_id < new.id);
    END
    """,
    """
    CREATE TRIGGER evaluations_current_delete BEFORE DELETE ON evaluations BEGIN
        UPDATE offers SET evaluation_id = (
            SELECT max(id) FROM evaluations WHERE offer_id = old.offer_id AND id <> old.id
        )
        WHERE id = old.offer_id AND evaluation_id = old.id;
    END
    """,
]


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.add_column("offers", sa.Column("evaluation_id", sa.Integer(), nullable=True))
        # The backfill writes a new version of every offer row. Maintaining the trigram GIN
        # indexes row by row through it is the slowest part and leaves them twice their size
        # and about three times slower to search (measured at a million offers), so they are
        # built again afterwards instead.
        for name, _expression in OFFER_TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX {name}")
        op.execute(
            "UPDATE offers SET evaluation_id = latest.id FROM ("
            "SELECT offer_id, max(id) AS id FROM evaluations GROUP BY offer_id"
            ") AS latest WHERE latest.offer_id = offers.id"
        )
        for name, expression in OFFER_TRIGRAM_INDEXES:
            op.execute(f"CREATE INDEX {name} ON offers USING gin ({expression} gin_trgm_ops)")
        # Added after the backfill: checked once over the table, not row by row.
        op.create_foreign_key(FOREIGN_KEY, "offers", "evaluations", ["evaluation_id"], ["id"])
    else:
        # SQLite adds a column with a foreign key only by ALTER TABLE ... ADD COLUMN ...
        # REFERENCES (no batch copy of offers, see above).
        op.execute(
            "ALTER TABLE offers ADD COLUMN evaluation_id INTEGER "
            f"CONSTRAINT {FOREIGN_KEY} REFERENCES evaluations (id)"
        )
        op.execute(
            "UPDATE offers SET evaluation_id = "
            "(SELECT max(id) FROM evaluations WHERE evaluations.offer_id = offers.id)"
        )
    op.create_index("ix_offers_evaluation_id", "offers", ["evaluation_id"])
    for statement in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)

    op.create_index("ix_offers_submitted_id", "offers", ["submitted_at", "id"])
    op.drop_index("ix_offers_submitted_at", table_name="offers")
    op.create_index(
        "ix_offers_state_recipient_submitted",
        "offers",
        ["agency_state", "recipient", "submitted_at", "id"],
    )
    op.drop_index("ix_offers_agency_state", table_name="offers")


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.create_index("ix_offers_agency_state", "offers", ["agency_state"])
    op.drop_index("ix_offers_state_recipient_submitted", table_name="offers")
    op.create_index("ix_offers_submitted_at", "offers", ["submitted_at"])
    op.drop_index("ix_offers_submitted_id", table_name="offers")
    on_table = " ON evaluations" if postgresql else ""
    op.execute(f"DROP TRIGGER evaluations_current_delete{on_table}")
    op.execute(f"DROP TRIGGER evaluations_current_insert{on_table}")
    if postgresql:
        op.execute("DROP FUNCTION offers_current_evaluation()")
    op.drop_index("ix_offers_evaluation_id", table_name="offers")
    if postgresql:
        op.drop_constraint(FOREIGN_KEY, "offers", type_="foreignkey")
        op.drop_column("offers", "evaluation_id")
        return
    # SQLite drops a column that has a foreign key only by copying the table: the copy loses
    # the search triggers of 0009_search_indexes, which are made again.
    op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table("offers") as batch:
        batch.drop_column("evaluation_id")
    columns = ("reference", "agency_name", "contact_email")
    names = ", ".join(columns)
    new = ", ".join(f"new.{column}" for column in columns)
    old = ", ".join(f"old.{column}" for column in columns)
    fts = "search_offers"
    delete = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"
    insert = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"
    op.execute(f"DROP TRIGGER IF EXISTS {fts}_insert")
    op.execute(f"DROP TRIGGER IF EXISTS {fts}_delete")
    op.execute(f"DROP TRIGGER IF EXISTS {fts}_update")
    op.execute(f"CREATE TRIGGER {fts}_insert AFTER INSERT ON offers BEGIN {insert} END")
    op.execute(f"CREATE TRIGGER {fts}_delete AFTER DELETE ON offers BEGIN {delete} END")
    op.execute(
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {names} ON offers "
        f"BEGIN {delete} {insert} END"
    )
