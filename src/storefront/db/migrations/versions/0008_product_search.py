"""products: the Arabic name; product_search: names and SKU in search form, one row per
product; product_search_words: the catalog's words

Search normalises names and queries alike (storefront.catalog.normalize), so a query typed
without hamza, harakat or the article finds the names as the ERP spells them, and ranks what it
finds. Its rows live apart from products, whose rows every stock change rewrites, so that a
search reads its indexes alone. The catalog writer fills the rows when a name changes; this
migration fills them for the products already there, and a trigger copies each product's listing
flag and category as they change. On PostgreSQL one trigram index over the listed products'
search text replaces the two over lower(name) and lower(sku), which no query uses any more, and
another over the words finds those a letter off a query's term.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 10:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from storefront.catalog.search import SearchColumns

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL_BATCH = 1000
SEARCH_KEY = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
# (name, columns, PostgreSQL INCLUDE columns), each over the listed products only.
INDEXES: tuple[tuple[str, list[str], list[str]], ...] = (
    ("ix_product_search_name", ["search_name", "product_id"], []),
    ("ix_product_search_category_name", ["category_id", "search_name", "product_id"], []),
    ("ix_product_search_name_ar", ["search_name_ar", "product_id"], ["category_id"]),
    ("ix_product_search_sku", ["search_sku"], ["category_id"]),
    ("ix_product_search_listed", ["product_id"], ["search_text"]),
    ("ix_product_search_category", ["category_id", "product_id"], ["search_text"]),
)
_PG_FOLLOW_FUNCTION = """
CREATE FUNCTION product_search_follow_product() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE product_search SET is_listed = NEW.is_listed, category_id = NEW.category_id
    WHERE product_id = NEW.id;
    RETURN NULL;
END
$$
"""
_PG_FOLLOW_TRIGGER = """
CREATE TRIGGER products_search_follow AFTER UPDATE ON products FOR EACH ROW
WHEN (OLD.is_listed IS DISTINCT FROM NEW.is_listed OR OLD.category_id IS DISTINCT FROM NEW.category_id)
EXECUTE FUNCTION product_search_follow_product()
"""
_SQLITE_FOLLOW_TRIGGER = """
CREATE TRIGGER products_search_follow AFTER UPDATE ON products
WHEN OLD.is_listed IS NOT NEW.is_listed OR OLD.category_id IS NOT NEW.category_id
BEGIN
    UPDATE product_search SET is_listed = NEW.is_listed, category_id = NEW.category_id
    WHERE product_id = NEW.id;
END
"""

_products = sa.table(
    "products",
    sa.column("id", sa.Uuid()),
    sa.column("name", sa.String()),
    sa.column("sku", sa.String()),
    sa.column("category_id", sa.BigInteger()),
    sa.column("is_listed", sa.Boolean()),
)


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _search_row(row: Any, columns: SearchColumns) -> dict[str, Any]:
    return {
        "product_id": row.id,
        "category_id": row.category_id,
        "is_listed": row.is_listed,
        "search_name": columns.search_name,
        "search_name_ar": columns.search_name_ar,
        "search_sku": columns.search_sku,
        "search_text": columns.search_text,
    }


def _backfill(search: sa.Table, words: sa.Table) -> None:
    """The search rows and words of the products already there (none has an Arabic name yet)."""
    product = _products.c
    rows = op.get_bind().execute(
        sa.select(product.id, product.name, product.sku, product.category_id, product.is_listed)
    )
    vocabulary: set[str] = set()
    batch: list[dict[str, Any]] = []
    for row in rows.all():
        columns = SearchColumns.of(row.name, None, row.sku)
        vocabulary |= columns.vocabulary()
        batch.append(_search_row(row, columns))
        if len(batch) == BACKFILL_BATCH:
            op.bulk_insert(search, batch)
            batch = []
    if batch:
        op.bulk_insert(search, batch)
    if vocabulary:
        op.bulk_insert(words, [{"word": word} for word in sorted(vocabulary)])


def upgrade() -> None:
    op.add_column("products", sa.Column("name_ar", sa.String(length=512), nullable=True))
    search = op.create_table(
        "product_search",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("category_id", sa.BigInteger(), nullable=True),
        sa.Column("is_listed", sa.Boolean(), nullable=False),
        sa.Column("search_name", SEARCH_KEY, nullable=False),
        sa.Column("search_name_ar", SEARCH_KEY, nullable=False),
        sa.Column("search_sku", SEARCH_KEY, nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_search_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_product_search")),
    )
    words = op.create_table(
        "product_search_words",
        sa.Column("word", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("word", name=op.f("pk_product_search_words")),
    )
    assert search is not None
    assert words is not None
    _backfill(search, words)
    # Each written as the dialect's queries write the listing test, or the planner does not use it.
    for name, columns, include in INDEXES:
        op.create_index(
            name,
            "product_search",
            columns,
            postgresql_include=include,
            postgresql_where=sa.text("is_listed"),
            sqlite_where=sa.text("is_listed = 1"),
        )
    if _is_postgres():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_product_search_trgm ON product_search USING gin (search_text gin_trgm_ops) "
            "WHERE is_listed"
        )
        op.execute(
            "CREATE INDEX ix_product_search_words_trgm ON product_search_words USING gin (word gin_trgm_ops)"
        )
        op.execute("DROP INDEX IF EXISTS ix_products_name_trgm")
        op.execute("DROP INDEX IF EXISTS ix_products_sku_trgm")
        op.execute(_PG_FOLLOW_FUNCTION)
        op.execute(_PG_FOLLOW_TRIGGER)
    else:
        op.execute(_SQLITE_FOLLOW_TRIGGER)


def downgrade() -> None:
    if _is_postgres():
        op.execute("DROP TRIGGER IF EXISTS products_search_follow ON products")
        op.execute("DROP FUNCTION IF EXISTS product_search_follow_product()")
        op.execute("CREATE INDEX ix_products_name_trgm ON products USING gin (lower(name) gin_trgm_ops)")
        op.execute("CREATE INDEX ix_products_sku_trgm ON products USING gin (lower(sku) gin_trgm_ops)")
    else:
        op.execute("DROP TRIGGER IF EXISTS products_search_follow")
    op.drop_table("product_search_words")
    op.drop_table("product_search")
    op.drop_column("products", "name_ar")
