import asyncio
import uuid
from typing import Any

import httpx
import pytest

from tests.orders.conftest import item_id
from tests.orders.helpers import ORDERS, all_orders, order_body, stock_of
from tests.support.metrics import scrape, value

pytestmark = pytest.mark.asyncio

Catalog = dict[str, dict[str, Any]]


async def test_an_order_is_accepted_priced_by_the_server_and_reserves_stock(
    client: httpx.AsyncClient, products: Catalog
) -> None:
    tea, rice = item_id(products, "tea"), item_id(products, "rice")
    tea_product = (await client.get(f"/api/consumer/products/{tea}")).json()["data"]
    body = order_body((tea_product["id"], 3), (rice, 2, 15000))
    body["notes"] = "Leave at the door"

    response = await client.post(ORDERS, json=body)

    assert response.status_code == 201, response.text
    order = response.json()["data"]
    assert order["status"] == "accepted"
    assert order["currency"] == "IQD"
    assert order["total"] == 3 * 3500 + 2 * 15000
    assert order["number"].startswith("SF-")
    assert order["customer"] == body["customer"]
    assert order["notes"] == "Leave at the door"
    assert [
        (line["erp_item_id"], line["quantity"], line["unit_price"], line["line_total"])
        for line in order["lines"]
    ] == [
        (tea, 3, 3500, 10500),
        (rice, 2, 15000, 30000),
    ]
    assert uuid.UUID(order["id"]).version == 4
    assert await stock_of(client, tea) == 7
    assert await stock_of(client, rice) == 0

    fetched = await client.get(f"{ORDERS}/{order['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["data"] == order


@pytest.mark.parametrize("order_id", [str(uuid.uuid4()), "not-a-uuid"])
async def test_an_unknown_order_is_404(client: httpx.AsyncClient, order_id: str) -> None:
    response = await client.get(f"{ORDERS}/{order_id}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "order_not_found"


async def test_200_concurrent_orders_for_50_units_accept_exactly_50(
    client: httpx.AsyncClient, products: Catalog, admin_headers: dict[str, str]
) -> None:
    hot = item_id(products, "hot")

    responses = await asyncio.gather(
        *(client.post(ORDERS, json=order_body((hot, 1), email=f"s{n}@example.com")) for n in range(200))
    )

    statuses = [response.status_code for response in responses]
    assert statuses.count(201) == 50, statuses
    assert statuses.count(409) == 150
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"insufficient_stock"}
    assert await stock_of(client, hot) == 0
    assert len(await all_orders(client, admin_headers)) == 50


async def test_concurrent_multi_line_orders_in_opposite_orders_neither_deadlock_nor_oversell(
    client: httpx.AsyncClient, products: Catalog, admin_headers: dict[str, str]
) -> None:
    tea, hot = item_id(products, "tea"), item_id(products, "hot")

    responses = await asyncio.gather(
        *(
            client.post(
                ORDERS, json=order_body((tea, 1), (hot, 1)) if n % 2 else order_body((hot, 1), (tea, 1))
            )
            for n in range(40)
        )
    )

    assert [r.status_code for r in responses].count(201) == 10
    assert await stock_of(client, tea) == 0
    assert await stock_of(client, hot) == 40


async def test_a_short_second_line_refuses_the_whole_order_and_reserves_nothing(
    client: httpx.AsyncClient, products: Catalog, admin_headers: dict[str, str]
) -> None:
    tea, rice, soap = item_id(products, "tea"), item_id(products, "rice"), item_id(products, "soap")

    response = await client.post(ORDERS, json=order_body((tea, 4), (rice, 5), (soap, 2)))

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "insufficient_stock"
    assert error["details"]["lines"] == [
        {"line": 2, "product_id": rice, "requested": 5, "available": 2},
        {"line": 3, "product_id": soap, "requested": 2, "available": 1},
    ]
    assert await stock_of(client, tea) == 10
    assert await stock_of(client, rice) == 2
    assert await stock_of(client, soap) == 1
    assert await all_orders(client, admin_headers) == []


async def test_a_changed_price_is_refused_with_the_current_prices(
    client: httpx.AsyncClient, products: Catalog, admin_headers: dict[str, str]
) -> None:
    tea, rice = item_id(products, "tea"), item_id(products, "rice")

    response = await client.post(ORDERS, json=order_body((tea, 1, "3500.00"), (rice, 1, 14000)))

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "price_changed"
    assert error["details"]["lines"] == [
        {"line": 2, "product_id": rice, "unit_price": 14000, "current_price": 15000}
    ]
    assert error["details"]["prices"] == [
        {"line": 1, "product_id": tea, "unit_price": 3500},
        {"line": 2, "product_id": rice, "unit_price": 15000},
    ]
    assert await stock_of(client, tea) == 10
    assert await all_orders(client, admin_headers) == []


def _bad_bodies(products: Catalog) -> dict[str, tuple[dict[str, Any], str]]:
    tea = item_id(products, "tea")
    good_line = {"product_id": tea, "quantity": 1}
    good = order_body((tea, 1))
    return {
        "no lines": ({**good, "lines": []}, "validation_error"),
        "101 lines": ({**good, "lines": [good_line] * 101}, "validation_error"),
        "quantity 0": ({**good, "lines": [{**good_line, "quantity": 0}]}, "validation_error"),
        "quantity 1001": ({**good, "lines": [{**good_line, "quantity": 1001}]}, "validation_error"),
        "quantity as text": ({**good, "lines": [{**good_line, "quantity": "2"}]}, "validation_error"),
        "negative price": ({**good, "lines": [{**good_line, "unit_price": -1}]}, "validation_error"),
        "same product twice": ({**good, "lines": [good_line, good_line]}, "validation_error"),
        "bad email": ({**good, "customer": {"name": "A", "email": "not-an-email"}}, "validation_error"),
        "no customer": ({"lines": [good_line]}, "validation_error"),
        "unknown field": ({**good, "discount": 50}, "validation_error"),
        "unknown product": (order_body((tea, 1), ("no-such-item", 1)), "unsellable_lines"),
        "inactive product": (order_body((tea, 1), (item_id(products, "inactive"), 1)), "unsellable_lines"),
        "unpriced product": (
            order_body(
                (item_id(products, "unpriced"), 1),
            ),
            "unsellable_lines",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "no lines",
        "101 lines",
        "quantity 0",
        "quantity 1001",
        "quantity as text",
        "negative price",
        "same product twice",
        "bad email",
        "no customer",
        "unknown field",
        "unknown product",
        "inactive product",
        "unpriced product",
    ],
)
async def test_bad_input_is_422_in_the_envelope_and_changes_nothing(
    client: httpx.AsyncClient, products: Catalog, admin_headers: dict[str, str], case: str
) -> None:
    body, code = _bad_bodies(products)[case]

    response = await client.post(
        ORDERS, json=body, headers={"Idempotency-Key": f"bad-{case.replace(' ', '-')}"}
    )

    assert response.status_code == 422, response.text
    envelope = response.json()
    assert envelope["status"] == "error"
    assert envelope["error"]["code"] == code
    assert await stock_of(client, item_id(products, "tea")) == 10
    assert await all_orders(client, admin_headers) == []


async def test_unsellable_lines_are_named_and_nothing_is_reserved(
    client: httpx.AsyncClient, products: Catalog, admin_headers: dict[str, str]
) -> None:
    tea, inactive, unpriced = (item_id(products, n) for n in ("tea", "inactive", "unpriced"))
    tea_uuid = (await client.get(f"/api/consumer/products/{tea}")).json()["data"]["id"]

    response = await client.post(
        ORDERS, json=order_body((tea, 1), ("ghost", 1), (inactive, 1), (unpriced, 1), (tea_uuid, 1))
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"]["lines"] == [
        {"line": 2, "product_id": "ghost", "problems": ["unknown"]},
        {"line": 3, "product_id": inactive, "problems": ["inactive"]},
        {"line": 4, "product_id": unpriced, "problems": ["unpriced"]},
        {"line": 5, "product_id": tea_uuid, "problems": ["duplicate"]},
    ]
    assert await stock_of(client, tea) == 10
    assert await all_orders(client, admin_headers) == []


async def test_accepted_orders_are_counted_once_committed(
    client: httpx.AsyncClient, products: Catalog, admin_headers: dict[str, str]
) -> None:
    before = value(await scrape(client), "storefront_orders_placed_total", channel="consumer")

    await client.post(ORDERS, json=order_body((item_id(products, "tea"), 1)))
    await client.post(ORDERS, json=order_body((item_id(products, "rice"), 9)))

    after = value(await scrape(client), "storefront_orders_placed_total", channel="consumer")
    assert after - before == 1
