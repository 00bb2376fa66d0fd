"""Redis shared by several app instances, and Redis failing under a running app."""

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from storefront.cache import CATALOG
from storefront.config import Settings
from tests.conftest import ADMIN_TOKEN
from tests.support.cache import REDIS_URL, forget_versions, require_redis, running_app, unique_prefix
from tests.support.catalog import seed, set_reserved, zoho_item
from tests.support.redis_server import OwnRedis, own_redis

__all__ = ["own_redis"]
pytestmark = pytest.mark.asyncio

PRODUCTS = "/api/consumer/products"


@pytest.fixture
async def shared_settings(make_settings: Callable[..., Settings]) -> AsyncIterator[Settings]:
    await require_redis()
    prefix = unique_prefix()
    yield make_settings(redis_url=REDIS_URL, cache_prefix=prefix, cache_redis_timeout_seconds=5)
    await forget_versions(prefix)


@pytest.fixture
async def tea(make_settings: Callable[..., Settings]) -> dict[str, Any]:
    item = zoho_item("Black Tea 500 g", stock=20, rate=3500)
    await seed(make_settings(), [item, zoho_item("Basmati Rice 5 kg", stock=40, rate=15000)])
    return item


def tea_stock(response: httpx.Response) -> int:
    return int(next(p["stock"] for p in response.json()["data"] if p["name"] == "Black Tea 500 g"))


def client_of(application: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://storefront.test")


async def test_two_instances_share_entries_and_see_each_others_invalidations(
    shared_settings: Settings, tea: dict[str, Any]
) -> None:
    async with (
        running_app(shared_settings) as first,
        running_app(shared_settings) as second,
        client_of(first) as one,
        client_of(second) as two,
    ):
        assert (await one.get(PRODUCTS)).headers["x-cache"] == "miss"
        shared = await two.get(PRODUCTS)
        assert shared.headers["x-cache"] == "hit"
        assert (await two.get(PRODUCTS)).headers["x-cache"] == "hit"  # now from its L1

        await set_reserved(shared_settings, tea["item_id"], 7)
        await first.state.cache.invalidate(CATALOG)
        after = await two.get(PRODUCTS)
        assert after.headers["x-cache"] == "miss"
        assert tea_stock(after) == 13
        assert tea_stock(await one.get(PRODUCTS)) == 13

        await set_reserved(shared_settings, tea["item_id"], 8)
        await second.state.cache.invalidate(CATALOG)
        assert tea_stock(await one.get(PRODUCTS)) == 12


async def test_an_order_in_one_instance_refreshes_what_the_other_shows_of_that_product_only(
    shared_settings: Settings, tea: dict[str, Any]
) -> None:
    order = {
        "customer": {"name": "Shopper One", "email": "shopper@example.com", "phone": "+964 770 000 0000"},
        "lines": [{"product_id": tea["item_id"], "quantity": 3}],
    }
    rice = "/api/consumer/products?search=rice"
    async with (
        running_app(shared_settings) as first,
        running_app(shared_settings) as second,
        client_of(first) as one,
        client_of(second) as two,
    ):
        for url in (PRODUCTS, rice, PRODUCTS, rice):
            await two.get(url)
        assert (await two.get(rice)).headers["x-cache"] == "hit"

        assert (await one.post("/api/consumer/orders", json=order)).status_code == 201
        after = await two.get(PRODUCTS)
        assert after.headers["x-cache"] == "miss"
        assert tea_stock(after) == 17
        assert (await two.get(rice)).headers["x-cache"] == "hit"

        # Changes the other instance can no longer read from the feed (it keeps the latest few
        # thousand): it forgets what it knew and misses instead of serving an old figure.
        admin = Redis.from_url(REDIS_URL)
        try:
            prefix = shared_settings.cache_prefix
            await admin.incrby(f"{prefix}:stock:seq", 5)
            await admin.delete(f"{prefix}:stock:changes")
        finally:
            await admin.aclose()
        await set_reserved(shared_settings, tea["item_id"], 5)
        assert (await one.post("/api/consumer/orders", json=order)).status_code == 201
        refreshed = await two.get(PRODUCTS)
        assert refreshed.headers["x-cache"] == "miss"
        assert tea_stock(refreshed) == 12
        assert (await two.get(rice)).headers["x-cache"] == "miss"


async def test_redis_stopped_mid_test_degrades_to_the_database_and_caching_resumes(
    make_settings: Callable[..., Settings], own_redis: OwnRedis, tea: dict[str, Any]
) -> None:
    settings = make_settings(
        redis_url=own_redis.url, cache_prefix=unique_prefix(), cache_retry_after_seconds=0.2
    )
    async with running_app(settings) as application, client_of(application) as client:
        assert (await client.get(PRODUCTS)).headers["x-cache"] == "miss"
        assert (await client.get(PRODUCTS)).headers["x-cache"] == "hit"

        await application.state.cache.ping()
        own_redis.stop()
        with pytest.raises(RedisConnectionError):
            await application.state.cache.ping()
        down = await client.get(PRODUCTS)
        assert down.status_code == 200
        assert down.headers["x-cache"] == "bypass"
        assert application.state.cache.stats.get("consumer:products", "errors") == 1
        await set_reserved(settings, tea["item_id"], 5)
        await application.state.cache.invalidate(CATALOG)  # a write path while Redis is down
        assert application.state.cache.stats.get("invalidate", "errors") == 1
        for _ in range(5):
            response = await client.get(PRODUCTS)
            assert response.status_code == 200
            assert response.headers["x-cache"] == "bypass"
            assert tea_stock(response) == 15
        product = await client.get(f"/api/consumer/products/{tea['item_id']}")
        assert product.status_code == 200
        assert product.json()["data"]["stock"] == 15

        own_redis.start()
        await asyncio.sleep(0.3)
        assert (await client.get(PRODUCTS)).headers["x-cache"] == "miss"
        resumed = await client.get(PRODUCTS)
        assert resumed.headers["x-cache"] == "hit"
        assert tea_stock(resumed) == 15


async def test_an_invalidation_lost_to_a_redis_outage_is_replayed_before_the_cache_is_used(
    make_settings: Callable[..., Settings], own_redis: OwnRedis, tea: dict[str, Any]
) -> None:
    settings = make_settings(
        redis_url=own_redis.url,
        cache_prefix=unique_prefix(),
        cache_retry_after_seconds=0.2,
        cache_redis_timeout_seconds=0.1,
    )
    admin = Redis.from_url(own_redis.url)
    try:
        async with running_app(settings) as application, client_of(application) as client:
            assert tea_stock(await client.get(PRODUCTS)) == 20
            # Redis keeps its data but stops answering: the version bump times out.
            await admin.execute_command("CLIENT", "PAUSE", "600", "ALL")
            await set_reserved(settings, tea["item_id"], 4)
            await application.state.cache.invalidate(CATALOG)
            assert application.state.cache.stats.get("invalidate", "errors") == 1
            await asyncio.sleep(0.8)  # the pause is over; the old entry is still in Redis
            after = await client.get(PRODUCTS)
            assert after.status_code == 200
            assert tea_stock(after) == 16
    finally:
        await admin.aclose()


async def test_cache_counters_are_exported(shared_settings: Settings, tea: dict[str, Any]) -> None:
    async with running_app(shared_settings) as application, client_of(application) as client:
        before = await client.get("/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        await client.get("/api/consumer/categories")
        await client.get("/api/consumer/categories")
        after = await client.get("/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert metric(after.text, "storefront_cache_hits_total", "consumer:categories") == (
        metric(before.text, "storefront_cache_hits_total", "consumer:categories") + 1
    )
    assert metric(after.text, "storefront_cache_misses_total", "consumer:categories") == (
        metric(before.text, "storefront_cache_misses_total", "consumer:categories") + 1
    )


def metric(text: str, name: str, prefix: str) -> float:
    line = next((line for line in text.splitlines() if line.startswith(f'{name}{{prefix="{prefix}"}}')), None)
    return float(line.rsplit(" ", 1)[1]) if line else 0.0


async def test_while_another_process_recomputes_an_expired_entry_the_previous_value_is_served(
    make_settings: Callable[..., Settings], tea: dict[str, Any]
) -> None:
    await require_redis()
    prefix = unique_prefix()
    settings = make_settings(
        redis_url=REDIS_URL,
        cache_prefix=prefix,
        cache_ttl_overrides={"consumer:categories": 0.2},
        cache_redis_timeout_seconds=5,
        cache_stale_grace_seconds=30,
    )
    admin = Redis.from_url(REDIS_URL)
    try:
        async with running_app(settings) as application, client_of(application) as client:
            first = await client.get("/api/consumer/categories")
            assert first.headers["x-cache"] == "miss"
            await asyncio.sleep(0.3)
            version = (await admin.get(f"{prefix}:version:{CATALOG}")).decode()
            lock = f"{prefix}:consumer:categories:{version}:/api/consumer/categories:lock"
            assert await admin.set(lock, "another-process", nx=True, px=5000)
            stale = await client.get("/api/consumer/categories")
            assert stale.status_code == 200
            assert stale.headers["x-cache"] == "stale"
            assert stale.json()["data"] == first.json()["data"]
            assert application.state.cache.stats.get("consumer:categories", "stale") == 1
            await admin.delete(lock)
            assert (await client.get("/api/consumer/categories")).headers["x-cache"] == "miss"
    finally:
        await admin.aclose()
        await forget_versions(prefix)
