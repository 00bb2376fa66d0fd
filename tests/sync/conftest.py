"""A Storefront app wired to the emulator over real HTTP, and helpers to drive a sync through it."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from storefront.app import create_app
from storefront.config import Settings
from tests.support.emulator import EmulatorHandle

WEBHOOK_SECRET = "test-webhook-secret-4f1c"
PRICE_BOOK = "consumer_iqd"


@pytest.fixture
def sync_settings(emulator: EmulatorHandle, make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(**emulator.settings_overrides(), zoho_webhook_secret=WEBHOOK_SECRET)


@pytest.fixture
async def sync_app(sync_settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(sync_settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def shop(sync_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sync_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://storefront.test", timeout=60) as http:
        yield http


async def run_sync(shop: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    """Trigger a sync, wait for it and return the finished run."""
    response = await shop.post("/api/consumer/sync/inventory?wait=true", json=body or None, headers=headers)
    assert response.status_code == 200, response.text
    run: dict[str, Any] = response.json()["data"]
    return run


async def listed_products(shop: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """Every product the Consumer API lists, by ERP item id (following its pages)."""
    products: dict[str, dict[str, Any]] = {}
    skip = 0
    while True:
        response = await shop.get("/api/consumer/products", params={"skip": skip, "limit": 200})
        assert response.status_code == 200, response.text
        body = response.json()
        for product in body["data"]:
            products[product["erp_item_id"]] = product
        if not body["meta"]["has_more"]:
            return products
        skip += 200


async def events(shop: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = await shop.get("/api/tds/events", params={"limit": 200, **params}, headers=headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["data"]
    return found


def rates_for(items: list[dict[str, Any]], *, skip: set[str] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
    return {item["item_id"]: item["rate"] for item in items if item["item_id"] not in skip}
