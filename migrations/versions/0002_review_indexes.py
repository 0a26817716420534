"""Indexes for the reviewers' offer list, its filters and sorts, and the reports.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# (table, index name, columns); kept in step with __table_args__ in donations_app/models.
INDEXES = [
    ("offers", "ix_offers_queue_status_submitted", ["queue_id", "status", "submitted_at"]),
    ("offers", "ix_offers_status_submitted", ["status", "submitted_at"]),
    ("offers", "ix_offers_agency_name", ["agency_name"]),
    ("offers", "ix_offers_total_value", ["total_value_usd"]),
    ("offers", "ix_offers_decided_at", ["decided_at"]),
    ("items", "ix_items_category_offer", ["category", "offer_id"]),
    ("evaluations", "ix_evaluations_offer_latest", ["offer_id", "id"]),
    ("findings", "ix_findings_rule_evaluation", ["rule_id", "evaluation_id"]),
]


def upgrade():
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # "sort by value, highest first, offers without a value last" (SQLite has no NULLS LAST
        # in CREATE INDEX and sorts that case fast enough without it).
        op.create_index(
            "ix_offers_total_value_desc",
            "offers",
            [sa.text("total_value_usd DESC NULLS LAST")],
            unique=False,
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_offers_total_value_desc", table_name="offers")
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
