"""Bulk writes into the catalog mirror: one statement per batch, never one per row."""

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.models import Category, PriceList, Product, ProductPrice
from storefront.db.dialect import upsert_insert
from storefront.erp.items import ErpItem

_COMPARED = (
    "sku",
    "name",
    "description",
    "category_id",
    "image_url",
    "is_active",
    "erp_stock_on_hand",
    "erp_available_stock",
    "erp_actual_available_stock",
    "erp_modified_at",
)


@dataclass
class UpsertCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


async def ensure_categories(session: AsyncSession, names: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(names))
    if not wanted:
        return {}
    insert = upsert_insert(session, Category)
    await session.execute(
        insert.values([{"name": name} for name in wanted]).on_conflict_do_nothing(index_elements=["name"])
    )
    rows = await session.execute(select(Category.name, Category.id).where(Category.name.in_(wanted)))
    return {name: category_id for name, category_id in rows}


async def ensure_price_list(
    session: AsyncSession, code: str, currency: str, erp_pricebook_id: str | None = None
) -> int:
    insert = upsert_insert(session, PriceList)
    await session.execute(
        insert.values(code=code, currency=currency, erp_pricebook_id=erp_pricebook_id).on_conflict_do_update(
            index_elements=["code"],
            set_={"currency": currency, "erp_pricebook_id": erp_pricebook_id},
        )
    )
    price_list_id = await session.scalar(select(PriceList.id).where(PriceList.code == code))
    assert price_list_id is not None
    return price_list_id


async def upsert_products(
    session: AsyncSession, items: list[ErpItem], category_ids: Mapping[str, int], synced_at: datetime
) -> tuple[dict[str, uuid.UUID], UpsertCounts]:
    """Insert new items and update changed ones; returns our id per ERP item id and the counts."""
    if not items:
        return {}, UpsertCounts()
    erp_ids = [item.erp_item_id for item in items]
    rows_found = await session.execute(
        select(Product.erp_item_id, Product.id).where(Product.erp_item_id.in_(erp_ids))
    )
    existing: dict[str, uuid.UUID] = {erp_id: pid for erp_id, pid in rows_found}
    ids = {erp_id: existing.get(erp_id) or uuid.uuid4() for erp_id in erp_ids}
    rows = [
        {
            "id": ids[item.erp_item_id],
            "erp_item_id": item.erp_item_id,
            "sku": item.sku,
            "name": item.name,
            "description": item.description,
            "category_id": category_ids.get(item.category_name) if item.category_name else None,
            "image_url": item.image_url,
            "is_active": item.is_active,
            "erp_stock_on_hand": item.stock_on_hand,
            "erp_available_stock": item.available_stock,
            "erp_actual_available_stock": item.actual_available_stock,
            "reserved_stock": 0,
            "erp_modified_at": item.modified_at,
            "synced_at": synced_at,
            "created_at": synced_at,
            "updated_at": synced_at,
        }
        for item in items
    ]
    insert = upsert_insert(session, Product)
    excluded = insert.excluded
    statement = (
        insert.values(rows)
        .on_conflict_do_update(
            index_elements=["erp_item_id"],
            set_={
                **{name: excluded[name] for name in _COMPARED},
                "synced_at": excluded.synced_at,
                "updated_at": excluded.updated_at,
            },
            where=or_(*(getattr(Product, name).is_distinct_from(excluded[name]) for name in _COMPARED)),
        )
        .returning(Product.erp_item_id)
    )
    written = set((await session.execute(statement)).scalars().all())
    created = sum(1 for erp_id in erp_ids if erp_id not in existing)
    counts = UpsertCounts(
        created=created, updated=len(written) - created, unchanged=len(erp_ids) - len(written)
    )
    return ids, counts


async def replace_prices(
    session: AsyncSession, price_list_id: int, prices: Mapping[uuid.UUID, Decimal | None], at: datetime
) -> None:
    """Set (or, where the price is None, remove) these products' prices on one list."""
    priced = [
        {"price_list_id": price_list_id, "product_id": pid, "price": price, "updated_at": at}
        for pid, price in prices.items()
        if price is not None
    ]
    unpriced = [pid for pid, price in prices.items() if price is None]
    if unpriced:
        await session.execute(
            delete(ProductPrice).where(
                ProductPrice.price_list_id == price_list_id, ProductPrice.product_id.in_(unpriced)
            )
        )
    if priced:
        insert = upsert_insert(session, ProductPrice)
        await session.execute(
            insert.values(priced).on_conflict_do_update(
                index_elements=["price_list_id", "product_id"],
                set_={"price": insert.excluded.price, "updated_at": insert.excluded.updated_at},
                where=ProductPrice.price.is_distinct_from(insert.excluded.price),
            )
        )
