"""Load the demo catalog straight into the database."""

from decimal import Decimal
from typing import Any

from storefront.catalog.writer import ensure_categories, ensure_price_list, upsert_products, write_prices
from storefront.db.base import utcnow
from storefront.db.engine import Database
from storefront.demo.catalog import ARABIC_NAME_FIELD, DEMO_CURRENCY, demo_consumer_rates, demo_items
from storefront.erp.items import parse_item

BATCH = 500


async def load_items(
    database: Database,
    raw_items: list[dict[str, Any]],
    rates: dict[str, int],
    price_list: str,
    currency: str,
    *,
    name_ar_field: str | None = None,
) -> int:
    items = [parse_item(raw, name_ar_field=name_ar_field) for raw in raw_items]
    now = utcnow()
    async with database.write_sessionmaker() as session, session.begin():
        category_ids = await ensure_categories(session, (i.category_name for i in items if i.category_name))
        price_list_id = await ensure_price_list(session, price_list, currency)
        for start in range(0, len(items), BATCH):
            batch = items[start : start + BATCH]
            prices = {
                i.erp_item_id: Decimal(rates[i.erp_item_id]) if i.erp_item_id in rates else None
                for i in batch
            }
            await upsert_products(session, batch, category_ids, now, prices)
            await write_prices(session, price_list_id, prices, now)
    return len(items)


async def load_demo_catalog(database: Database, price_list: str, count: int = 1000) -> int:
    items = demo_items(count)
    return await load_items(
        database,
        items,
        demo_consumer_rates(items),
        price_list,
        DEMO_CURRENCY,
        name_ar_field=ARABIC_NAME_FIELD,
    )
