"""Personal data: rotatable, expiring status links; erasure marks; narrowly erasable audit labels.

Revision ID: 0004_personal_data
Revises: 0003_account_security

- offers.status_link_version: the version of the private status link; a rotation increments it
  and every older link stops working. Existing offers start at 1, the version of the links
  already e-mailed, so those keep working until the first rotation.
- offers.status_link_sent_at: when the current link was last issued by a rotation (NULL: at
  submission); a link never expires sooner than STATUS_LINK_DAYS_AFTER_DECISION after it.
- offers.personal_data_erased_at: when the contact's personal fields were anonymised.
- audit_events stays append-only, with one exception: the actor label of an event by the donor
  or the API (which held the contact's e-mail address before this release) may be blanked,
  and nothing else of the row may change at the same time.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_personal_data"
down_revision = "0003_account_security"
branch_labels = None
depends_on = None

# Every column but actor_label; an UPDATE that touches one of them is refused (SQLite has no
# row-to-JSON, so the columns are listed; PostgreSQL compares whole rows).
_KEPT_COLUMNS = (
    "id",
    "offer_id",
    "actor_type",
    "actor_id",
    "action",
    "from_status",
    "to_status",
    "reason",
    "ruleset_version",
    "data",
    "visible_to_donor",
    "created_at",
)


def upgrade():
    # Plain ADD COLUMN, not a batch table copy: SQLite with foreign keys on cannot drop and
    # recreate the offers table that items, evaluations and audit events point at.
    op.add_column(
        "offers",
        sa.Column("status_link_version", sa.Integer(), nullable=False, server_default="1"),
    )
    op.add_column("offers", sa.Column("status_link_sent_at", sa.DateTime(timezone=True)))
    op.add_column("offers", sa.Column("personal_data_erased_at", sa.DateTime(timezone=True)))
    _drop_append_only_triggers()
    _create_erasable_label_triggers()


def downgrade():
    _drop_append_only_triggers()
    _create_strict_triggers()
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_column("personal_data_erased_at")
        batch_op.drop_column("status_link_sent_at")
        batch_op.drop_column("status_link_version")


def _drop_append_only_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update_delete ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")


def _create_erasable_label_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'UPDATE'
                   AND OLD.actor_type IN ('donor', 'api')
                   AND NEW.actor_label = ''
                   AND (to_jsonb(NEW) - 'actor_label') = (to_jsonb(OLD) - 'actor_label') THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION 'audit_events is append-only';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
        return
    unchanged = " AND ".join(f"NEW.{name} IS OLD.{name}" for name in _KEPT_COLUMNS)
    op.execute(
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
        f"WHEN NOT (OLD.actor_type IN ('donor', 'api') AND NEW.actor_label = '' AND {unchanged}) "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
    )


def _create_strict_triggers():
    """The triggers of revision 0001: no UPDATE or DELETE at all."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'audit_events is append-only';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
            "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
        )
