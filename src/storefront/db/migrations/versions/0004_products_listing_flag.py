"""products: a generated listing flag for the partial indexes, and room for HOT updates;
order lines: an index of the lines still holding reserved units

A sync or a reservation changes stock on most product rows. When stock appeared in the listing
indexes' predicate, and the ERP's modification time had an index of its own, every such update
wrote a new entry into every index of the table, trigram indexes included. The listing indexes
now test one generated column that changes only when a product enters or leaves the listing, and
PostgreSQL keeps free space in each page, so a stock update rewrites the row in place (a HOT
update) and touches no index.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LISTED_PREDICATE = "is_active AND consumer_price IS NOT NULL AND erp_actual_available_stock > reserved_stock"
# Free space kept in each heap page, so a row's new version fits beside the old one.
PRODUCTS_FILLFACTOR = 45


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _create_listing_indexes(predicate: str, sqlite_predicate: str) -> None:
    for name, columns in (
        ("ix_products_listing", ["category_id", "name", "id"]),
        ("ix_products_listing_all", ["name", "id"]),
    ):
        op.create_index(
            name,
            "products",
            columns,
            postgresql_where=sa.text(predicate),
            sqlite_where=sa.text(sqlite_predicate),
        )


def upgrade() -> None:
    if _is_postgres():
        # Set before the column is added: adding a stored column rewrites the table, with this space.
        op.execute(f"ALTER TABLE products SET (fillfactor = {PRODUCTS_FILLFACTOR})")
    op.drop_index("ix_products_listing", table_name="products")
    op.drop_index("ix_products_listing_all", table_name="products")
    op.drop_index("ix_products_erp_modified_at", table_name="products")
    # Stored on PostgreSQL, virtual on SQLite (which cannot add a stored column to a table).
    listed = sa.Computed(LISTED_PREDICATE, persisted=_is_postgres())
    op.add_column("products", sa.Column("is_listed", sa.Boolean(), listed, nullable=False))
    # Each written as the dialect's queries write the test, or the planner does not match them.
    _create_listing_indexes("is_listed", "is_listed = 1")
    unreleased = sa.text("reservation_released_at IS NULL")
    op.create_index(
        "ix_order_lines_unreleased",
        "order_lines",
        ["erp_item_id"],
        postgresql_where=unreleased,
        sqlite_where=unreleased,
    )


def downgrade() -> None:
    op.drop_index("ix_order_lines_unreleased", table_name="order_lines")
    op.drop_index("ix_products_listing", table_name="products")
    op.drop_index("ix_products_listing_all", table_name="products")
    op.drop_column("products", "is_listed")
    _create_listing_indexes(LISTED_PREDICATE, LISTED_PREDICATE)
    op.create_index("ix_products_erp_modified_at", "products", ["erp_modified_at"])
    if _is_postgres():
        op.execute("ALTER TABLE products RESET (fillfactor)")
