"""Jobs keep a file: a large export is written by the worker and downloaded from the job's page.

file_key names the file in the export store (services/exports.py); file_expires_at says when the
worker deletes it. Jobs of the previous release have no file (NULL in every new column).

Revision ID: 0012_job_files
Revises: 0011_mail_html
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_job_files"
down_revision = "0011_mail_html"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("file_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("file_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("file_content_type", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("file_size", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("file_expires_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.create_check_constraint(
            op.f("ck_jobs_file_size_nonnegative"), "file_size >= 0"
        )
        batch.create_index(batch.f("ix_jobs_file_expires_at"), ["file_expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index(batch.f("ix_jobs_file_expires_at"))
        batch.drop_constraint(op.f("ck_jobs_file_size_nonnegative"), type_="check")
        batch.drop_column("file_expires_at")
        batch.drop_column("file_size")
        batch.drop_column("file_content_type")
        batch.drop_column("file_name")
        batch.drop_column("file_key")
