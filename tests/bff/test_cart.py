from decimal import Decimal
from typing import Any

import httpx
import pytest

from storefront.config import Settings
from tests.support.catalog import seed, zoho_item

BFF = "/api/bff/mobile"
CUSTOMER = {"name": "Layla Hassan", "email": "layla@example.com", "phone": "+9647700000000"}


@pytest.fixture
async def catalog(settings: Settings) -> dict[str, dict[str, Any]]:
    items = {
        "tea": zoho_item("Black Tea 500 g", stock=20, rate=3500),
        "cola": zoho_item("Cola Can 330 ml", stock=3, rate=750),
        "juice": zoho_item("Mango Juice 1 L", stock=0, rate=2000),
    }
    await seed(settings, list(items.values()))
    return items


async def test_quote_prices_a_clean_cart_from_the_database(
    client: httpx.AsyncClient, catalog: dict[str, dict[str, Any]]
) -> None:
    lines = [
        {"product_id": catalog["tea"]["item_id"], "quantity": 2, "unit_price": "3500"},
        {"product_id": catalog["cola"]["item_id"], "quantity": 3},
    ]
    response = await client.post(f"{BFF}/cart/quote", json={"lines": lines})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "success"
    quote = body["data"]
    assert quote["ok"] is True
    assert quote["currency"] == "IQD"
    assert Decimal(str(quote["total"])) == Decimal(2 * 3500 + 3 * 750)
    assert [
        (line["name"], line["unit_price"], line["line_total"], line["available"]) for line in quote["lines"]
    ] == [
        ("Black Tea 500 g", 3500, 7000, 20),
        ("Cola Can 330 ml", 750, 2250, 3),
    ]
    assert all(line["problems"] == [] for line in quote["lines"])


async def test_quote_names_a_problem_per_line(
    client: httpx.AsyncClient, catalog: dict[str, dict[str, Any]]
) -> None:
    lines = [
        {"product_id": "no-such-item", "quantity": 1},
        {"product_id": catalog["juice"]["item_id"], "quantity": 1},
        {"product_id": catalog["cola"]["item_id"], "quantity": 5},
        {"product_id": catalog["tea"]["item_id"], "quantity": 1, "unit_price": "3000"},
    ]
    response = await client.post(f"{BFF}/cart/quote", json={"lines": lines})
    assert response.status_code == 200
    quote = response.json()["data"]
    assert quote["ok"] is False
    assert [line["problems"] for line in quote["lines"]] == [
        ["unknown"],
        ["out_of_stock"],
        ["short"],
        ["price_changed"],
    ]
    assert quote["lines"][3]["unit_price"] == 3500
    assert quote["lines"][2]["available"] == 3


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"lines": []},
        {"lines": [{"product_id": "x", "quantity": 0}]},
        {"lines": [{"product_id": "x", "quantity": "two"}]},
        {"lines": [{"product_id": "x", "quantity": 1, "unit_price": "-1"}]},
        {"lines": [{"product_id": "x", "quantity": 1}], "coupon": "FREE"},
    ],
)
async def test_bad_carts_are_a_422_in_the_envelope(
    client: httpx.AsyncClient, catalog: dict[str, dict[str, Any]], body: dict[str, Any]
) -> None:
    response = await client.post(f"{BFF}/cart/quote", json=body)
    assert response.status_code == 422
    assert response.json()["status"] == "error"
    assert response.json()["error"]["code"] == "validation_error"


async def test_checkout_places_the_order_once_per_idempotency_key(
    client: httpx.AsyncClient, catalog: dict[str, dict[str, Any]]
) -> None:
    order = {
        "customer": CUSTOMER,
        "lines": [{"product_id": catalog["tea"]["item_id"], "quantity": 2, "unit_price": "3500"}],
    }
    headers = {"Idempotency-Key": "checkout-7f3a"}
    first = await client.post(f"{BFF}/checkout", json=order, headers=headers)
    assert first.status_code == 201, first.text
    data = first.json()["data"]
    assert data["order"]["status"] == "accepted"
    assert data["order"]["total"] == 7000
    assert data["order"]["lines"][0]["quantity"] == 2
    # The prices the order was placed at, from its own lines.
    assert data["quote"]["total"] == 7000
    assert [(line["line"], line["unit_price"], line["line_total"]) for line in data["quote"]["lines"]] == [
        (1, 3500, 7000)
    ]

    again = await client.post(f"{BFF}/checkout", json=order, headers=headers)
    assert again.status_code == 201
    assert again.json()["data"]["order"]["id"] == data["order"]["id"]

    product = (await client.get(f"{BFF}/products/{catalog['tea']['item_id']}")).json()["data"]
    assert product["availability"]["stock"] == 18  # reserved once, not twice

    reused = await client.post(f"{BFF}/checkout", json={**order, "notes": "another body"}, headers=headers)
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"

    consumer = await client.get(f"/api/consumer/orders/{data['order']['id']}")
    assert consumer.status_code == 200
    assert consumer.json()["data"]["number"] == data["order"]["number"]


async def test_checkout_refusals_change_nothing(
    client: httpx.AsyncClient, catalog: dict[str, dict[str, Any]]
) -> None:
    short = {"customer": CUSTOMER, "lines": [{"product_id": catalog["cola"]["item_id"], "quantity": 4}]}
    response = await client.post(f"{BFF}/checkout", json=short)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "insufficient_stock"

    changed = {
        "customer": CUSTOMER,
        "lines": [{"product_id": catalog["tea"]["item_id"], "quantity": 1, "unit_price": "100"}],
    }
    response = await client.post(f"{BFF}/checkout", json=changed)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "price_changed"

    unknown = {"customer": CUSTOMER, "lines": [{"product_id": "no-such-item", "quantity": 1}]}
    response = await client.post(f"{BFF}/checkout", json=unknown)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unsellable_lines"

    cola = (await client.get(f"{BFF}/products/{catalog['cola']['item_id']}")).json()["data"]
    tea = (await client.get(f"{BFF}/products/{catalog['tea']['item_id']}")).json()["data"]
    assert cola["availability"]["stock"] == 3
    assert tea["availability"]["stock"] == 20
