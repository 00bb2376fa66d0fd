"""The BFF's screens are cached; a write that changes what they show must make them miss."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from storefront.config import Settings
from tests.support.cache import cache_settings
from tests.support.catalog import seed, zoho_item

__all__ = ["cache_settings"]
BFF = "/api/bff/mobile"


@pytest.fixture
def settings(cache_settings: Callable[..., Settings]) -> Settings:
    return cache_settings()


async def test_an_order_invalidates_every_cached_screen(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    tea = zoho_item("Black Tea 500 g", stock=20, rate=3500)
    cola = zoho_item("Cola Can 330 ml", stock=9, rate=750)
    await seed(settings, [tea, cola])
    screens = {
        "home": f"{BFF}/home",
        "product": f"{BFF}/products/{tea['item_id']}",
        "related": f"{BFF}/products/{cola['item_id']}",
        "category": f"{BFF}/categories/Beverages/products",
        "search": f"{BFF}/search?q=tea",
    }

    def tea_stock(name: str, body: dict[str, Any]) -> int:
        data = body["data"]
        if name == "home":
            [product] = [p for p in data["new_arrivals"] if p["name"] == tea["name"]]
        elif name == "product":
            product = data["product"]
        elif name == "related":
            [product] = data["related"]
        else:
            [product] = [p for p in data if p["name"] == tea["name"]]
        return int(product["stock"])

    for name, path in screens.items():
        assert (await client.get(path)).headers["x-cache"] == "miss", name
        cached = await client.get(path)
        assert cached.headers["x-cache"] == "hit", name
        assert tea_stock(name, cached.json()) == 20

    order = {
        "customer": {"name": "Omar", "email": "omar@example.com"},
        "lines": [{"product_id": tea["item_id"], "quantity": 5}],
    }
    assert (await client.post(f"{BFF}/checkout", json=order)).status_code == 201

    for name, path in screens.items():
        after = await client.get(path)
        assert after.headers["x-cache"] == "miss", name
        assert tea_stock(name, after.json()) == 15, name
