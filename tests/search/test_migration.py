"""The search migration on a database that already has products: it fills their search rows, and
it goes down and up again."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from asgi_lifespan import LifespanManager
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from storefront.app import create_app
from storefront.config import Settings
from storefront.db.base import UTCDateTime, utcnow
from storefront.db.migrate import alembic_config, upgrade_async
from tests.support.databases import POSTGRES_ADMIN_URL, backend

BEFORE_SEARCH = "0007"

categories = sa.table(
    "categories",
    sa.column("id", sa.BigInteger()),
    sa.column("name", sa.String()),
    sa.column("created_at", UTCDateTime()),
)
price_lists = sa.table(
    "price_lists",
    sa.column("id", sa.BigInteger()),
    sa.column("code", sa.String()),
    sa.column("currency", sa.String()),
    sa.column("created_at", UTCDateTime()),
)
products = sa.table(
    "products",
    *(sa.column(name, sa.String()) for name in ("erp_item_id", "sku", "name")),
    sa.column("id", sa.Uuid()),
    sa.column("category_id", sa.BigInteger()),
    sa.column("is_active", sa.Boolean()),
    *(
        sa.column(name, sa.Integer())
        for name in (
            "erp_stock_on_hand",
            "erp_available_stock",
            "erp_actual_available_stock",
            "reserved_stock",
        )
    ),
    sa.column("consumer_price", sa.Numeric()),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)
product_prices = sa.table(
    "product_prices",
    sa.column("price_list_id", sa.BigInteger()),
    sa.column("product_id", sa.Uuid()),
    sa.column("price", sa.Numeric()),
    sa.column("updated_at", UTCDateTime()),
)


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of its own, dropped afterwards."""
    name = f"storefront_migration_{uuid.uuid4().hex[:10]}"
    if backend() == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / (name + '.db')}"
        return
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield (
            make_url(POSTGRES_ADMIN_URL)
            .set(drivername="postgresql+asyncpg", database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def add_products(url: str, rows: list[tuple[str, str, str]]) -> None:
    """(erp_item_id, sku, name) products, listed and priced, written as the old schema had them."""
    engine = create_async_engine(url)
    now = utcnow()
    try:
        async with engine.begin() as connection:
            await connection.execute(sa.insert(categories).values(id=1, name="Beverages", created_at=now))
            await connection.execute(
                sa.insert(price_lists).values(id=1, code="consumer_iqd", currency="IQD", created_at=now)
            )
            for erp_item_id, sku, name in rows:
                product_id = uuid.uuid4()
                await connection.execute(
                    sa.insert(products).values(
                        id=product_id,
                        erp_item_id=erp_item_id,
                        sku=sku,
                        name=name,
                        category_id=1,
                        is_active=True,
                        erp_stock_on_hand=5,
                        erp_available_stock=5,
                        erp_actual_available_stock=5,
                        reserved_stock=0,
                        consumer_price=Decimal(1000),
                        created_at=now,
                        updated_at=now,
                    )
                )
                await connection.execute(
                    sa.insert(product_prices).values(
                        price_list_id=1, product_id=product_id, price=Decimal(1000), updated_at=now
                    )
                )
    finally:
        await engine.dispose()


async def search(settings: Settings, query: str) -> list[str]:
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://storefront.test") as client:
            response = await client.get("/api/consumer/products", params={"search": query})
            assert response.status_code == 200, response.text
            return [product["name"] for product in response.json()["data"]]


async def test_the_migration_fills_the_search_rows_of_existing_products_and_goes_down_and_up(
    database_url: str, make_settings: Callable[..., Settings]
) -> None:
    await upgrade_async(database_url, BEFORE_SEARCH)
    await add_products(
        database_url,
        [
            ("1", "BEV-TEA-1", "شاي أخضر ٢٥٠ غم"),
            ("2", "BEV-COF-2", "Arabic Coffee"),
            ("3", "BEV-WAT-3", "Water"),
        ],
    )
    await upgrade_async(database_url)
    settings = make_settings(database_url=database_url)
    assert await search(settings, "الشاي الاخضر 250") == ["شاي أخضر ٢٥٠ غم"]
    assert await search(settings, "bev-cof-2") == ["Arabic Coffee"]
    if backend() == "postgres":
        # The words came along too: a letter off still finds the product.
        assert await search(settings, "cofee") == ["Arabic Coffee"]

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), BEFORE_SEARCH)
    await upgrade_async(database_url)
    assert await search(settings, "شاي") == ["شاي أخضر ٢٥٠ غم"]
