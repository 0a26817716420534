"""E-mails get an HTML part: outbox_messages.body_html, written from the text part.

Messages queued before this revision keep their text and are sent as text only (NULL here).

Revision ID: 0011_mail_html
Revises: 0010_jobs
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_mail_html"
down_revision = "0010_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("body_html", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("body_html")
