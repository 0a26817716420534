"""The conversation on an offer: a messages table, filled from the audit trail.

Revision ID: 0007_conversation
Revises: 0006_catalog_answers

- messages: one row per message between an offer's reviewers and its donor (author, kind,
  body, item corrections, the evaluation a correction caused, when the other party read it).
- The questions reviewers asked (`info_requested` audit events) and the donor's written
  answers (`info_response` events with a text) become messages, so older offers show their
  conversation; they count as read. The audit events stay as they are (append-only).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007_conversation"
down_revision = "0006_catalog_answers"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

# (audit action, author type, message kind, author id column)
FROM_AUDIT = (
    ("info_requested", "reviewer", "question", "actor_id"),
    ("info_response", "donor", "reply", "NULL"),
)


def upgrade():
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("author_type", sa.String(length=10), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("changes", JSON, nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "author_type IN ('donor', 'reviewer')", name=op.f("ck_messages_author_type")
        ),
        sa.CheckConstraint(
            "kind IN ('question', 'message', 'reminder', 'reply')", name=op.f("ck_messages_kind")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["reviewers.id"], name=op.f("fk_messages_author_id_reviewers")
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_messages_evaluation_id_evaluations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_messages_offer_id_offers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages") as batch_op:
        batch_op.create_index("ix_messages_offer_thread", ["offer_id", "id"], unique=False)
    empty = "CAST('[]' AS JSONB)" if op.get_bind().dialect.name == "postgresql" else "'[]'"
    for action, author_type, kind, author in FROM_AUDIT:
        op.execute(
            sa.text(
                "INSERT INTO messages (offer_id, author_type, author_id, kind, body, changes, "
                "created_at, read_at) "
                f"SELECT offer_id, '{author_type}', {author}, '{kind}', reason, {empty}, "
                "created_at, created_at FROM audit_events "
                "WHERE action = :action AND offer_id IS NOT NULL AND reason <> '' ORDER BY id"
            ).bindparams(action=action)
        )


def downgrade():
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_index("ix_messages_offer_thread")
    op.drop_table("messages")
