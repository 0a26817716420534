"""Rule sets in the database: every file of each published version, and its activations;
queues no route leads to any more are retired rather than deleted.

Revision ID: 0005_rule_sets
Revises: 0004_personal_data
"""

import sqlalchemy as sa
from alembic import op


revision = "0005_rule_sets"
down_revision = "0004_personal_data"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rule_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["reviewers.id"], name=op.f("fk_rule_sets_created_by_id_reviewers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_sets")),
        sa.UniqueConstraint("version", name=op.f("uq_rule_sets_version")),
    )
    op.create_table(
        "rule_set_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_set_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_set_id"],
            ["rule_sets.id"],
            name=op.f("fk_rule_set_files_rule_set_id_rule_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_set_files")),
        sa.UniqueConstraint("rule_set_id", "name", name="uq_rule_set_files_name"),
    )
    op.create_table(
        "rule_set_activations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_set_id", sa.Integer(), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_by_id", sa.Integer(), nullable=True),
        sa.Column("activated_by", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(
            ["activated_by_id"],
            ["reviewers.id"],
            name=op.f("fk_rule_set_activations_activated_by_id_reviewers"),
        ),
        sa.ForeignKeyConstraint(
            ["rule_set_id"],
            ["rule_sets.id"],
            name=op.f("fk_rule_set_activations_rule_set_id_rule_sets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_set_activations")),
    )
    with op.batch_alter_table("rule_set_activations") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rule_set_activations_rule_set_id"), ["rule_set_id"], unique=False
        )
    # A plain ADD COLUMN: a batch copy of queues would have to drop a table offers refer to.
    op.add_column(
        "queues", sa.Column("retired", sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table("queues") as batch_op:
        batch_op.drop_column("retired")
    with op.batch_alter_table("rule_set_activations") as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_set_activations_rule_set_id"))
    op.drop_table("rule_set_activations")
    op.drop_table("rule_set_files")
    op.drop_table("rule_sets")
