"""ERP as it is: paced, resumable listings, read times on figures, known contacts

- products.erp_figures_read_at: when the ERP figures a product holds were read; an older read
  never overwrites a newer one, so re-reads of confirmed orders' items run beside a long sync.
- price_lists.erp_currency_id: the ERP's id of the list's currency, given to new contacts.
- erp_contacts: the ERP contact of each shopper's email, so a known shopper costs no ERP call.
- sync_runs: the listing a run belongs to (a full listing may span runs when it resumes), where
  it stands in it, and how many items it expects; sync_listing_seen: the items a full listing saw.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 23:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storefront.db.base import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("products", sa.Column("erp_figures_read_at", UTCDateTime(), nullable=True))
    op.add_column("price_lists", sa.Column("erp_currency_id", sa.String(length=64), nullable=True))
    op.create_table(
        "erp_contacts",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_erp_contacts")),
    )
    with op.batch_alter_table("sync_runs") as batch:
        batch.add_column(sa.Column("listing_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("cursor_mark", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("cursor_page", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("expected_items", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("phase", sa.String(length=16), nullable=True))
    op.create_table(
        "sync_listing_seen",
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("erp_item_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("listing_id", "erp_item_id", name=op.f("pk_sync_listing_seen")),
    )


def downgrade() -> None:
    op.drop_table("sync_listing_seen")
    with op.batch_alter_table("sync_runs") as batch:
        for column in ("phase", "expected_items", "cursor_page", "cursor_mark", "listing_id"):
            batch.drop_column(column)
    op.drop_table("erp_contacts")
    op.drop_column("price_lists", "erp_currency_id")
    op.drop_column("products", "erp_figures_read_at")
