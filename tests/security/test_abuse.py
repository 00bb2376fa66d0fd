"""Finding 2: one anonymous client could hoard the shop. Orders, checkout and quotes are rate
limited per client (in memory, or shared through Redis), and orders have caps on units and value."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from storefront.config import Settings
from tests.conftest import ADMIN_TOKEN
from tests.security.conftest import OTHER_SHOPPER, client_of, shop
from tests.support.cache import REDIS_URL, forget_versions, require_redis, running_app, unique_prefix
from tests.support.catalog import seed, zoho_item

ORDERS = "/api/consumer/orders"
CHECKOUT = "/api/bff/mobile/checkout"
QUOTE = "/api/bff/mobile/cart/quote"


def order(*lines: tuple[str, int]) -> dict[str, Any]:
    return {
        "customer": {"name": "Hoarder", "email": "hoarder@example.com", "phone": "+9647700000001"},
        "lines": [{"product_id": ref, "quantity": quantity} for ref, quantity in lines],
    }


async def listed(client: httpx.AsyncClient) -> dict[str, int]:
    response = await client.get("/api/consumer/products", params={"limit": 200})
    return {product["erp_item_id"]: product["stock"] for product in response.json()["data"]}


async def test_the_hoarding_order_is_refused_and_reserves_nothing(
    secure_settings: Callable[..., Settings],
) -> None:
    settings = secure_settings()
    items = [zoho_item(f"Hoard {n}", stock=300, rate=1000) for n in range(100)]
    await seed(settings, items)
    async with shop(settings) as client:
        before = await listed(client)
        response = await client.post(ORDERS, json=order(*((item["item_id"], 205) for item in items)))
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "order_too_large"
        assert await listed(client) == before
        orders = await client.get("/api/tds/orders", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert orders.json()["data"] == []


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        ([(0, 51)], "units per line"),
        ([(n, 41) for n in range(5)], "units per order"),
        ([(5, 6)], "value"),
    ],
)
async def test_orders_over_a_cap_are_refused(
    secure_settings: Callable[..., Settings], lines: list[tuple[int, int]], problem: str
) -> None:
    settings = secure_settings()
    items = [zoho_item(f"Capped {n}", stock=500, rate=1000) for n in range(5)]
    items.append(zoho_item("Gold bar", stock=50, rate=1_000_000))
    await seed(settings, items)
    async with shop(settings) as client:
        before = await listed(client)
        body = order(*((items[index]["item_id"], quantity) for index, quantity in lines))
        for path in (ORDERS, CHECKOUT):
            response = await client.post(path, json=body)
            assert response.status_code == 422, (problem, response.text)
            assert response.json()["error"]["code"] == "order_too_large"
        assert await listed(client) == before


async def test_an_order_at_the_caps_is_accepted(secure_settings: Callable[..., Settings]) -> None:
    settings = secure_settings(order_max_value=200_000)
    items = [zoho_item(f"Fine {n}", stock=500, rate=1000) for n in range(4)]
    await seed(settings, items)
    async with shop(settings) as client:
        response = await client.post(ORDERS, json=order(*((item["item_id"], 50) for item in items)))
        assert response.status_code == 201, response.text
        assert response.json()["data"]["total"] == 200_000


async def _place_until_refused(client: httpx.AsyncClient, path: str, body: dict[str, Any], most: int) -> int:
    """How many requests passed the rate limit before the first 429 (checked in the envelope)."""
    for count in range(most):
        response = await client.post(path, json=body)
        if response.status_code == 429:
            envelope = response.json()
            assert envelope["error"]["code"] == "rate_limited"
            assert int(response.headers["retry-after"]) >= 1
            return count
        assert response.status_code < 500, response.text
    return most


@pytest.fixture
async def tea(secure_settings: Callable[..., Settings]) -> dict[str, Any]:
    return zoho_item("Limited Tea", stock=1000, rate=500)


async def test_order_placement_and_checkout_share_a_per_client_limit(
    secure_settings: Callable[..., Settings], tea: dict[str, Any]
) -> None:
    settings = secure_settings()
    await seed(settings, [tea])
    body = order((tea["item_id"], 1))
    async with (
        running_app(settings) as application,
        client_of(application) as shopper,
        client_of(application, OTHER_SHOPPER) as other,
    ):
        assert await _place_until_refused(shopper, ORDERS, body, 5) == 5
        assert await _place_until_refused(shopper, CHECKOUT, body, 20) == 5
        assert await _place_until_refused(shopper, ORDERS, body, 5) == 0
        assert await _place_until_refused(other, ORDERS, body, 3) == 3


async def test_cart_quotes_are_rate_limited(
    secure_settings: Callable[..., Settings], tea: dict[str, Any]
) -> None:
    settings = secure_settings(rate_limit_quotes="5/minute")
    await seed(settings, [tea])
    cart = {"lines": [{"product_id": tea["item_id"], "quantity": 1}]}
    async with shop(settings) as client:
        assert await _place_until_refused(client, QUOTE, cart, 20) == 5


async def test_forwarded_for_counts_only_behind_a_trusted_proxy(
    secure_settings: Callable[..., Settings], tea: dict[str, Any]
) -> None:
    settings = secure_settings(rate_limit_orders="2/minute", trusted_proxies=["10.0.0.5"])
    await seed(settings, [tea])
    body = order((tea["item_id"], 1))
    async with (
        running_app(settings) as application,
        client_of(application) as direct,
        client_of(application, "10.0.0.5") as proxy,
    ):
        for n in range(2):
            forged = {"X-Forwarded-For": f"192.0.2.{n}"}
            assert (await direct.post(ORDERS, json=body, headers=forged)).status_code == 201
        assert (
            await direct.post(ORDERS, json=body, headers={"X-Forwarded-For": "192.0.2.99"})
        ).status_code == 429
        for n in range(3):
            shopper = {"X-Forwarded-For": f"192.0.2.{n}, 10.0.0.5"}
            assert (await proxy.post(ORDERS, json=body, headers=shopper)).status_code == 201


async def test_the_limit_is_shared_by_processes_through_redis(
    secure_settings: Callable[..., Settings], tea: dict[str, Any]
) -> None:
    await require_redis()
    prefix = unique_prefix()
    settings = secure_settings(rate_limit_orders="4/minute", redis_url=REDIS_URL, cache_prefix=prefix)
    await seed(settings, [tea])
    body = order((tea["item_id"], 1))
    try:
        async with (
            running_app(settings) as first,
            running_app(settings) as second,
            client_of(first) as one,
            client_of(second) as other,
        ):
            assert await _place_until_refused(one, ORDERS, body, 2) == 2
            assert await _place_until_refused(other, ORDERS, body, 5) == 2
    finally:
        await forget_versions(prefix)
