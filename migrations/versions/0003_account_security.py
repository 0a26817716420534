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


def upgrade():
    with op.batch_alter_table("reviewers") as batch:
        batch.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("unlock_nonce", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("unlock_sent_at", sa.DateTime(timezone=True), nullable=True))
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
    with op.batch_alter_table("reviewers") as batch:
        batch.drop_column("unlock_sent_at")
        batch.drop_column("unlock_nonce")
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_secret")
        batch.drop_column("must_change_password")
