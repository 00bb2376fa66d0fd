"""Syncs that pace themselves: they wait for their share of the budget while orders go first, and a
full listing stopped by a spent daily quota resumes where it stopped."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from redis.asyncio import Redis

from storefront.app import create_app
from storefront.config import Settings
from storefront.orders.service import order_hooks
from storefront.orders.worker import OrderPusher
from tests.orders.helpers import ORDERS, order_body
from tests.support.catalog import seed
from tests.support.emulator import EmulatorHandle
from tests.sync.conftest import listed_products, run_sync
from tests.sync.test_listing import finished_run, start_sync
from tests.sync.test_sync import catalog_items, load

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def redis_prefix() -> AsyncIterator[tuple[Redis, str]]:
    redis = Redis.from_url(REDIS_URL)
    prefix = f"test-pacing-{uuid.uuid4().hex[:12]}"
    try:
        yield redis, prefix
    finally:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def serve(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://storefront.test", timeout=60
        ) as http:
            yield application, http


async def test_a_sync_waits_for_its_share_of_the_budget_while_an_order_is_confirmed(
    emulator: EmulatorHandle,
    make_settings: Callable[..., Settings],
    redis_prefix: tuple[Redis, str],
    admin_headers: dict[str, str],
) -> None:
    redis, prefix = redis_prefix
    settings = make_settings(
        **emulator.settings_overrides(),
        redis_url=REDIS_URL,
        cache_prefix=prefix,
        zoho_key_prefix=prefix,
        zoho_requests_per_minute=20,
        zoho_sync_budget_share=0.5,
    )
    items = catalog_items(450)
    await load(emulator, items)
    await seed(settings, items)  # the mirror already has the catalog: an order can be placed at once
    # Ten calls were made 56 seconds ago: the sync's half of the minute is spent for 4 more seconds.
    budget_key = f"{prefix}:zoho:budget:{settings.zoho_organization_id}"
    seconds, micros = await redis.time()
    long_ago = seconds * 1000 + micros // 1000 - 56_000
    await redis.zadd(budget_key, {f"earlier-{n}": long_ago for n in range(10)})
    await redis.pexpire(budget_key, 60_000)

    async for application, http in serve(settings):
        started = time.monotonic()
        run_id = await start_sync(http, admin_headers, "full")
        await asyncio.sleep(0.5)
        order = await http.post(ORDERS, json=order_body((items[0]["item_id"], 1)))
        assert order.status_code == 201, order.text
        pusher = OrderPusher(
            application.state.db, application.state.erp, settings, hooks=order_hooks(application)
        )
        assert await pusher.run_once() == 1
        confirmed = (await http.get(f"{ORDERS}/{order.json()['data']['id']}")).json()["data"]
        running = (await http.get(f"/api/tds/runs/{run_id}", headers=admin_headers)).json()["data"]
        run = await finished_run(http, admin_headers, run_id)
        elapsed = time.monotonic() - started

    assert confirmed["status"] == "confirmed"
    assert running["status"] == "running"  # the order did not wait for the sync
    assert run["status"] == "completed", run["error"]
    assert run["counts"]["fetched"] == 450
    assert run["counts"]["created"] == run["counts"]["deactivated"] == 0
    assert elapsed >= 3.0


async def test_a_full_listing_stopped_by_the_daily_quota_resumes_where_it_stopped(
    emulator: EmulatorHandle, make_settings: Callable[..., Settings], admin_headers: dict[str, str]
) -> None:
    settings = make_settings(
        **emulator.settings_overrides(), sync_apply_batch_items=200, zoho_daily_reserve_share=0
    )
    items = catalog_items(600)
    await load(emulator, items)
    # Four calls are left today: the price book (two), then two pages of the listing.
    await emulator.control.configure(daily_quota=1000, daily_quota_period_seconds=3)
    await emulator.control.set_quota(restart_day=True, spend=996)

    async for _, http in serve(settings):
        stopped = await run_sync(http, admin_headers, mode="full")
        listed_when_stopped = len(await listed_products(http))
        paused = (await http.get("/health/ready")).json()["data"]["details"]["erp"]
        await asyncio.sleep(3.2)
        before = await emulator.control.calls("GET /items", 200)
        resumed = await run_sync(http, admin_headers)  # what the scheduler starts: an incremental run
        resumed_calls = await emulator.control.calls("GET /items", 200) - before
        listed = await listed_products(http)

    assert stopped["status"] == "interrupted"
    assert "daily quota" in stopped["error"]
    # Two pages: 200 items, then 199 (each page after the first starts with the last one read).
    assert stopped["counts"]["fetched"] == 399
    assert listed_when_stopped == 399
    assert "paused_until" in paused
    assert resumed["status"] == "completed", resumed["error"]
    assert resumed["mode"] == "full"
    # Two more pages (the last 200 items, and the page that says there are no more), not all four.
    assert resumed_calls <= 3
    assert resumed["counts"]["fetched"] < 400
    assert resumed["counts"]["deactivated"] == 0
    assert set(listed) == {item["item_id"] for item in items}


async def test_a_long_first_sync_sells_what_it_has_written_before_it_ends(
    emulator: EmulatorHandle, make_settings: Callable[..., Settings], admin_headers: dict[str, str]
) -> None:
    settings = make_settings(**emulator.settings_overrides(), sync_apply_batch_items=200)
    items = catalog_items(600)
    await load(emulator, items)
    await emulator.control.faults(latency_ms=300)

    async for _, http in serve(settings):
        run_id = await start_sync(http, admin_headers, "full")
        async with asyncio.timeout(30):
            while not (listed := await listed_products(http)):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        product = next(iter(listed.values()))
        order = await http.post(ORDERS, json=order_body((product["erp_item_id"], 1)))
        running = (await http.get(f"/api/tds/runs/{run_id}", headers=admin_headers)).json()["data"]
        await emulator.control.faults(latency_ms=0)
        run = await finished_run(http, admin_headers, run_id)

    assert running["status"] == "running"
    assert product["currency"] == "IQD"
    assert order.status_code == 201, order.text
    assert run["status"] == "completed"
