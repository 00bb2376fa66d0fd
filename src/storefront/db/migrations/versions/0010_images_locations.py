"""products: the ERP's picture identity and the picture stored for it, stock per counted location;
product_image_failures: pictures that could not be fetched, with their backoff

Zoho items carry image_document_id and image_name, never an image URL: the old `image_url`
column (read from a field Zoho does not send) becomes `erp_image_ref`, emptied, and the next
full sync fills it. The stored picture is known by the hash of its bytes (`image_hash`) and the
ERP reference it was fetched for (`image_ref`); a partial index holds the products whose two
references differ, which are the pictures waiting to be fetched or dropped.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storefront.db.base import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DUE_INDEX = "ix_products_image_due"


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.execute("ALTER TABLE products RENAME COLUMN image_url TO erp_image_ref")
    op.execute("UPDATE products SET erp_image_ref = NULL")
    op.add_column("products", sa.Column("image_ref", sa.String(length=1024), nullable=True))
    op.add_column("products", sa.Column("image_hash", sa.String(length=64), nullable=True))
    op.add_column("products", sa.Column("image_type", sa.String(length=8), nullable=True))
    op.add_column("products", sa.Column("erp_location_stock", sa.Text(), nullable=True))
    op.create_index(
        _DUE_INDEX,
        "products",
        ["id"],
        postgresql_where=sa.text("erp_image_ref IS DISTINCT FROM image_ref"),
        sqlite_where=sa.text("erp_image_ref IS NOT image_ref"),
    )
    op.create_table(
        "product_image_failures",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("image_ref", sa.String(length=1024), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("failed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_image_failures_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_product_image_failures")),
    )


def downgrade() -> None:
    op.drop_table("product_image_failures")
    op.drop_index(_DUE_INDEX, table_name="products")
    for column in ("erp_location_stock", "image_type", "image_hash", "image_ref"):
        op.drop_column("products", column)
    op.execute("ALTER TABLE products RENAME COLUMN erp_image_ref TO image_url")
