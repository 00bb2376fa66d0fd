"""Stampede protection: many concurrent misses of one key compute it once."""

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from storefront.cache import Cache
from storefront.config import Settings
from tests.support.cache import (
    REDIS_URL,
    catalog_queries,
    forget_versions,
    require_redis,
    running_app,
    unique_prefix,
)
from tests.support.catalog import seed, zoho_item

pytestmark = pytest.mark.asyncio

PRODUCTS = "/api/consumer/products"


@pytest.fixture
async def items(settings: Settings) -> None:
    await seed(settings, [zoho_item(f"Product {n:03d}", stock=5, rate=1000 + n) for n in range(60)])


def client_of(application: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://storefront.test")


async def queries_for_one_computation(application: FastAPI, client: httpx.AsyncClient) -> int:
    with catalog_queries(application) as statements:
        response = await client.get(PRODUCTS, params={"limit": 49})
    assert response.headers["x-cache"] == "miss"
    assert statements
    return len(statements)


async def test_hundred_concurrent_misses_compute_once(
    app: FastAPI, client: httpx.AsyncClient, items: None
) -> None:
    one_computation = await queries_for_one_computation(app, client)
    with catalog_queries(app) as statements:
        responses = await asyncio.gather(*(client.get(PRODUCTS, params={"limit": 50}) for _ in range(100)))
    assert {response.status_code for response in responses} == {200}
    assert len({response.content.split(b'"meta"')[0] for response in responses}) == 1
    assert len(statements) == one_computation
    cache: Cache = app.state.cache
    assert cache.stats.get("consumer:products", "misses") == 2
    assert cache.stats.get("consumer:products", "hits") == 99


async def test_concurrent_misses_that_fail_all_get_the_error_and_nothing_is_stored(
    app: FastAPI, client: httpx.AsyncClient, items: None
) -> None:
    responses = await asyncio.gather(*(client.get("/api/consumer/products/nope") for _ in range(20)))
    assert {response.status_code for response in responses} == {404}
    assert {response.json()["error"]["code"] for response in responses} == {"product_not_found"}
    assert (await client.get("/api/consumer/products/nope")).status_code == 404


async def test_processes_sharing_redis_compute_a_key_once(
    make_settings: Callable[..., Settings], items: None
) -> None:
    await require_redis()
    prefix = unique_prefix()
    settings = make_settings(
        redis_url=REDIS_URL, cache_prefix=prefix, cache_lock_wait_seconds=10, cache_redis_timeout_seconds=5
    )
    try:
        async with (
            running_app(settings) as first,
            running_app(settings) as second,
            client_of(first) as one,
            client_of(second) as two,
        ):
            one_computation = await queries_for_one_computation(first, one)
            with catalog_queries(first) as first_statements, catalog_queries(second) as second_statements:
                requests: list[Any] = []
                for _ in range(50):
                    requests += [
                        one.get(PRODUCTS, params={"limit": 50}),
                        two.get(PRODUCTS, params={"limit": 50}),
                    ]
                responses = await asyncio.gather(*requests)
    finally:
        await forget_versions(prefix)
    assert {response.status_code for response in responses} == {200}
    assert len({response.content.split(b'"meta"')[0] for response in responses}) == 1
    assert len(first_statements) + len(second_statements) == one_computation
