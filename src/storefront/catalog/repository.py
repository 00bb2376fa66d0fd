"""The catalog's SQL: every read of what shoppers may see."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.models import Category, PriceList, Product, ProductPrice
from storefront.catalog.schemas import CategoryView, ProductFilters, ProductView

SELLABLE_STOCK = Product.erp_actual_available_stock - Product.reserved_stock
# Matches the partial listing indexes' predicate exactly, so the planner can use them.
IS_LISTED = Product.is_active & (Product.erp_actual_available_stock > Product.reserved_stock)


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _priced_products(price_list_code: str) -> Select[*tuple[Any, ...]]:
    return (
        select(
            Product.id,
            Product.erp_item_id,
            Product.sku,
            Product.name,
            Product.description,
            Category.name.label("category"),
            ProductPrice.price,
            PriceList.currency,
            SELLABLE_STOCK.label("stock"),
            Product.image_url,
            Product.updated_at,
        )
        .join(ProductPrice, ProductPrice.product_id == Product.id)
        .join(PriceList, (PriceList.id == ProductPrice.price_list_id) & (PriceList.code == price_list_code))
        .outerjoin(Category, Category.id == Product.category_id)
    )


def _to_view(row: Row[Any]) -> ProductView:
    m = row._mapping
    return ProductView(
        id=str(m["id"]),
        erp_item_id=m["erp_item_id"],
        sku=m["sku"],
        name=m["name"],
        description=m["description"],
        category=m["category"],
        price=m["price"],
        currency=m["currency"],
        stock=max(int(m["stock"]), 0),
        image_url=m["image_url"],
        updated_at=m["updated_at"],
    )


class CatalogRepository:
    def __init__(self, session: AsyncSession, price_list_code: str) -> None:
        self.session = session
        self.price_list_code = price_list_code

    async def list_products(
        self, filters: ProductFilters, skip: int, limit: int
    ) -> tuple[list[ProductView], bool]:
        query = _priced_products(self.price_list_code).where(IS_LISTED)
        if filters.category is not None:
            query = query.where(
                Product.category_id.in_(
                    select(Category.id).where(func.lower(Category.name) == filters.category.lower())
                )
            )
        if filters.search:
            pattern = f"%{_escape_like(filters.search.lower())}%"
            query = query.where(
                func.lower(Product.name).like(pattern, escape="\\")
                | func.lower(Product.sku).like(pattern, escape="\\")
            )
        query = query.order_by(Product.name, Product.id).offset(skip).limit(limit + 1)
        rows = (await self.session.execute(query)).all()
        return [_to_view(row) for row in rows[:limit]], len(rows) > limit

    async def get_product(self, ref: str) -> ProductView | None:
        """By our id (a UUID) or else by the ERP's item id; active and priced, in stock or not."""
        query = _priced_products(self.price_list_code).where(Product.is_active)
        try:
            query = query.where(Product.id == uuid.UUID(ref))
        except ValueError:
            query = query.where(Product.erp_item_id == ref)
        row = (await self.session.execute(query)).first()
        return _to_view(row) if row is not None else None

    async def get_products(self, product_ids: Sequence[uuid.UUID]) -> list[ProductView]:
        query = _priced_products(self.price_list_code).where(Product.is_active, Product.id.in_(product_ids))
        return [_to_view(row) for row in (await self.session.execute(query)).all()]

    async def list_categories(self) -> list[CategoryView]:
        query = (
            select(Category.name, func.count().label("product_count"))
            .select_from(Product)
            .join(Category, Category.id == Product.category_id)
            .join(ProductPrice, ProductPrice.product_id == Product.id)
            .join(
                PriceList,
                (PriceList.id == ProductPrice.price_list_id) & (PriceList.code == self.price_list_code),
            )
            .where(IS_LISTED)
            .group_by(Category.name)
            .order_by(Category.name)
        )
        rows = (await self.session.execute(query)).all()
        return [CategoryView(name=row.name, product_count=row.product_count) for row in rows]
