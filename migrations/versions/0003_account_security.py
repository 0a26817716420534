"""Reviewer account security: one-time passwords, TOTP, unlock links, per-client backoff.

Accounts that have never signed in still hold the password someone else gave them, so they
must change it at their first sign-in; every other account keeps working as before.

Revision ID: 0003_account_security
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_account_security"
down_revision = "0002"
branch_labels = None
depends_on = None


COLUMNS = [
    sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("totp_secret", sa.String(length=64), nullable=True),
    sa.Column("totp_last_step", sa.Integer(), nullable=True),
    sa.Column("unlock_nonce", sa.String(length=64), nullable=True),
    sa.Column("unlock_sent_at", sa.DateTime(timezone=True), nullable=True),
]


def upgrade():
    # Plain ADD COLUMN on both databases: a batch operation would copy the reviewers table on
    # SQLite, and dropping the old copy is refused (or cascades) while other tables refer to it.
    for column in COLUMNS:
        op.add_column("reviewers", column)
    op.execute(
        sa.text("UPDATE reviewers SET must_change_password = true WHERE last_login_at IS NULL")
    )
    op.create_table(
        "sign_in_backoffs",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("wait_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("failures >= 0", name=op.f("ck_sign_in_backoffs_failures_nonnegative")),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_sign_in_backoffs")),
    )


def downgrade():
    op.drop_table("sign_in_backoffs")
    for column in reversed(COLUMNS):
        op.drop_column("reviewers", column.name)
