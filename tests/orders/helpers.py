"""Small builders and readers shared by the order tests; all through the public HTTP API."""

from typing import Any

import httpx

ORDERS = "/api/consumer/orders"


def customer(email: str = "shopper@example.com") -> dict[str, Any]:
    return {"name": "Shopper One", "email": email, "phone": "+964 770 000 0000"}


def order_body(
    *lines: tuple[str, int] | tuple[str, int, Any], email: str = "shopper@example.com"
) -> dict[str, Any]:
    body_lines = []
    for line in lines:
        entry: dict[str, Any] = {"product_id": line[0], "quantity": line[1]}
        if len(line) == 3:
            entry["unit_price"] = line[2]
        body_lines.append(entry)
    return {"customer": customer(email), "lines": body_lines}


async def stock_of(client: httpx.AsyncClient, product_ref: str) -> int:
    response = await client.get(f"/api/consumer/products/{product_ref}")
    assert response.status_code == 200, response.text
    stock: int = response.json()["data"]["stock"]
    return stock


async def all_orders(
    client: httpx.AsyncClient, admin_headers: dict[str, str], status: str | None = None
) -> list[dict[str, Any]]:
    orders: list[dict[str, Any]] = []
    skip = 0
    while True:
        params: dict[str, Any] = {"skip": skip, "limit": 200}
        if status:
            params["status"] = status
        response = await client.get("/api/tds/orders", params=params, headers=admin_headers)
        assert response.status_code == 200, response.text
        body = response.json()
        orders.extend(body["data"])
        if not body["meta"]["has_more"]:
            return orders
        skip += 200
