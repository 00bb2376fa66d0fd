"""A sync run and a webhook that change a product refresh its cached reads (both backends)."""

import hashlib
import hmac
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import orjson
import pytest

from storefront.config import Settings
from tests.support.cache import running_app
from tests.support.catalog import zoho_item
from tests.support.emulator import EmulatorHandle

pytestmark = pytest.mark.asyncio

SECRET = "cache-test-webhook-secret"
PRICE_BOOK = "consumer_iqd"


@pytest.fixture
async def shop(
    cache_settings: Callable[..., Settings], emulator: EmulatorHandle
) -> AsyncIterator[httpx.AsyncClient]:
    settings = cache_settings(**emulator.settings_overrides(), zoho_webhook_secret=SECRET)
    async with running_app(settings) as application:
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://storefront.test", timeout=60
        ) as client:
            yield client


@pytest.fixture
async def tea(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, admin_headers: dict[str, str]
) -> dict[str, Any]:
    item = zoho_item("Synced Tea 500 g", stock=10, rate=2500)
    await emulator.control.put_items([item], webhooks=False)
    await emulator.control.set_pricebook(PRICE_BOOK, {item["item_id"]: 2500})
    await sync(shop, admin_headers)
    return item


async def sync(shop: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    response = await shop.post(
        "/api/consumer/sync/inventory?wait=true", json={"mode": "full"}, headers=admin_headers
    )
    assert response.status_code == 200, response.text


async def change_stock(emulator: EmulatorHandle, item: dict[str, Any], stock: int) -> bytes:
    changed = {**item, "actual_available_stock": stock, "available_stock": stock, "stock_on_hand": stock}
    await emulator.control.put_items([changed], webhooks=False)
    return orjson.dumps({"item": changed})


async def cached_stock(shop: httpx.AsyncClient, item: dict[str, Any]) -> tuple[int, int]:
    """Stock on the product page and in the list, read twice so the second read is a cache hit."""
    for _ in range(2):
        product = await shop.get(f"/api/consumer/products/{item['item_id']}")
        listed = await shop.get("/api/consumer/products")
    assert product.headers["x-cache"] == "hit"
    in_list = next(p["stock"] for p in listed.json()["data"] if p["erp_item_id"] == item["item_id"])
    return product.json()["data"]["stock"], in_list


async def test_a_sync_that_changes_stock_refreshes_the_cached_reads(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, admin_headers: dict[str, str], tea: dict[str, Any]
) -> None:
    assert await cached_stock(shop, tea) == (10, 10)
    await change_stock(emulator, tea, 4)
    await sync(shop, admin_headers)
    assert await cached_stock(shop, tea) == (4, 4)


async def test_a_webhook_that_changes_stock_refreshes_the_cached_reads(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, tea: dict[str, Any]
) -> None:
    assert await cached_stock(shop, tea) == (10, 10)
    body = await change_stock(emulator, tea, 2)
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = await shop.post(
        "/api/tds/webhooks/zoho",
        content=body,
        headers={"Content-Type": "application/json", "X-Zoho-Webhook-Signature": signature},
    )
    assert response.status_code in {200, 202}, response.text
    assert await cached_stock(shop, tea) == (2, 2)
