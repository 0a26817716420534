"""Evidence files: the attachments table.

One row per stored file: its offer, its item and/or the conversation message it came with, the
cleaned display name, the
content type detected from its bytes, size, SHA-256, the random storage key of the file and of
its thumbnail, and who sent it. Deleting an offer or an item deletes its rows (the stored files
are removed by the service, see services/attachments.py).

Revision ID: 0008_evidence_files
Revises: 0007_conversation
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_evidence_files"
down_revision = "0007_conversation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=64), nullable=False),
        sa.Column("thumbnail_key", sa.String(length=80), nullable=True),
        sa.Column("uploaded_by", sa.String(length=10), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "content_type IN ('image/jpeg', 'image/png', 'image/webp', 'application/pdf')",
            name=op.f("ck_attachments_content_type"),
        ),
        sa.CheckConstraint(
            "uploaded_by IN ('donor', 'reviewer')", name=op.f("ck_attachments_uploaded_by")
        ),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_attachments_size_positive")),
        sa.CheckConstraint("length(sha256) = 64", name=op.f("ck_attachments_sha256_length")),
        sa.CheckConstraint(
            "uploaded_by = 'donor' OR uploaded_by_id IS NOT NULL",
            name=op.f("ck_attachments_reviewer_named"),
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["offers.id"],
            name=op.f("fk_attachments_offer_id_offers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_attachments_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_attachments_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["reviewers.id"],
            name=op.f("fk_attachments_uploaded_by_id_reviewers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_attachments_storage_key")),
    )
    op.create_index(op.f("ix_attachments_offer_id"), "attachments", ["offer_id"])
    op.create_index(op.f("ix_attachments_item_id"), "attachments", ["item_id"])
    op.create_index(op.f("ix_attachments_message_id"), "attachments", ["message_id"])


def downgrade():
    op.drop_index(op.f("ix_attachments_message_id"), table_name="attachments")
    op.drop_index(op.f("ix_attachments_item_id"), table_name="attachments")
    op.drop_index(op.f("ix_attachments_offer_id"), table_name="attachments")
    op.drop_table("attachments")
