"""Cancelling an order (operator): withdrawn before the push, voided in the ERP after it, the units
given back once, through the same durable push mechanism as the order itself."""

from typing import Any

import pytest

from tests.orders.conftest import Shop
from tests.orders.helpers import ORDERS, order_body
from tests.support.catalog import reserved_units

pytestmark = pytest.mark.asyncio

Catalog = dict[str, dict[str, Any]]


async def place(shop: Shop, item_id: str, quantity: int) -> dict[str, Any]:
    response = await shop.http.post(ORDERS, json=order_body((item_id, quantity)))
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()["data"]
    return order


async def cancel(shop: Shop, order_id: str, headers: dict[str, str]) -> dict[str, Any]:
    response = await shop.http.post(f"/api/tds/orders/{order_id}/cancel", headers=headers)
    assert response.status_code == 200, response.text
    order: dict[str, Any] = response.json()["data"]
    return order


async def push_of(shop: Shop, order_id: str, headers: dict[str, str]) -> dict[str, Any]:
    response = await shop.http.get("/api/tds/orders", headers=headers)
    [view] = [view for view in response.json()["data"] if view["id"] == order_id]
    push: dict[str, Any] = view["push"]
    return push


async def push_all(shop: Shop) -> None:
    pusher = shop.pusher()
    while await pusher.run_once():
        pass


async def cancelled_events(shop: Shop, order_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await shop.http.get(
        "/api/tds/events", params={"name": "tds.order.cancelled", "correlation_id": order_id}, headers=headers
    )
    events: list[dict[str, Any]] = response.json()["data"]
    return events


async def test_an_order_cancelled_before_its_push_never_reaches_the_erp(
    shop: Shop, erp_products: Catalog, admin_headers: dict[str, str]
) -> None:
    tea = erp_products["tea"]
    order = await place(shop, tea["item_id"], 3)
    assert await shop.stock(tea) == 7

    cancelled = await cancel(shop, order["id"], admin_headers)
    await push_all(shop)

    assert cancelled["status"] == "cancelled"
    assert cancelled["cancelled_at"] is not None
    assert (await shop.order(order["id"]))["status"] == "cancelled"
    assert await shop.stock(tea) == 10
    assert (await push_of(shop, order["id"], admin_headers))["status"] == "withdrawn"
    assert await shop.emulator.control.salesorders() == []


async def test_an_order_cancelled_after_its_push_is_voided_in_the_erp(
    shop: Shop, erp_products: Catalog, admin_headers: dict[str, str]
) -> None:
    tea = erp_products["tea"]
    order = await place(shop, tea["item_id"], 3)
    await push_all(shop)
    [salesorder] = await shop.emulator.control.salesorders()
    assert salesorder["status"] == "confirmed"

    cancelled = await cancel(shop, order["id"], admin_headers)
    assert cancelled["status"] == "cancelled"
    assert await reserved_units(shop.settings, tea["item_id"]) == 0
    assert (await push_of(shop, order["id"], admin_headers))["action"] == "void"
    await push_all(shop)

    [salesorder] = await shop.emulator.control.salesorders()
    assert salesorder["status"] == "void"
    assert (await push_of(shop, order["id"], admin_headers))["status"] == "done"
    # Zoho gave the committed units back, and the shop read them again.
    assert await shop.stock(tea) == 10
    assert (await shop.order(order["id"]))["status"] == "cancelled"


async def test_a_retried_cancel_answers_the_same_and_gives_the_units_back_once(
    shop: Shop, erp_products: Catalog, admin_headers: dict[str, str]
) -> None:
    rice = erp_products["rice"]
    order = await place(shop, rice["item_id"], 2)

    first = await cancel(shop, order["id"], admin_headers)
    again = await cancel(shop, order["id"], admin_headers)

    assert again == first
    assert await shop.stock(rice) == 5
    assert len(await cancelled_events(shop, order["id"], admin_headers)) == 1


async def test_a_cancel_during_an_erp_outage_is_answered_and_voided_when_the_erp_is_back(
    shop: Shop, erp_products: Catalog, admin_headers: dict[str, str]
) -> None:
    tea = erp_products["tea"]
    order = await place(shop, tea["item_id"], 2)
    await push_all(shop)
    await shop.emulator.control.faults(down=True)

    cancelled = await cancel(shop, order["id"], admin_headers)
    await shop.pusher().run_once()
    waiting = await push_of(shop, order["id"], admin_headers)
    await shop.emulator.control.faults(down=False)
    await push_all(shop)

    assert cancelled["status"] == "cancelled"
    assert await reserved_units(shop.settings, tea["item_id"]) == 0
    assert waiting["status"] == "pending"
    assert "503" in waiting["last_error"]
    [salesorder] = await shop.emulator.control.salesorders()
    assert salesorder["status"] == "void"


async def test_a_sales_order_whose_answer_was_lost_is_found_and_voided(
    shop: Shop, erp_products: Catalog, admin_headers: dict[str, str]
) -> None:
    rice = erp_products["rice"]
    order = await place(shop, rice["item_id"], 1)
    await shop.emulator.control.faults(lose_order_answers=1)
    await shop.pusher().run_once()  # the sales order is created; its answer never arrives
    assert (await shop.order(order["id"]))["erp_salesorder_id"] is None

    await cancel(shop, order["id"], admin_headers)
    await push_all(shop)

    [salesorder] = await shop.emulator.control.salesorders()
    assert salesorder["salesorder_number"] == order["number"]
    assert salesorder["status"] == "void"
    assert await shop.stock(rice) == 5


async def test_a_failed_order_cannot_be_cancelled_and_an_unknown_one_is_404(
    shop: Shop, erp_products: Catalog, admin_headers: dict[str, str]
) -> None:
    ghost = erp_products["ghost"]  # the ERP does not know it: the push is refused
    order = await place(shop, ghost["item_id"], 1)
    await push_all(shop)
    assert (await shop.order(order["id"]))["status"] == "failed"

    refused = await shop.http.post(f"/api/tds/orders/{order['id']}/cancel", headers=admin_headers)
    unknown = await shop.http.post(
        "/api/tds/orders/00000000-0000-0000-0000-000000000000/cancel", headers=admin_headers
    )
    anonymous = await shop.http.post(f"/api/tds/orders/{order['id']}/cancel")

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "order_not_cancellable"
    assert unknown.status_code == 404
    assert anonymous.status_code == 401
    assert (await shop.order(order["id"]))["status"] == "failed"
