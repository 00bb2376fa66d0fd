"""An order the database aborts for contention is answered 503 and leaves nothing behind."""

import asyncio
from typing import Any

import asyncpg
import httpx
import pytest

from tests.orders.conftest import item_id
from tests.orders.helpers import ORDERS, all_orders, order_body, stock_of
from tests.support import databases
from tests.support.databases import backend

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.skipif(backend() != "postgres", reason="another PostgreSQL session holds the locks"),
]


async def _wait_until_blocked(connection: asyncpg.Connection) -> None:
    for _ in range(500):
        if await connection.fetchval(
            "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid())"
        ):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the order never waited on the locked product")


async def test_an_order_caught_in_a_deadlock_is_503_and_changes_nothing(
    client: httpx.AsyncClient,
    products: dict[str, dict[str, Any]],
    clean_database: databases.TestDatabase,
    admin_headers: dict[str, str],
) -> None:
    tea, rice = item_id(products, "tea"), item_id(products, "rice")
    ids = sorted(
        [(await client.get(f"/api/consumer/products/{ref}")).json()["data"]["id"] for ref in (tea, rice)]
    )
    other = await asyncpg.connect(clean_database.url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        # The order's session, not this one, must be the one to find the deadlock and give up.
        await other.execute("SET deadlock_timeout = '60s'")
        async with other.transaction():
            await other.execute("SELECT FROM products WHERE id = $1 FOR UPDATE", ids[1])
            placing = asyncio.create_task(client.post(ORDERS, json=order_body((tea, 1), (rice, 1))))
            await _wait_until_blocked(other)
            await other.execute("SELECT FROM products WHERE id = $1 FOR UPDATE", ids[0])
            response = await placing
    finally:
        await other.close()

    assert response.status_code == 503, response.text
    envelope = response.json()
    assert envelope["status"] == "error"
    assert envelope["error"]["code"] == "service_unavailable"
    assert "deadlock" not in response.text.lower()
    assert await stock_of(client, tea) == 10
    assert await stock_of(client, rice) == 2
    assert await all_orders(client, admin_headers) == []
