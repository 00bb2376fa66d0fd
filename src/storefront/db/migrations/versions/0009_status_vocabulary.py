"""Statuses kept to their vocabulary: CHECK constraints; order pushes gain an action

Each status column takes only its enum's values (storefront.orders.models, storefront.sync.models).
A push is the creation of the order's sales order, or, once an operator cancelled the order after
it may have reached the ERP, the voiding of it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here, as they are on the day of this migration.
CHECKS: dict[str, dict[str, tuple[str, ...]]] = {
    "orders": {"status": ("accepted", "confirmed", "failed", "cancelled")},
    "order_pushes": {"status": ("pending", "done", "failed", "withdrawn"), "action": ("create", "void")},
    "sync_runs": {"status": ("running", "completed", "failed", "interrupted")},
    "webhook_inbox": {"status": ("received", "processed", "failed", "deferred")},
}


def upgrade() -> None:
    with op.batch_alter_table("order_pushes") as batch:
        batch.add_column(sa.Column("action", sa.String(length=16), nullable=False, server_default="create"))
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column, values in columns.items():
                listed = ", ".join(f"'{value}'" for value in values)
                batch.create_check_constraint(column, f"{column} IN ({listed})")


def downgrade() -> None:
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
    with op.batch_alter_table("order_pushes") as batch:
        batch.drop_column("action")
