"""Uncached catalog query latency on PostgreSQL with a large catalog.

    .venv/bin/python -m benchmarks.catalog_queries [--products 100000] [--runs 200]

Creates a scratch database, loads the products through the catalog writer, VACUUM ANALYZEs, then times
the Consumer catalog's queries through the repository (SQL plus row mapping, no cache) and
prints the median and p95 of each. The scratch database is dropped at the end.
"""

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from benchmarks.harness.database import scratch_database, vacuum_analyze
from storefront.catalog.repository import CatalogRepository
from storefront.catalog.schemas import ProductFilters
from storefront.catalog.writer import ensure_categories, ensure_price_list, upsert_products, write_prices
from storefront.config import Settings
from storefront.db.base import utcnow
from storefront.db.engine import Database, create_database
from storefront.db.migrate import upgrade_async
from storefront.erp.items import parse_item

CATEGORIES = ["Beverages", "Dairy & Eggs", "Rice & Grains", "Cleaning Supplies", "Personal Care"]
WORDS = [
    "Tea",
    "Rice",
    "Soap",
    "Juice",
    "Cheese",
    "Oil",
    "Bread",
    "Lentils",
    "Coffee",
    "Shampoo",
    "Dates",
    "Milk",
]
BRANDS = ["Dijla", "Furat", "Zagros", "Babylon", "Ishtar", "Sumer", "Nineveh", "Basra"]


def fake_items(count: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    items = []
    for n in range(count):
        stock = rng.randint(-2, 300)
        items.append(
            {
                "item_id": str(7000000000000 + n),
                "name": f"{rng.choice(BRANDS)} {rng.choice(WORDS)} {rng.choice(WORDS)} {n}",
                "sku": f"BM-{n:07d}",
                "rate": rng.randrange(250, 90000, 250),
                "status": "active" if rng.random() > 0.03 else "inactive",
                "category_name": CATEGORIES[n % len(CATEGORIES)],
                "actual_available_stock": stock,
                "available_stock": stock,
                "stock_on_hand": stock,
                "last_modified_time": "2026-11-01T10:00:00+0000",
            }
        )
    return items


async def load(database: Database, raw: list[dict[str, Any]]) -> None:
    items = [parse_item(r) for r in raw]
    now = utcnow()
    async with database.write_sessionmaker() as session, session.begin():
        categories = await ensure_categories(session, CATEGORIES)
        price_list_id = await ensure_price_list(session, "consumer_iqd", "IQD")
        for start in range(0, len(items), 2000):
            batch = items[start : start + 2000]
            await upsert_products(session, batch, categories, now)
            await write_prices(
                session, price_list_id, {i.erp_item_id: i.rate or Decimal(1) for i in batch}, now
            )


async def timed(runs: int, call: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    for _ in range(10):
        await call()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


async def main(products: int, runs: int) -> None:
    async with scratch_database() as url:
        await measure(url, products, runs)


async def measure(url: str, products: int, runs: int) -> None:
    database = create_database(Settings(_env_file=None, database_url=url))
    try:
        await upgrade_async(url)
        began = time.perf_counter()
        await load(database, fake_items(products))
        # Steady state: what autovacuum leaves after a bulk load (statistics and the visibility map).
        await vacuum_analyze(url)
        print(f"loaded {products} products in {time.perf_counter() - began:.1f} s")
        per_category = products // len(CATEGORIES)
        cases: list[tuple[str, ProductFilters, int]] = [
            ("category page, skip 0", ProductFilters(category="Rice & Grains"), 0),
            (
                "category page, skip 10000",
                ProductFilters(category="Rice & Grains"),
                min(10_000, per_category // 2),
            ),
            ("all products, skip 0", ProductFilters(), 0),
            ("search 'zagros tea' (common)", ProductFilters(search="zagros tea"), 0),
            ("search 'bm-00421' (sku)", ProductFilters(search="bm-00421"), 0),
            ("search + category", ProductFilters(category="Beverages", search="coffee"), 0),
        ]
        print(f"{'query':34} {'median ms':>10} {'p95 ms':>8}")
        for label, filters, skip in cases:

            async def call(filters: ProductFilters = filters, skip: int = skip) -> None:
                async with database.sessionmaker() as session:
                    await CatalogRepository(session, "consumer_iqd", "http://127.0.0.1:8000").list_products(
                        filters, skip, 50
                    )

            median, p95 = await timed(runs, call)
            print(f"{label:34} {median:10.2f} {p95:8.2f}")
    finally:
        await database.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.products, args.runs))
