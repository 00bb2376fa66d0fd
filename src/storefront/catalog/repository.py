"""The catalog's SQL: every read of what shoppers may see."""

import uuid
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Executable, Integer, Result, Row, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.cache.stock import shown as shows_stock_of
from storefront.catalog.models import SELLABLE, Category, PriceList, Product
from storefront.catalog.ranking import MAX_RESULTS, ranked_product_ids
from storefront.catalog.schemas import CategoryView, ProductFilters, ProductView
from storefront.catalog.search import SearchQuery
from storefront.images.urls import image_url

# Matches the partial listing indexes' predicate, so the planner uses them.
IS_LISTED = Product.is_listed


def _priced_products() -> Select[*tuple[Any, ...]]:
    """Products with a consumer price, in the columns a ProductView needs (the currency is that of
    the price list bound as `price_list_code`)."""
    currency = (
        select(PriceList.currency).where(PriceList.code == bindparam("price_list_code")).scalar_subquery()
    )
    return (
        select(
            Product.id,
            Product.erp_item_id,
            Product.sku,
            Product.name,
            Product.name_ar,
            Product.description,
            Category.name.label("category"),
            Product.consumer_price.label("price"),
            currency.label("currency"),
            SELLABLE.label("stock"),
            Product.erp_image_ref,
            Product.image_hash,
            Product.updated_at,
        )
        .outerjoin(Category, Category.id == Product.category_id)
        .where(Product.consumer_price.is_not(None))
    )


@cache
def _listing_query(in_category: bool) -> Select[*tuple[Any, ...]]:
    """One page of listed products by name, built once per shape (construction costs more than
    running the cached compilation). Binds: skip, limit, price_list_code, and category_id where
    the shape has it.

    The page is found over the listing index alone, then the page's columns are fetched: a deep
    offset walks index entries, not joined rows.
    """
    page = select(Product.id, Product.name).where(IS_LISTED)
    if in_category:
        # A known id (not a subquery) lets the planner walk the (category, name) index in order.
        page = page.where(Product.category_id == bindparam("category_id"))
    ids = (
        page.order_by(Product.name, Product.id)
        .offset(bindparam("skip", type_=Integer()))
        .limit(bindparam("limit", type_=Integer()))
        .subquery()
    )
    return _priced_products().join(ids, ids.c.id == Product.id).order_by(ids.c.name, ids.c.id)


_CATEGORY_ID = select(Category.id).where(func.lower(Category.name) == bindparam("name")).limit(1)
# The columns of a page of search results, found by id.
_PRODUCTS_BY_ID = _priced_products().where(Product.id.in_(bindparam("ids", expanding=True)))


def _to_view(row: Row[Any], base_url: str) -> ProductView:
    """The product as shoppers see it; its picture's URL from the row alone (no query of its own)."""
    m = row._mapping
    shows_stock_of(m["id"])
    shown = m["image_hash"] if m["erp_image_ref"] is not None else None
    return ProductView(
        id=str(m["id"]),
        erp_item_id=m["erp_item_id"],
        sku=m["sku"],
        name=m["name"],
        name_ar=m["name_ar"],
        description=m["description"],
        category=m["category"],
        price=m["price"],
        currency=m["currency"],
        stock=max(int(m["stock"]), 0),
        image_url=image_url(base_url, m["erp_item_id"], shown),
        updated_at=m["updated_at"],
    )


class CatalogRepository:
    def __init__(self, session: AsyncSession, price_list_code: str, public_base_url: str) -> None:
        self.session = session
        self.price_list_code = price_list_code
        # Product pictures' URLs start with it (STOREFRONT_PUBLIC_BASE_URL), never with the Host header.
        self.public_base_url = public_base_url

    async def _execute(self, query: Executable, params: dict[str, Any] | None = None) -> Result[Any]:
        """On the session's Core connection: these reads need no ORM, whose execute costs about a
        third more CPU per statement. The price list's code is always bound."""
        bound = {"price_list_code": self.price_list_code, **(params or {})}
        return await (await self.session.connection()).execute(query, bound)

    async def list_products(
        self, filters: ProductFilters, skip: int, limit: int
    ) -> tuple[list[ProductView], bool]:
        """A page of listed products: by name, or by rank when searching (storefront.catalog.ranking,
        whose pages stop after MAX_RESULTS products)."""
        category_id: int | None = None
        if filters.category is not None:
            category_id = (await self._execute(_CATEGORY_ID, {"name": filters.category.lower()})).scalar()
            if category_id is None:
                return [], False
        if filters.search is not None:
            return await self._search(filters.search, category_id, skip, limit)
        params: dict[str, Any] = {"skip": skip, "limit": limit + 1}
        if category_id is not None:
            params["category_id"] = category_id
        rows = (await self._execute(_listing_query(category_id is not None), params)).all()
        return [_to_view(row, self.public_base_url) for row in rows[:limit]], len(rows) > limit

    async def _search(
        self, text: str, category_id: int | None, skip: int, limit: int
    ) -> tuple[list[ProductView], bool]:
        query = SearchQuery.parse(text)
        if query is None:
            return [], False
        if skip >= MAX_RESULTS:
            return [], False
        connection = await self.session.connection()
        ranked = await ranked_product_ids(connection, query, category_id, min(skip + limit + 1, MAX_RESULTS))
        page = ranked[skip : skip + limit]
        if not page:
            return [], False
        rows = (await self._execute(_PRODUCTS_BY_ID, {"ids": page})).all()
        by_id = {row.id: _to_view(row, self.public_base_url) for row in rows}
        return [by_id[product_id] for product_id in page if product_id in by_id], len(ranked) > skip + limit

    async def get_product(self, ref: str) -> ProductView | None:
        """By our id (a UUID) or else by the ERP's item id; active and priced, in stock or not."""
        query = _priced_products().where(Product.is_active)
        try:
            query = query.where(Product.id == uuid.UUID(ref))
        except ValueError:
            query = query.where(Product.erp_item_id == ref)
        row = (await self._execute(query)).first()
        return _to_view(row, self.public_base_url) if row is not None else None

    async def list_categories(self) -> list[CategoryView]:
        query = (
            select(Category.name, func.count().label("product_count"))
            .select_from(Product)
            .join(Category, Category.id == Product.category_id)
            .where(IS_LISTED)
            .group_by(Category.name)
            .order_by(Category.name)
        )
        rows = (await self._execute(query)).all()
        return [CategoryView(name=row.name, product_count=row.product_count) for row in rows]

    async def related_products(self, product_id: str, limit: int) -> list[ProductView]:
        """Listed products of the same category as this one (which is left out), by name."""
        same_category = (
            select(Product.category_id).where(Product.id == uuid.UUID(product_id)).scalar_subquery()
        )
        query = (
            _priced_products()
            .where(IS_LISTED, Product.category_id == same_category, Product.id != uuid.UUID(product_id))
            .order_by(Product.name, Product.id)
            .limit(limit)
        )
        return [_to_view(row, self.public_base_url) for row in (await self._execute(query)).all()]

    async def recently_changed(self, limit: int) -> list[ProductView]:
        """Listed products the ERP changed last (new or restocked items come first)."""
        query = (
            _priced_products()
            .where(IS_LISTED)
            .order_by(Product.erp_modified_at.desc().nulls_last(), Product.id)
            .limit(limit)
        )
        return [_to_view(row, self.public_base_url) for row in (await self._execute(query)).all()]

    async def category_exists(self, name: str) -> bool:
        query = select(Category.id).where(func.lower(Category.name) == name.lower()).limit(1)
        return (await self._execute(query)).first() is not None

    async def last_synced_at(self) -> datetime | None:
        """When a sync last wrote a change into the mirror."""
        synced_at: datetime | None = (await self._execute(select(func.max(Product.synced_at)))).scalar()
        return synced_at
