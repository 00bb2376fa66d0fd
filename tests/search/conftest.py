"""A shop synced from the emulator with the Arabic-name field set, and both faces' search."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from storefront.app import create_app
from storefront.config import Settings
from tests.support.catalog import zoho_item
from tests.support.emulator import EmulatorHandle

ARABIC_FIELD = "Arabic Name"
PRICE_BOOK = "consumer_iqd"

Mirror = Callable[[list[dict[str, Any]]], Awaitable[None]]
Search = Callable[..., Awaitable[list[dict[str, Any]]]]


def arabic(value: str) -> dict[str, Any]:
    """The custom field holding an item's Arabic name, in the shape Zoho's items spec gives."""
    return {"customfield_id": "4600000000000101", "label": ARABIC_FIELD, "value": value}


def item(name: str, name_ar: str | None = None, **extra: Any) -> dict[str, Any]:
    """A Zoho item, with its Arabic name in the custom field when it has one."""
    return zoho_item(name, **({"custom_fields": [arabic(name_ar)]} if name_ar else {}), **extra)


@pytest.fixture
def search_settings(emulator: EmulatorHandle, make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(**emulator.settings_overrides(), zoho_name_ar_field=ARABIC_FIELD)


@pytest.fixture
async def search_app(search_settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(search_settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def shop(search_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=search_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://storefront.test", timeout=60) as http:
        yield http


@pytest.fixture
def mirror(emulator: EmulatorHandle, shop: httpx.AsyncClient, admin_headers: dict[str, str]) -> Mirror:
    """Put these items (priced at their rate) in the ERP through its control API, then run a full
    sync through the real Zoho client."""
    rates: dict[str, Any] = {}

    async def put(items: list[dict[str, Any]]) -> None:
        await emulator.control.put_items(items, webhooks=False)
        rates.update({entry["item_id"]: entry["rate"] for entry in items if "rate" in entry})
        await emulator.control.set_pricebook(PRICE_BOOK, rates)
        response = await shop.post(
            "/api/consumer/sync/inventory?wait=true", json={"mode": "full"}, headers=admin_headers
        )
        assert response.status_code == 200, response.text
        assert response.json()["data"]["status"] == "completed", response.text

    return put


async def consumer_search(shop: httpx.AsyncClient, query: str, **params: Any) -> list[dict[str, Any]]:
    response = await shop.get("/api/consumer/products", params={"search": query, **params})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["data"]
    return found


async def bff_search(shop: httpx.AsyncClient, query: str, **params: Any) -> list[dict[str, Any]]:
    if "category" in params:
        raise ValueError("the search screen has no category filter")
    response = await shop.get("/api/bff/mobile/search", params={"q": query, **params})
    assert response.status_code == 200, response.text
    assert response.json()["meta"]["query"] == query.strip()
    found: list[dict[str, Any]] = response.json()["data"]
    return found


@pytest.fixture(params=["consumer", "bff"])
def search(request: pytest.FixtureRequest, shop: httpx.AsyncClient) -> Search:
    """Search through the Consumer API, then through the BFF search screen."""
    face = consumer_search if request.param == "consumer" else bff_search

    async def run(query: str, **params: Any) -> list[dict[str, Any]]:
        return await face(shop, query, **params)

    return run
