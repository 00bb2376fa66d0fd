"""Every write path that changes what shoppers see invalidates the cached reads (both backends)."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from storefront.config import Settings
from storefront.erp.zoho import ZohoClient
from storefront.orders.service import order_hooks
from storefront.orders.worker import OrderPusher
from tests.support.cache import running_app
from tests.support.catalog import seed, zoho_item
from tests.support.emulator import EmulatorHandle

pytestmark = pytest.mark.asyncio

ORDERS = "/api/consumer/orders"
CUSTOMER = {"name": "Shopper One", "email": "shopper@example.com", "phone": "+964 770 000 0000"}


def client_of(application: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://storefront.test")


async def shown(client: httpx.AsyncClient, item: dict[str, Any]) -> tuple[int, int, int]:
    """The item's stock on its page and in the list, and its category's product count."""
    product = await client.get(f"/api/consumer/products/{item['item_id']}")
    listed = await client.get("/api/consumer/products", params={"limit": 50})
    categories = await client.get("/api/consumer/categories")
    in_list = next((p["stock"] for p in listed.json()["data"] if p["erp_item_id"] == item["item_id"]), 0)
    count = next(c["product_count"] for c in categories.json()["data"] if c["name"] == "Snacks")
    return product.json()["data"]["stock"], in_list, count


async def test_an_accepted_order_refreshes_the_product_the_list_and_the_categories(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    chips = zoho_item("Chips 100 g", category="Snacks", stock=3, rate=1000)
    await seed(settings, [chips, zoho_item("Nuts 200 g", category="Snacks", stock=9, rate=4000)])
    assert await shown(client, chips) == (3, 3, 2)
    assert await shown(client, chips) == (3, 3, 2)  # all three now served from the cache

    order = {"customer": CUSTOMER, "lines": [{"product_id": chips["item_id"], "quantity": 3}]}
    response = await client.post(ORDERS, json=order)
    assert response.status_code == 201, response.text

    assert await shown(client, chips) == (0, 0, 1)


async def test_an_order_that_leaves_stock_refreshes_only_the_reads_that_show_its_product(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    chips = zoho_item("Chips 100 g", category="Snacks", stock=5, rate=1000)
    nuts = zoho_item("Nuts 200 g", category="Snacks", stock=9, rate=4000)
    tea = zoho_item("Green Tea 25 bags", category="Drinks", stock=4, rate=2500)
    await seed(settings, [chips, nuts, tea])
    reads = {
        "chips": f"/api/consumer/products/{chips['item_id']}",
        "nuts": f"/api/consumer/products/{nuts['item_id']}",
        "snacks": "/api/consumer/products?category=Snacks",
        "drinks": "/api/consumer/products?category=Drinks",
        "search": "/api/consumer/products?search=chips",
        "categories": "/api/consumer/categories",
        "screen": f"/api/bff/mobile/products/{nuts['item_id']}",  # chips is shown as related
    }
    for url in reads.values():
        await client.get(url)
    assert {name: (await client.get(url)).headers["x-cache"] for name, url in reads.items()} == dict.fromkeys(
        reads, "hit"
    )

    order = {"customer": CUSTOMER, "lines": [{"product_id": chips["item_id"], "quantity": 2}]}
    assert (await client.post(ORDERS, json=order)).status_code == 201

    after = {name: await client.get(url) for name, url in reads.items()}
    assert {name: response.headers["x-cache"] for name, response in after.items()} == {
        "chips": "miss",
        "nuts": "hit",
        "snacks": "miss",
        "drinks": "hit",
        "search": "miss",
        "categories": "hit",
        "screen": "miss",
    }
    assert after["chips"].json()["data"]["stock"] == 3
    assert await shown(client, chips) == (3, 3, 2)
    assert [p["stock"] for p in after["search"].json()["data"]] == [3]
    related = after["screen"].json()["data"]["related"]
    assert [p["stock"] for p in related if p["erp_item_id"] == chips["item_id"]] == [3]


async def test_a_refused_order_changes_nothing_cached(client: httpx.AsyncClient, settings: Settings) -> None:
    chips = zoho_item("Chips 100 g", category="Snacks", stock=3, rate=1000)
    await seed(settings, [chips])
    assert await shown(client, chips) == (3, 3, 1)
    order = {"customer": CUSTOMER, "lines": [{"product_id": chips["item_id"], "quantity": 4}]}
    assert (await client.post(ORDERS, json=order)).status_code == 409
    assert (await client.get(f"/api/consumer/products/{chips['item_id']}")).headers["x-cache"] == "hit"


async def test_an_order_the_erp_refuses_fails_and_its_released_stock_is_shown_at_once(
    cache_settings: Callable[..., Settings], emulator: EmulatorHandle
) -> None:
    settings = cache_settings(
        **emulator.settings_overrides(),
        order_push_backoff_base_seconds=0,
        order_push_backoff_cap_seconds=0,
        zoho_retry_attempts=1,
        zoho_budget_max_wait_seconds=0,
    )
    ghost = zoho_item("Withdrawn Item", category="Snacks", stock=10, rate=500)  # unknown to the ERP
    await seed(settings, [ghost])
    async with running_app(settings) as application, client_of(application) as client:
        order = {"customer": CUSTOMER, "lines": [{"product_id": ghost["item_id"], "quantity": 4}]}
        placed = await client.post(ORDERS, json=order)
        assert placed.status_code == 201, placed.text
        assert await shown(client, ghost) == (6, 6, 1)
        assert await shown(client, ghost) == (6, 6, 1)

        erp = ZohoClient.from_settings(settings, api_url=emulator.api_url, accounts_url=emulator.url)
        try:
            await OrderPusher(application.state.db, erp, settings, hooks=order_hooks(application)).run_once()
        finally:
            await erp.aclose()

        failed = await client.get(f"{ORDERS}/{placed.json()['data']['id']}")
        assert failed.json()["data"]["status"] == "failed"
        assert await shown(client, ghost) == (10, 10, 1)
