from typing import Any

import httpx
import pytest

from tests.orders.conftest import item_id
from tests.orders.helpers import ORDERS, order_body

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/tds/orders"), ("POST", "/api/tds/orders/00000000-0000-4000-8000-000000000000/retry")],
)
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic abc"])
async def test_operator_endpoints_need_the_admin_token(
    client: httpx.AsyncClient, method: str, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = await client.request(method, path, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


async def test_the_operator_lists_orders_with_their_push_progress(
    client: httpx.AsyncClient, products: dict[str, dict[str, Any]], admin_headers: dict[str, str]
) -> None:
    tea = item_id(products, "tea")
    placed = [(await client.post(ORDERS, json=order_body((tea, 1)))).json()["data"] for _ in range(3)]

    response = await client.get(
        "/api/tds/orders", params={"status": "accepted", "limit": 2}, headers=admin_headers
    )

    assert response.status_code == 200
    body = response.json()
    assert body["meta"]["has_more"] is True
    assert body["meta"]["count"] == 2
    assert {o["id"] for o in body["data"]} <= {o["id"] for o in placed}
    assert body["data"][0]["push"]["status"] == "pending"
    assert body["data"][0]["push"]["attempts"] == 0
    assert body["data"][0]["push"]["last_error"] is None
    confirmed = await client.get("/api/tds/orders", params={"status": "confirmed"}, headers=admin_headers)
    assert confirmed.json()["data"] == []
    bad = await client.get("/api/tds/orders", params={"status": "lost"}, headers=admin_headers)
    assert bad.status_code == 422


async def test_only_a_failed_order_can_be_retried(
    client: httpx.AsyncClient, products: dict[str, dict[str, Any]], admin_headers: dict[str, str]
) -> None:
    order = (await client.post(ORDERS, json=order_body((item_id(products, "tea"), 1)))).json()["data"]

    response = await client.post(f"/api/tds/orders/{order['id']}/retry", headers=admin_headers)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "order_not_retryable"
    missing = await client.post(
        "/api/tds/orders/00000000-0000-4000-8000-000000000000/retry", headers=admin_headers
    )
    assert missing.status_code == 404
