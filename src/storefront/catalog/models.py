import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db.base import Base, BigIntPK, utcnow


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
    erp_modified_at: Mapped[datetime | None]
    synced_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        # The catalog lists sellable products per category by name; the partial index holds only them.
        Index(
            "ix_products_listing",
            "category_id",
            "name",
            "id",
            postgresql_where=text("is_active AND erp_actual_available_stock > reserved_stock"),
            sqlite_where=text("is_active AND erp_actual_available_stock > reserved_stock"),
        ),
        Index(
            "ix_products_listing_all",
            "name",
            "id",
            postgresql_where=text("is_active AND erp_actual_available_stock > reserved_stock"),
            sqlite_where=text("is_active AND erp_actual_available_stock > reserved_stock"),
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
