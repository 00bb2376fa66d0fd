"""Cached Consumer reads: hits, misses, invalidation, TTL, HTTP caching, request ids."""

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from storefront.cache import CATALOG, Cache
from storefront.config import Settings
from tests.support.cache import running_client
from tests.support.catalog import seed, set_reserved, zoho_item

pytestmark = pytest.mark.asyncio

PRODUCTS = "/api/consumer/products"


@pytest.fixture
async def items(settings: Settings) -> dict[str, dict[str, Any]]:
    catalog = {
        "tea": zoho_item("Black Tea 500 g", category="Beverages", stock=20, rate=3500),
        "rice": zoho_item("Basmati Rice 5 kg", category="Rice & Grains", stock=40, rate=15000),
    }
    await seed(settings, list(catalog.values()))
    return catalog


def cache_of(app: FastAPI) -> Cache:
    cache: Cache = app.state.cache
    return cache


def stock_of(response: httpx.Response, name: str) -> int:
    return int(next(p["stock"] for p in response.json()["data"] if p["name"] == name))


async def test_second_read_is_a_hit_and_keeps_the_cached_stock_until_invalidated(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, items: dict[str, dict[str, Any]]
) -> None:
    first = await client.get(PRODUCTS, params={"limit": 50})
    assert first.status_code == 200
    assert first.headers["x-cache"] == "miss"
    assert stock_of(first, "Black Tea 500 g") == 20

    await set_reserved(settings, items["tea"]["item_id"], 5)
    second = await client.get(PRODUCTS, params={"limit": 50})
    assert second.headers["x-cache"] == "hit"
    assert stock_of(second, "Black Tea 500 g") == 20
    assert second.json()["data"] == first.json()["data"]
    assert cache_of(app).stats.get("consumer:products", "misses") == 1
    assert cache_of(app).stats.get("consumer:products", "hits") == 1

    await cache_of(app).invalidate(CATALOG)
    third = await client.get(PRODUCTS, params={"limit": 50})
    assert third.headers["x-cache"] == "miss"
    assert stock_of(third, "Black Tea 500 g") == 15


@pytest.mark.parametrize("path", ["/api/consumer/products/{tea}", "/api/consumer/categories"])
async def test_single_product_and_categories_are_cached_and_invalidated(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, items: dict[str, dict[str, Any]], path: str
) -> None:
    url = path.format(tea=items["tea"]["item_id"])
    before = await client.get(url)
    assert before.status_code == 200
    assert before.headers["x-cache"] == "miss"
    await set_reserved(settings, items["tea"]["item_id"], 20)
    cached = await client.get(url)
    assert cached.headers["x-cache"] == "hit"
    assert cached.json()["data"] == before.json()["data"]

    await cache_of(app).invalidate(CATALOG)
    after = await client.get(url)
    assert after.headers["x-cache"] == "miss"
    assert after.json()["data"] != before.json()["data"]


async def test_query_parameters_name_separate_entries_and_unread_ones_are_ignored(
    client: httpx.AsyncClient, items: dict[str, dict[str, Any]]
) -> None:
    assert (await client.get(PRODUCTS, params={"limit": 1})).headers["x-cache"] == "miss"
    assert (await client.get(PRODUCTS, params={"limit": 2})).headers["x-cache"] == "miss"
    one = await client.get(PRODUCTS, params={"limit": 1, "utm_source": "mail"})
    assert one.headers["x-cache"] == "hit"
    assert len(one.json()["data"]) == 1
    reordered = await client.get(f"{PRODUCTS}?search=tea&limit=5")
    assert reordered.headers["x-cache"] == "miss"
    same = await client.get(f"{PRODUCTS}?limit=5&search=tea")
    assert same.headers["x-cache"] == "hit"
    assert [p["name"] for p in same.json()["data"]] == ["Black Tea 500 g"]


async def test_invalid_requests_are_rejected_and_never_cached(
    app: FastAPI, client: httpx.AsyncClient, items: dict[str, dict[str, Any]]
) -> None:
    for _ in range(2):
        response = await client.get(PRODUCTS, params={"limit": 0})
        assert response.status_code == 422
        assert "x-cache" not in response.headers
    missing = await client.get("/api/consumer/products/no-such-item")
    assert missing.status_code == 404
    again = await client.get("/api/consumer/products/no-such-item")
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "product_not_found"
    assert cache_of(app).stats.get("consumer:products", "hits") == 0


async def test_entries_expire_after_their_ttl(
    cache_settings: Callable[..., Settings], items: dict[str, dict[str, Any]]
) -> None:
    settings = cache_settings(cache_ttl_overrides={"consumer:product": 0.3}, cache_stale_grace_seconds=0)
    tea = f"/api/consumer/products/{items['tea']['item_id']}"
    async with running_client(settings) as client:
        assert (await client.get(tea)).headers["x-cache"] == "miss"
        await set_reserved(settings, items["tea"]["item_id"], 1)
        cached = await client.get(tea)
        assert cached.headers["x-cache"] == "hit"
        assert cached.headers["cache-control"] == "public, max-age=0"
        assert cached.json()["data"]["stock"] == 20
        await asyncio.sleep(0.4)
        expired = await client.get(tea)
        assert expired.headers["x-cache"] == "miss"
        assert expired.json()["data"]["stock"] == 19


async def test_etag_and_if_none_match_answer_304(
    app: FastAPI, client: httpx.AsyncClient, items: dict[str, dict[str, Any]]
) -> None:
    first = await client.get(PRODUCTS)
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert not etag.startswith("W/")
    assert first.headers["cache-control"] == "public, max-age=300"
    assert (await client.get("/api/consumer/categories")).headers["cache-control"] == "public, max-age=600"

    hit = await client.get(PRODUCTS)
    assert hit.headers["etag"] == etag
    not_modified = await client.get(PRODUCTS, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    listed = await client.get(PRODUCTS, headers={"If-None-Match": f'"other", {etag}'})
    assert listed.status_code == 304
    other = await client.get(PRODUCTS, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200

    await cache_of(app).invalidate(CATALOG)
    # Same data after the bump: the miss answers 304 from the endpoint itself.
    recomputed = await client.get(PRODUCTS, headers={"If-None-Match": etag})
    assert recomputed.headers["x-cache"] == "miss"
    assert recomputed.status_code == 304


async def test_a_changed_product_changes_the_etag(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, items: dict[str, dict[str, Any]]
) -> None:
    etag = (await client.get(PRODUCTS)).headers["etag"]
    await set_reserved(settings, items["rice"]["item_id"], 2)
    await cache_of(app).invalidate(CATALOG)
    changed = await client.get(PRODUCTS, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


async def test_every_hit_carries_its_own_request_id(
    client: httpx.AsyncClient, items: dict[str, dict[str, Any]]
) -> None:
    await client.get(PRODUCTS, headers={"X-Request-ID": "first-request"})
    for request_id in ("second-request", "third-request"):
        hit = await client.get(PRODUCTS, headers={"X-Request-ID": request_id})
        assert hit.headers["x-cache"] == "hit"
        assert hit.headers["x-request-id"] == request_id
        assert hit.json()["meta"]["request_id"] == request_id
        assert hit.json()["meta"]["count"] == 2
    made = await client.get(PRODUCTS)
    assert made.json()["meta"]["request_id"] == made.headers["x-request-id"]
    assert len(made.headers["x-request-id"]) == 32


async def test_hit_body_is_the_same_envelope_as_the_uncached_one(
    client: httpx.AsyncClient, items: dict[str, dict[str, Any]]
) -> None:
    miss = await client.get(PRODUCTS, params={"skip": 1, "limit": 1}, headers={"X-Request-ID": "r1"})
    hit = await client.get(PRODUCTS, params={"skip": 1, "limit": 1}, headers={"X-Request-ID": "r1"})
    assert hit.headers["x-cache"] == "hit"
    assert hit.content == miss.content
    assert hit.json() == {
        "status": "success",
        "data": miss.json()["data"],
        "meta": {"request_id": "r1", "skip": 1, "limit": 1, "count": 1, "has_more": False},
    }
