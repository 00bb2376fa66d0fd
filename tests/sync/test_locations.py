"""Stock from the locations the shop sells from (STOREFRONT_STOCK_LOCATIONS), through HTTP with the
emulator: only the counted locations' units are sold, and the sales order takes them there."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from storefront.app import create_app
from storefront.config import Settings
from storefront.erp.items import parse_item
from storefront.erp.locations import LocationSelection
from storefront.orders.service import order_hooks
from storefront.orders.worker import OrderPusher
from tests.conftest import ADMIN_TOKEN
from tests.orders.helpers import ORDERS, order_body
from tests.support.catalog import zoho_item
from tests.support.emulator import EmulatorHandle

BAGHDAD, BASRA, ERBIL = "460000000038080", "460000000038081", "460000000038082"
Shop = Callable[[str], Awaitable[tuple[httpx.AsyncClient, Any]]]


@pytest.fixture
async def shop_counting(
    emulator: EmulatorHandle, make_settings: Callable[..., Settings]
) -> AsyncIterator[Shop]:
    """The service counting the named locations, with two items stocked at three locations."""
    await emulator.control.set_locations(
        [
            {"location_id": BAGHDAD, "location_name": "Baghdad Shop", "is_primary": True},
            {"location_id": BASRA, "location_name": "Basra Warehouse"},
            {"location_id": ERBIL, "location_name": "Erbil Depot"},
        ]
    )
    stack: list[LifespanManager] = []

    async def start(locations: str) -> tuple[httpx.AsyncClient, Any]:
        settings = make_settings(**emulator.settings_overrides(), stock_locations=locations)
        app = create_app(settings)
        manager = LifespanManager(app)
        stack.append(manager)
        await manager.__aenter__()
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        return httpx.AsyncClient(transport=transport, base_url="http://storefront.test"), app

    yield start
    for manager in reversed(stack):
        await manager.__aexit__(None, None, None)


async def stocked(emulator: EmulatorHandle, baghdad: int, basra: int, erbil: int = 0) -> dict[str, Any]:
    item = zoho_item("Black Tea 500 g", rate=3500)
    for name in ("stock_on_hand", "available_stock", "actual_available_stock"):
        item.pop(name)
    item["locations"] = [
        {"location_id": location, "location_stock_on_hand": units, "location_actual_available_stock": units}
        for location, units in ((BAGHDAD, baghdad), (BASRA, basra), (ERBIL, erbil))
    ]
    await emulator.control.put_items([item], webhooks=False)
    await emulator.control.set_pricebook("consumer_iqd", {item["item_id"]: 3500})
    return item


async def full_sync(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.post(
        "/api/consumer/sync/inventory",
        params={"wait": "true"},
        json={"mode": "full"},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert response.status_code == 200, response.text
    run: dict[str, Any] = response.json()["data"]
    return run


async def push(app: Any) -> None:
    pusher = OrderPusher(app.state.db, app.state.erp, app.state.settings, hooks=order_hooks(app))
    while await pusher.run_once():
        pass


def actual_at(emulator: EmulatorHandle, item_id: str) -> dict[str, int]:
    return {
        row["location_id"]: int(row["actual_available_stock"])
        for row in emulator.state.items.locations_of(item_id)
    }


async def test_only_the_counted_location_is_sold_and_the_sales_order_names_it(
    shop_counting: Shop, emulator: EmulatorHandle
) -> None:
    item = await stocked(emulator, baghdad=3, basra=7)
    http, app = await shop_counting("Baghdad Shop")
    assert (await full_sync(http))["status"] == "completed"
    product = (await http.get(f"/api/consumer/products/{item['item_id']}")).json()["data"]
    assert product["stock"] == 3

    refused = await http.post(ORDERS, json=order_body((item["item_id"], 4)))
    assert refused.status_code == 409
    assert refused.json()["error"]["details"]["lines"][0]["available"] == 3
    accepted = await http.post(ORDERS, json=order_body((item["item_id"], 3)))
    assert accepted.status_code == 201, accepted.text
    assert (await http.get(f"/api/consumer/products/{item['item_id']}")).json()["data"]["stock"] == 0

    await push(app)
    [salesorder] = await emulator.control.salesorders()
    assert salesorder["location_id"] == BAGHDAD
    assert [(line["location_id"], line["quantity"]) for line in salesorder["line_items"]] == [(BAGHDAD, 3)]
    assert actual_at(emulator, item["item_id"]) == {BAGHDAD: 0, BASRA: 7, ERBIL: 0}
    await http.aclose()


async def test_an_order_over_two_counted_locations_is_split_between_them(
    shop_counting: Shop, emulator: EmulatorHandle
) -> None:
    item = await stocked(emulator, baghdad=2, basra=3, erbil=50)
    http, app = await shop_counting(f"{BASRA}, baghdad shop")
    await full_sync(http)
    assert (await http.get(f"/api/consumer/products/{item['item_id']}")).json()["data"]["stock"] == 5
    assert (await http.post(ORDERS, json=order_body((item["item_id"], 4)))).status_code == 201
    await push(app)
    [salesorder] = await emulator.control.salesorders()
    assert sorted((line["location_id"], line["quantity"]) for line in salesorder["line_items"]) == [
        (BAGHDAD, 1),
        (BASRA, 3),
    ]
    assert actual_at(emulator, item["item_id"]) == {BAGHDAD: 1, BASRA: 0, ERBIL: 50}
    await http.aclose()


async def test_with_every_location_counted_nothing_changes(
    shop_counting: Shop, emulator: EmulatorHandle
) -> None:
    item = await stocked(emulator, baghdad=3, basra=7)
    http, app = await shop_counting("all")
    await full_sync(http)
    assert await emulator.control.calls("GET /itemdetails") == 0, "the listing's own figures suffice"
    assert (await http.get(f"/api/consumer/products/{item['item_id']}")).json()["data"]["stock"] == 10
    assert (await http.post(ORDERS, json=order_body((item["item_id"], 2)))).status_code == 201
    await push(app)
    [salesorder] = await emulator.control.salesorders()
    assert all(
        "location_id" not in line or line["location_id"] == BAGHDAD for line in salesorder["line_items"]
    )
    requests = [
        r for r in await emulator.control.requests() if r["path"] == "/salesorders" and r["method"] == "POST"
    ]
    assert "location_id" not in requests[-1]["json"]
    await http.aclose()


async def test_a_location_the_erp_does_not_have_fails_the_sync_and_writes_nothing(
    shop_counting: Shop, emulator: EmulatorHandle
) -> None:
    await stocked(emulator, baghdad=3, basra=7)
    http, _ = await shop_counting("Mosul Store")
    run = await full_sync(http)
    assert run["status"] == "failed"
    assert "Mosul Store".casefold() in run["error"]
    assert (await http.get("/api/consumer/products")).json()["data"] == []
    await http.aclose()


def test_older_organisations_warehouses_are_read_too() -> None:
    raw = {
        "item_id": "1",
        "name": "Tea",
        "warehouses": [
            {"warehouse_id": "w1", "warehouse_name": "Main", "warehouse_actual_available_stock": "4"},
            {"warehouse_id": "w2", "warehouse_name": "Back", "warehouse_actual_available_stock": "9"},
        ],
    }
    item = parse_item(raw, locations=LocationSelection.of(["main"]))
    assert item.actual_available_stock == 4
    assert item.location_stock == '{"w1":4}'
