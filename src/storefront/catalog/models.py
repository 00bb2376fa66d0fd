import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db.base import Base, BigIntPK, utcnow

LISTED_PREDICATE = "is_active AND consumer_price IS NOT NULL AND erp_actual_available_stock > reserved_stock"


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    erp_category_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    erp_item_id: Mapped[str] = mapped_column(String(64), unique=True)
    sku: Mapped[str | None] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(512))
    description: Mapped[str | None] = mapped_column(Text)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="SET NULL"))
    image_url: Mapped[str | None] = mapped_column(String(1024))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    erp_stock_on_hand: Mapped[int] = mapped_column(Integer, default=0)
    erp_available_stock: Mapped[int] = mapped_column(Integer, default=0)
    erp_actual_available_stock: Mapped[int] = mapped_column(Integer, default=0)
    reserved_stock: Mapped[int] = mapped_column(Integer, default=0)
    # The price on the consumer price list (STOREFRONT_PRICE_LIST), mirrored from product_prices
    # by the catalog writer so the listing indexes can hold only priced products.
    consumer_price: Mapped[Decimal | None]
    erp_modified_at: Mapped[datetime | None]
    synced_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        # The catalog lists sellable products by name, per category or all; the partial indexes
        # hold only listed products, so a deep page is an index-only walk.
        Index(
            "ix_products_listing",
            "category_id",
            "name",
            "id",
            postgresql_where=text(LISTED_PREDICATE),
            sqlite_where=text(LISTED_PREDICATE),
        ),
        Index(
            "ix_products_listing_all",
            "name",
            "id",
            postgresql_where=text(LISTED_PREDICATE),
            sqlite_where=text(LISTED_PREDICATE),
        ),
        Index("ix_products_sku", "sku"),
        Index("ix_products_erp_modified_at", "erp_modified_at"),
    )


class PriceList(Base):
    __tablename__ = "price_lists"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(128), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    erp_pricebook_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProductPrice(Base):
    __tablename__ = "product_prices"

    price_list_id: Mapped[int] = mapped_column(
        ForeignKey("price_lists.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    price: Mapped[Decimal]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
