"""Several processes at once on PostgreSQL: two API processes, two push workers, the ERP emulator.

Hundreds of orders against a few hot products, one worker killed on the way: no oversell, every
accepted order confirmed exactly once in the ERP, none lost.
"""

import asyncio
import os
import signal
import socket
import sys
import uuid
from asyncio.subprocess import DEVNULL, Process
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from storefront.erp.emulator import EmulatorControl
from tests.support import databases
from tests.support.catalog import seed, zoho_item
from tests.support.databases import backend

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.postgres_only,
    pytest.mark.slow,
    pytest.mark.skipif(backend() != "postgres", reason="several processes share one PostgreSQL"),
]

ORDERS = 300
HOT_STOCK = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def spawn(*args: str, env: dict[str, str]) -> Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "storefront", *args, env=env, stdout=DEVNULL, stderr=DEVNULL
    )


async def wait_for(url: str, processes: list[Process]) -> None:
    async with httpx.AsyncClient() as http, asyncio.timeout(30):
        while True:
            assert all(p.returncode is None for p in processes), "a process exited early"
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)


def plain_url(database: databases.TestDatabase) -> str:
    return database.url.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture
async def cluster(clean_database: databases.TestDatabase) -> AsyncIterator[dict[str, Any]]:
    emulator_port, api_ports = free_port(), [free_port(), free_port()]
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    run = uuid.uuid4().hex[:12]
    env = {
        **os.environ,
        "STOREFRONT_DATABASE_URL": clean_database.url,
        "STOREFRONT_DATABASE_POOL_SIZE": "8",
        "STOREFRONT_REDIS_URL": "redis://127.0.0.1:6379/0",
        "STOREFRONT_CACHE_PREFIX": f"test-orders-{run}",
        "STOREFRONT_ZOHO_KEY_PREFIX": f"test-orders-{run}",
        "STOREFRONT_ERP": "zoho",
        # The credentials `storefront erp-emulator` accepts by default.
        "STOREFRONT_ZOHO_CLIENT_ID": "emulator",
        "STOREFRONT_ZOHO_CLIENT_SECRET": "emulator",
        "STOREFRONT_ZOHO_REFRESH_TOKEN": "emulator",
        "STOREFRONT_ZOHO_ORGANIZATION_ID": "1",
        "STOREFRONT_ZOHO_ACCOUNTS_URL": emulator_url,
        "STOREFRONT_ZOHO_API_URL": f"{emulator_url}/inventory/v1",
        "STOREFRONT_ZOHO_REQUESTS_PER_MINUTE": "100000",
        "STOREFRONT_RUN_BACKGROUND_TASKS": "false",
        "STOREFRONT_ORDER_PUSH_POLL_INTERVAL_SECONDS": "0.2",
        "STOREFRONT_ORDER_PUSH_LEASE_SECONDS": "3",
        "STOREFRONT_ORDER_PUSH_BACKOFF_BASE_SECONDS": "0.2",
        "STOREFRONT_ORDER_PUSH_BACKOFF_CAP_SECONDS": "1",
        "STOREFRONT_LOG_LEVEL": "WARNING",
        # Every order comes from 127.0.0.1: one client to the per-client rate limit.
        "STOREFRONT_RATE_LIMIT_ORDERS": "1000000/second",
    }
    processes = [
        await spawn(
            "erp-emulator", "--port", str(emulator_port), "--empty", "--rate-limit-per-minute", "0", env=env
        )
    ]
    try:
        await wait_for(f"{emulator_url}/_emulator/stats", processes)
        for port in api_ports:
            processes.append(await spawn("serve", "--port", str(port), env=env))
        workers = [await spawn("worker", env=env), await spawn("worker", env=env)]
        processes.extend(workers)
        for port in api_ports:
            await wait_for(f"http://127.0.0.1:{port}/health/live", processes)
        control = EmulatorControl(emulator_url)
        try:
            yield {
                "apis": [f"http://127.0.0.1:{port}" for port in api_ports],
                "control": control,
                "workers": workers,
                "database": clean_database,
            }
        finally:
            await control.aclose()
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


async def test_processes_share_the_stock_and_the_erp_sees_each_order_once(
    cluster: dict[str, Any], make_settings: Any
) -> None:
    items = [zoho_item(f"Hot {n}", stock=HOT_STOCK, rate=1000 + n) for n in range(4)]
    await seed(make_settings(), items)
    control: EmulatorControl = cluster["control"]
    await control.put_items(items, webhooks=False)
    item_ids = [item["item_id"] for item in items]
    gate = asyncio.Semaphore(32)

    async def order(n: int, http: httpx.AsyncClient) -> httpx.Response:
        first, second = item_ids[n % 4], item_ids[(n + 1 + n // 4) % 4]
        lines = [{"product_id": first, "quantity": 1 + n % 3}]
        if second != first and n % 2:
            lines.append({"product_id": second, "quantity": 1})
        body = {"customer": {"name": f"Shopper {n}", "email": f"shopper{n % 50}@example.com"}, "lines": lines}
        async with gate:
            return await http.post(f"{cluster['apis'][n % 2]}/api/consumer/orders", json=body)

    async with httpx.AsyncClient(timeout=30) as http:
        placing = asyncio.gather(*(order(n, http) for n in range(ORDERS)))
        await asyncio.sleep(1.0)
        # One worker dies mid-run; the leases it held expire and the other worker takes over.
        cluster["workers"][0].send_signal(signal.SIGKILL)
        responses = await placing

    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {201, 409}, statuses
    accepted = {r.json()["data"]["id"]: r.json()["data"] for r in responses if r.status_code == 201}
    assert accepted
    assert statuses.count(409) > 0, "the test must ask for more than the stock"

    connection = await asyncpg.connect(plain_url(cluster["database"]))
    try:
        async with asyncio.timeout(90):
            # The workers are other processes: the database can only be polled.
            while await connection.fetchval("SELECT count(*) FROM orders WHERE status = 'accepted'"):  # noqa: ASYNC110
                await asyncio.sleep(0.25)
        orders = {
            str(row["id"]): row
            for row in await connection.fetch("SELECT id, number, status, erp_salesorder_id FROM orders")
        }
        products = await connection.fetch(
            "SELECT erp_item_id, erp_actual_available_stock, reserved_stock FROM products"
        )
        ordered = dict(
            await connection.fetch(
                "SELECT erp_item_id, sum(quantity) FROM order_lines GROUP BY erp_item_id"  # every order
            )
        )
    finally:
        await connection.close()

    assert set(orders) == set(accepted), "an accepted order is missing, or an unanswered one exists"
    assert {row["status"] for row in orders.values()} == {"confirmed"}
    for product in products:
        assert product["reserved_stock"] == ordered.get(product["erp_item_id"], 0)
        assert product["reserved_stock"] <= product["erp_actual_available_stock"] == HOT_STOCK
    salesorders = await control.salesorders()
    assert len(salesorders) == len(orders)
    by_number = {so["salesorder_number"]: so for so in salesorders}
    assert len(by_number) == len(salesorders)
    for row in orders.values():
        assert by_number[row["number"]]["salesorder_id"] == row["erp_salesorder_id"]
        assert by_number[row["number"]]["reference_number"] == row["number"]


async def test_an_order_taken_by_one_process_shows_at_once_in_the_others_cached_reads(
    cluster: dict[str, Any], make_settings: Any
) -> None:
    """Invariant 5 across processes: with versions pushed by Redis (the default), the other API
    process never serves the stock from before an order it did not take, from its memory or from
    Redis, while the workers push the orders to the ERP."""
    ordered, untouched = zoho_item("Ordered Tea", stock=50, rate=3000), zoho_item("Untouched Rice", stock=9)
    await seed(make_settings(), [ordered, untouched])
    await cluster["control"].put_items([ordered, untouched], webhooks=False)
    first, second = cluster["apis"]
    product = f"/api/consumer/products/{ordered['item_id']}"
    listing = "/api/consumer/products?limit=50"

    def shown(answer: httpx.Response) -> int:
        data = answer.json()["data"]
        if isinstance(data, list):
            return int(next(p["stock"] for p in data if p["erp_item_id"] == ordered["item_id"]))
        return int(data["stock"])

    async with httpx.AsyncClient(timeout=30) as http:
        for api in (first, second, first, second):
            for path in (product, listing):
                await http.get(api + path)
        assert (await http.get(second + product)).headers["x-cache"] == "hit"
        for n in range(20):
            taker, reader = (first, second) if n % 2 == 0 else (second, first)
            body = {
                "customer": {"name": f"Tea Buyer {n}", "email": f"tea{n}@example.com"},
                "lines": [{"product_id": ordered["item_id"], "quantity": 2}],
            }
            assert (await http.post(f"{taker}/api/consumer/orders", json=body)).status_code == 201
            for path in (product, listing, product):
                answer = await http.get(reader + path)
                assert shown(answer) == 50 - 2 * (n + 1), (n, path, answer.headers["x-cache"])
