"""Reserved units meet the sync: given back once the ERP's own figures include the order, not before."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from storefront.db.engine import create_database
from storefront.orders.models import Order, OrderLine
from storefront.orders.reservations import release_settled_reservations
from tests.orders.conftest import Shop
from tests.orders.helpers import ORDERS, order_body
from tests.support.catalog import zoho_item

pytestmark = pytest.mark.asyncio


async def sync(shop: Shop, admin_headers: dict[str, str]) -> None:
    response = await shop.http.post("/api/consumer/sync/inventory?wait=true", headers=admin_headers)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["status"] == "completed", response.text


@pytest.fixture
async def erp_catalog(shop: Shop, admin_headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Two items in the ERP, mirrored by a first sync."""
    items = {
        "tea": zoho_item("Black Tea 500 g", stock=10, rate=3500),
        "rice": zoho_item("Rice 5 kg", stock=8, rate=900),
    }
    await shop.emulator.control.put_items(list(items.values()), webhooks=False)
    await shop.emulator.control.set_pricebook(
        shop.settings.price_list, {item["item_id"]: item["rate"] for item in items.values()}
    )
    await sync(shop, admin_headers)
    return items


async def test_a_confirmed_order_is_released_when_a_sync_brings_figures_that_include_it(
    shop: Shop, erp_catalog: dict[str, dict[str, Any]], admin_headers: dict[str, str]
) -> None:
    tea, rice = erp_catalog["tea"], erp_catalog["rice"]
    response = await shop.http.post(ORDERS, json=order_body((tea["item_id"], 3), (rice["item_id"], 2)))
    assert response.status_code == 201, response.text
    assert await shop.stock(tea) == 7

    # Not confirmed yet: the ERP's figures do not include the order, so the reservation stays.
    await sync(shop, admin_headers)
    assert await shop.stock(tea) == 7

    await shop.pusher().run_once()
    # The ERP now counts the sales order in its own available stock (10 - 3 and 8 - 2).
    await shop.emulator.control.put_items(
        [{**tea, "actual_available_stock": 7, "available_stock": 7}, {**rice, "actual_available_stock": 6}],
        webhooks=False,
    )
    await sync(shop, admin_headers)

    assert await shop.stock(tea) == 7, "counted twice: the reservation was not released"
    assert await shop.stock(rice) == 6
    # Released once: another sync changes nothing.
    await sync(shop, admin_headers)
    assert await shop.stock(tea) == 7
    assert await shop.stock(rice) == 6


async def test_figures_read_before_the_confirmation_release_nothing(
    shop: Shop, erp_catalog: dict[str, dict[str, Any]]
) -> None:
    tea = erp_catalog["tea"]
    response = await shop.http.post(ORDERS, json=order_body((tea["item_id"], 4)))
    order_id = uuid.UUID(response.json()["data"]["id"])
    await shop.pusher().run_once()
    database = create_database(shop.settings)
    try:
        async with database.write_sessionmaker() as session:
            order = (await session.execute(select(Order).where(Order.id == order_id))).scalar_one()
            assert order.confirmed_at is not None
            [erp_item_id] = (
                await session.execute(select(OrderLine.erp_item_id).where(OrderLine.order_id == order.id))
            ).scalars()
            early = await release_settled_reservations(
                session, [erp_item_id], order.confirmed_at - timedelta(milliseconds=1)
            )
            other_products = await release_settled_reservations(
                session, [], order.confirmed_at + timedelta(seconds=1)
            )
            settled = await release_settled_reservations(
                session, [erp_item_id], order.confirmed_at + timedelta(milliseconds=1)
            )
            again = await release_settled_reservations(
                session, [erp_item_id], order.confirmed_at + timedelta(seconds=1)
            )
            await session.commit()
            released_at = (
                await session.execute(select(Order.reservation_released_at).where(Order.id == order.id))
            ).scalar_one()
    finally:
        await database.dispose()

    assert (early, other_products, settled, again) == (0, 0, 1, 0)
    assert released_at is not None
    assert await shop.stock(tea) == 10
