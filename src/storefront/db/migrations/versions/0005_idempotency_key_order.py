"""idempotency_keys: the order a key placed, and the request that placed it

An order's first answer is the order as it was accepted, under the first request's id, so a key
can name both instead of holding a copy of the answer. PostgreSQL then records the key in the statement that places the
order, and no statement runs between taking the products' row locks and the commit.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("request_id", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_column("request_id")
        batch_op.drop_column("order_id")
