"""Sales orders and contacts the way real Zoho takes them, its daily quota, and reservations that end."""

import asyncio
import time
from typing import Any

import pytest

from tests.orders.conftest import Shop
from tests.orders.helpers import ORDERS, all_orders, order_body, stock_of
from tests.support.catalog import reserved_units

pytestmark = pytest.mark.asyncio

Catalog = dict[str, dict[str, Any]]


async def place(
    shop: Shop, item_id: str, quantity: int, email: str, name: str = "Shopper One"
) -> dict[str, Any]:
    body = order_body((item_id, quantity), email=email)
    body["customer"]["name"] = name
    response = await shop.http.post(ORDERS, json=body)
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()["data"]
    return order


async def push_all(shop: Shop, **settings: Any) -> None:
    pusher = shop.pusher(**settings)
    while await pusher.run_once():
        pass


async def erp_item(shop: Shop, item_id: str) -> dict[str, Any]:
    [item] = [item for item in shop.emulator.state.items.values() if item["item_id"] == item_id]
    return item


async def test_a_sales_order_is_confirmed_in_zoho_which_commits_its_stock(
    shop: Shop, erp_products: Catalog
) -> None:
    tea = erp_products["tea"]["item_id"]
    order = await place(shop, tea, 3, "rana@example.com")

    await push_all(shop)

    assert (await shop.order(order["id"]))["status"] == "confirmed"
    [salesorder] = await shop.emulator.control.salesorders()
    assert salesorder["status"] == "confirmed"
    assert salesorder["line_items"][0]["rate"] == 3500
    assert (await erp_item(shop, tea))["actual_available_stock"] == 7
    assert await shop.emulator.control.calls("POST /salesorders/status/confirmed", 200) == 1


async def test_with_confirmation_off_sales_orders_stay_drafts(shop: Shop, erp_products: Catalog) -> None:
    order = await place(shop, erp_products["tea"]["item_id"], 1, "rana@example.com")

    await push_all(shop, zoho_confirm_salesorders=False)

    assert (await shop.order(order["id"]))["status"] == "confirmed"
    [salesorder] = await shop.emulator.control.salesorders()
    assert salesorder["status"] == "draft"


async def test_two_shoppers_with_the_same_name_get_a_contact_each(shop: Shop, erp_products: Catalog) -> None:
    tea = erp_products["tea"]["item_id"]
    first = await place(shop, tea, 1, "ali.one@example.com", name="Ali Hassan")
    second = await place(shop, tea, 1, "ali.two@example.com", name="Ali Hassan")

    await push_all(shop)

    assert (await shop.order(first["id"]))["status"] == "confirmed"
    assert (await shop.order(second["id"]))["status"] == "confirmed"
    contacts = await shop.emulator.control.contacts()
    assert sorted(contact["contact_name"] for contact in contacts) == [
        "Ali Hassan (ali.one@example.com)",
        "Ali Hassan (ali.two@example.com)",
    ]


async def test_a_contact_name_already_taken_is_resolved_not_a_failed_order(
    shop: Shop, erp_products: Catalog
) -> None:
    # A contact of the shopper's name was made by hand, under another email: the lookup by email
    # misses it, the create answers 3062, and the contact of that name is the one used.
    erp = shop.pusher().erp
    contact_id = await erp.create_contact("Noor Ali (noor@example.com)", "noor.old@example.com", None)

    order = await place(shop, erp_products["tea"]["item_id"], 1, "noor@example.com", name="Noor Ali")
    await push_all(shop)

    assert (await shop.order(order["id"]))["status"] == "confirmed"
    [salesorder] = await shop.emulator.control.salesorders()
    assert salesorder["customer_id"] == contact_id
    assert await shop.emulator.control.calls("POST /contacts", 400) == 1


async def test_a_known_shopper_costs_no_contact_call_even_for_a_new_worker(
    shop: Shop, erp_products: Catalog
) -> None:
    tea = erp_products["tea"]["item_id"]
    await place(shop, tea, 1, "rana@example.com")
    await push_all(shop)
    looked_up = await shop.emulator.control.calls("GET /contacts")

    await place(shop, tea, 1, "Rana@Example.com")
    await push_all(shop)  # another worker, with nothing in memory

    assert await shop.emulator.control.calls("GET /contacts") == looked_up
    assert await shop.emulator.control.calls("POST /contacts") == 1
    assert len(await shop.emulator.control.salesorders()) == 2


async def test_a_spent_daily_quota_pauses_pushes_then_every_order_is_confirmed_once(
    shop: Shop, erp_products: Catalog, admin_headers: dict[str, str]
) -> None:
    tea, rice = erp_products["tea"]["item_id"], erp_products["rice"]["item_id"]
    # The organisation's day: 1,000 calls, all spent, resetting in 4 seconds.
    await shop.emulator.control.configure(daily_quota=1000, daily_quota_period_seconds=4)
    await shop.emulator.control.set_quota(restart_day=True, spend=1000)
    orders = [await place(shop, (tea, rice)[n % 2], 1, f"shopper{n}@example.com") for n in range(10)]
    pusher = shop.in_process_pusher()

    assert await pusher.run_once() > 0  # the first call answers 45: everything waits
    assert await pusher.run_once() == 0  # paused: nothing is even claimed

    accepted = await all_orders(shop.http, admin_headers)
    assert {order["status"] for order in accepted} == {"accepted"}
    assert {order["push"]["attempts"] for order in accepted} == {0}
    assert await stock_of(shop.http, tea) == 10 - 5
    ready = (await shop.http.get("/health/ready")).json()["data"]
    assert ready["checks"]["erp"] == "degraded"
    assert "daily quota is spent" in " ".join(ready["details"]["erp"]["reasons"])
    assert await shop.emulator.control.salesorders() == []

    paused_until = await pusher.erp.paused_until()
    assert paused_until is not None
    await asyncio.sleep(max(paused_until - time.time(), 0) + 0.1)
    while await pusher.run_once():
        pass

    assert [(await shop.order(order["id"]))["status"] for order in orders] == ["confirmed"] * 10
    salesorders = await shop.emulator.control.salesorders()
    assert sorted(order["salesorder_number"] for order in salesorders) == sorted(o["number"] for o in orders)
    assert {order["status"] for order in salesorders} == {"confirmed"}


async def test_reservations_of_confirmed_orders_end_soon_though_zoho_never_modifies_the_items(
    shop: Shop, erp_products: Catalog
) -> None:
    tea = erp_products["tea"]["item_id"]
    await place(shop, tea, 4, "rana@example.com")
    await push_all(shop)
    modified = (await erp_item(shop, tea))["last_modified_time"]
    assert await reserved_units(shop.settings, tea) == 4
    assert await stock_of(shop.http, tea) == 6

    settler = shop.settler(interval_seconds=0.2)
    settler.start()
    try:
        async with asyncio.timeout(60):
            while await reserved_units(shop.settings, tea):  # noqa: ASYNC110
                await asyncio.sleep(0.1)
    finally:
        await settler.stop()

    # Zoho committed the 4 units when it confirmed the order (its figure is 6 now) without
    # touching the item's modification time; our reservation is over and the shop still shows 6.
    assert (await erp_item(shop, tea))["last_modified_time"] == modified
    assert await stock_of(shop.http, tea) == 6
