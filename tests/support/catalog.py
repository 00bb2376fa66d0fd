"""Build Zoho-shaped items and put them in the mirror the way a sync would."""

from itertools import count
from typing import Any

from sqlalchemy import select, update

from storefront.catalog.models import Product
from storefront.config import Settings
from storefront.db.engine import create_database
from storefront.demo.loader import load_items

_ids = count(1)

# The product shape of design.md, on every face (Consumer API and BFF).
PRODUCT_FIELDS = frozenset(
    {
        "id",
        "erp_item_id",
        "sku",
        "name",
        "name_ar",
        "description",
        "category",
        "price",
        "currency",
        "stock",
        "in_stock",
        "image_url",
        "updated_at",
    }
)


def zoho_item(
    name: str, *, category: str = "Beverages", stock: Any = 10, rate: int = 1000, **extra: Any
) -> dict[str, Any]:
    n = next(_ids)
    item = {
        "item_id": str(990000000000 + n),
        "name": name,
        "sku": f"T-{n:05d}",
        "description": f"{name} for tests",
        "rate": rate,
        "status": "active",
        "category_name": category,
        "category_id": f"cat-{category}",
        "stock_on_hand": stock,
        "available_stock": stock,
        "actual_available_stock": stock,
        "last_modified_time": "2026-11-01T10:00:00+0000",
    }
    item.update(extra)
    return item


async def seed(settings: Settings, items: list[dict[str, Any]], *, unpriced: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    """Mirror these items; each is priced at its rate unless its item_id is in `unpriced`."""
    rates = {item["item_id"]: int(item["rate"]) for item in items if item["item_id"] not in unpriced}
    database = create_database(settings)
    try:
        await load_items(
            database, items, rates, settings.price_list, "IQD", name_ar_field=settings.zoho_name_ar_field
        )
    finally:
        await database.dispose()


async def set_reserved(settings: Settings, erp_item_id: str, reserved: int) -> None:
    database = create_database(settings)
    try:
        async with database.write_sessionmaker() as session, session.begin():
            await session.execute(
                update(Product).where(Product.erp_item_id == erp_item_id).values(reserved_stock=reserved)
            )
    finally:
        await database.dispose()


async def reserved_units(settings: Settings, erp_item_id: str) -> int:
    """The units our own orders still hold on a product (not shown by any answer: the shop shows
    sellable stock, the ERP's figure less these)."""
    database = create_database(settings)
    try:
        async with database.sessionmaker() as session:
            reserved = await session.scalar(
                select(Product.reserved_stock).where(Product.erp_item_id == erp_item_id)
            )
    finally:
        await database.dispose()
    assert reserved is not None, f"no product for item {erp_item_id}"
    return reserved
