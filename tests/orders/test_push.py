"""The push to the ERP, against the emulator over real HTTP."""

import asyncio
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from storefront.events.models import Event
from tests.orders.conftest import Shop
from tests.orders.helpers import ORDERS, order_body
from tests.support.contract import assert_documented

pytestmark = pytest.mark.asyncio

Catalog = dict[str, dict[str, Any]]


async def place(shop: Shop, *lines: tuple[str, int]) -> dict[str, Any]:
    response = await shop.http.post(ORDERS, json=order_body(*lines))
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()["data"]
    return order


async def push_view(shop: Shop, order_id: str, admin_headers: dict[str, str]) -> dict[str, Any]:
    response = await shop.http.get("/api/tds/orders", headers=admin_headers)
    [view] = [o for o in response.json()["data"] if o["id"] == order_id]
    push: dict[str, Any] = view["push"]
    return push


async def event_names(shop: Shop, order_id: str) -> list[str]:
    engine = create_async_engine(shop.settings.database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(Event.name).where(Event.correlation_id == order_id).order_by(Event.id)
            )
            return [name for (name,) in rows.all()]
    finally:
        await engine.dispose()


async def test_an_accepted_order_becomes_a_confirmed_sales_order(
    shop: Shop, erp_products: Catalog, admin_headers: dict[str, str]
) -> None:
    tea, rice = erp_products["tea"]["item_id"], erp_products["rice"]["item_id"]
    order = await place(shop, (tea, 2), (rice, 1))

    assert await shop.pusher().run_once() == 1

    confirmed = await shop.order(order["id"])
    assert confirmed["status"] == "confirmed"
    assert confirmed["confirmed_at"] is not None
    [salesorder] = await shop.emulator.control.salesorders()
    assert salesorder["salesorder_number"] == order["number"]
    assert salesorder["reference_number"] == order["number"]
    assert confirmed["erp_salesorder_id"] == salesorder["salesorder_id"]
    assert confirmed["erp_salesorder_number"] == order["number"]
    assert [
        (line["item_id"], float(line["quantity"]), float(line["rate"])) for line in salesorder["line_items"]
    ] == [
        (tea, 2.0, 3500.0),
        (rice, 1.0, 15000.0),
    ]
    [contact] = await shop.emulator.control.contacts()
    assert contact["email"] == "shopper@example.com"
    assert await event_names(shop, order["id"]) == ["tds.order.create.started", "tds.order.create.completed"]
    # Confirmed units stay reserved until a sync brings ERP figures that include the sales order.
    assert await shop.stock(erp_products["tea"]) == 8
    assert (await push_view(shop, order["id"], admin_headers))["status"] == "done"


async def test_a_second_order_reuses_the_erp_contact(shop: Shop, erp_products: Catalog) -> None:
    tea = erp_products["tea"]["item_id"]
    pusher = shop.pusher()
    await place(shop, (tea, 1))
    await place(shop, (tea, 1))

    assert await pusher.run_once() == 2
    lookups = await shop.emulator.control.calls("GET /contacts")
    await place(shop, (tea, 1))
    assert await pusher.run_once() == 1

    assert len(await shop.emulator.control.contacts()) == 1
    assert len(await shop.emulator.control.salesorders()) == 3
    assert lookups == 1
    assert await shop.emulator.control.calls("GET /contacts") == 1, "the worker remembers the contact"


@pytest.mark.parametrize(
    ("fault", "error_text", "attempts"),
    [
        ({"down": True}, "HTTP 503", 1),
        ({"fail_next": 3}, "HTTP 500", 1),
        # A rate limit is the ERP saying "later": the push waits without an attempt counted.
        ({"rate_limited": True}, "HTTP 429", 0),
    ],
)
async def test_the_push_survives_erp_errors_and_rate_limits(
    shop: Shop,
    erp_products: Catalog,
    admin_headers: dict[str, str],
    fault: dict[str, Any],
    error_text: str,
    attempts: int,
) -> None:
    order = await place(shop, (erp_products["tea"]["item_id"], 1))
    pusher = shop.pusher()
    await shop.emulator.control.faults(**fault)

    await pusher.run_once()

    assert (await shop.order(order["id"]))["status"] == "accepted"
    push = await push_view(shop, order["id"], admin_headers)
    assert push["status"] == "pending"
    assert push["attempts"] == attempts
    assert error_text in push["last_error"]

    await shop.emulator.control.faults(down=False, fail_next=0, rate_limited=False)
    for _ in range(5):
        if not await pusher.run_once():
            break

    assert (await shop.order(order["id"]))["status"] == "confirmed"
    assert len(await shop.emulator.control.salesorders()) == 1
    assert (await push_view(shop, order["id"], admin_headers))["last_error"] is None


async def test_a_lost_answer_does_not_make_a_second_sales_order(
    shop: Shop, erp_products: Catalog, admin_headers: dict[str, str]
) -> None:
    order = await place(shop, (erp_products["tea"]["item_id"], 1))
    pusher = shop.pusher()
    await shop.emulator.control.faults(lose_order_answers=1)

    await pusher.run_once()

    [created] = await shop.emulator.control.salesorders()
    assert (await shop.order(order["id"]))["status"] == "accepted"
    assert (await push_view(shop, order["id"], admin_headers))["attempts"] == 1

    await pusher.run_once()

    confirmed = await shop.order(order["id"])
    assert confirmed["status"] == "confirmed"
    assert confirmed["erp_salesorder_id"] == created["salesorder_id"]
    assert len(await shop.emulator.control.salesorders()) == 1


async def test_a_worker_killed_mid_push_leaves_the_order_to_another_which_finishes_it_once(
    shop: Shop, erp_products: Catalog, admin_headers: dict[str, str]
) -> None:
    order = await place(shop, (erp_products["tea"]["item_id"], 1))
    doomed = shop.pusher(order_push_lease_seconds=4.0)
    await shop.emulator.control.faults(latency_ms=200)
    killed = asyncio.create_task(doomed.run_once())
    async with asyncio.timeout(10):
        # The emulator is another server: its state can only be polled.
        while not await shop.emulator.control.contacts():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    # The contact exists, so the doomed worker is now sending the sales order: stop it dead.
    killed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await killed
    await shop.emulator.control.faults(latency_ms=0)

    survivor = shop.pusher(order_push_lease_seconds=30.0)
    assert await survivor.run_once() == 0, "the push is still leased to the killed worker"
    async with asyncio.timeout(10):
        # Once the killed worker's lease runs out, the survivor takes the push over.
        while not await survivor.run_once():  # noqa: ASYNC110
            await asyncio.sleep(0.1)

    confirmed = await shop.order(order["id"])
    assert confirmed["status"] == "confirmed"
    [salesorder] = await shop.emulator.control.salesorders()
    assert confirmed["erp_salesorder_id"] == salesorder["salesorder_id"]
    push = await push_view(shop, order["id"], admin_headers)
    assert push["attempts"] == 2
    assert await survivor.run_once() == 0


async def test_a_rejected_order_fails_releases_its_stock_and_reads_fresh(
    shop: Shop, erp_products: Catalog, admin_headers: dict[str, str]
) -> None:
    ghost = erp_products["ghost"]
    order = await place(shop, (ghost["item_id"], 4))
    assert await shop.stock(ghost) == 6  # read through the cache, so a stale entry would show

    await shop.pusher().run_once()

    failed = await shop.order(order["id"])
    assert failed["status"] == "failed"
    assert failed["failed_at"] is not None
    assert await shop.stock(ghost) == 10
    push = await push_view(shop, order["id"], admin_headers)
    assert push["status"] == "failed"
    assert "ErpRejected" in push["last_error"]
    assert await event_names(shop, order["id"]) == ["tds.order.create.started", "tds.order.create.failed"]
    assert await shop.emulator.control.salesorders() == []
    listed = await shop.http.get("/api/tds/orders", params={"status": "failed"}, headers=admin_headers)
    assert [o["id"] for o in listed.json()["data"]] == [order["id"]]


async def test_too_many_retryable_failures_fail_the_order_for_good(
    shop: Shop, erp_products: Catalog, admin_headers: dict[str, str]
) -> None:
    tea = erp_products["tea"]
    order = await place(shop, (tea["item_id"], 3))
    pusher = shop.pusher(order_push_max_attempts=2)
    await shop.emulator.control.faults(down=True)

    await pusher.run_once()
    assert (await shop.order(order["id"]))["status"] == "accepted"
    await pusher.run_once()

    assert (await shop.order(order["id"]))["status"] == "failed"
    assert await shop.stock(tea) == 10
    assert (await push_view(shop, order["id"], admin_headers))["attempts"] == 2


async def test_the_operator_retries_a_failed_order_which_reserves_again(
    shop: Shop, erp_products: Catalog, admin_headers: dict[str, str]
) -> None:
    tea = erp_products["tea"]
    order = await place(shop, (tea["item_id"], 3))
    pusher = shop.pusher(order_push_max_attempts=1)
    await shop.emulator.control.faults(down=True)
    await pusher.run_once()
    assert (await shop.order(order["id"]))["status"] == "failed"
    assert await shop.stock(tea) == 10
    await shop.emulator.control.faults(down=False)

    response = await shop.http.post(f"/api/tds/orders/{order['id']}/retry", headers=admin_headers)

    assert response.status_code == 200, response.text
    assert response.json()["data"]["status"] == "accepted"
    assert_documented(shop.app, "POST", "/api/tds/orders/{order_id}/retry", response)
    assert await shop.stock(tea) == 7
    await shop.pusher().run_once()
    assert (await shop.order(order["id"]))["status"] == "confirmed"
    assert len(await shop.emulator.control.salesorders()) == 1


async def test_a_retry_is_refused_when_the_stock_is_gone(
    shop: Shop, erp_products: Catalog, admin_headers: dict[str, str]
) -> None:
    rice = erp_products["rice"]
    order = await place(shop, (rice["item_id"], 4))
    await shop.emulator.control.faults(down=True)
    await shop.pusher(order_push_max_attempts=1).run_once()
    await place(shop, (rice["item_id"], 3))

    response = await shop.http.post(f"/api/tds/orders/{order['id']}/retry", headers=admin_headers)

    assert response.status_code == 409
    assert response.json()["error"]["details"]["lines"] == [
        {"line": 1, "product_id": order["lines"][0]["product_id"], "requested": 4, "available": 2}
    ]
    assert (await shop.order(order["id"]))["status"] == "failed"
    assert await shop.stock(rice) == 2


async def test_an_auth_failure_keeps_the_order_waiting_until_the_credentials_work(
    shop: Shop, erp_products: Catalog, admin_headers: dict[str, str]
) -> None:
    order = await place(shop, (erp_products["tea"]["item_id"], 1))
    pusher = shop.pusher()
    await shop.emulator.control.configure(client_secret="rotated-by-the-merchant")
    await shop.emulator.control.faults(expire_tokens=True)

    await pusher.run_once()

    assert (await shop.order(order["id"]))["status"] == "accepted"
    push = await push_view(shop, order["id"], admin_headers)
    assert push["status"] == "pending"
    assert "ErpAuthError" in push["last_error"]
    assert "rotated" not in push["last_error"]

    await shop.emulator.control.configure(client_secret=shop.settings.zoho_client_secret.get_secret_value())
    await pusher.run_once()

    assert (await shop.order(order["id"]))["status"] == "confirmed"
