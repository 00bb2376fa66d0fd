from typing import Any

import httpx
import pytest

from storefront.config import Settings
from tests.support.catalog import PRODUCT_FIELDS, seed, set_reserved, zoho_item

BFF = "/api/bff/mobile"


def stamp(day: int) -> str:
    return f"2026-11-{day:02d}T10:00:00+0000"


@pytest.fixture
async def catalog(settings: Settings) -> dict[str, dict[str, Any]]:
    items = {
        "tea": zoho_item("Black Tea 500 g", stock=20, rate=3500, last_modified_time=stamp(3)),
        "cola": zoho_item("Cola Can 330 ml", stock=3, rate=750, last_modified_time=stamp(9)),
        "juice": zoho_item("Mango Juice 1 L", stock=0, rate=2000, last_modified_time=stamp(20)),
        "water": zoho_item("Still Water 1.5 L", stock=50, rate=500, last_modified_time=stamp(5)),
        "rice": zoho_item(
            "Basmati Rice 5 kg", category="Rice & Grains", stock=40, rate=15000, last_modified_time=stamp(7)
        ),
        "bulgur": zoho_item(
            "Bulgur 1 kg", category="Rice & Grains", stock=5, rate=2250, last_modified_time=stamp(1)
        ),
        "soap": zoho_item(
            "Bath Soap 4 pack", category="Personal Care", stock=0, rate=3000, last_modified_time=stamp(8)
        ),
    }
    for n in range(10):
        items[f"juice{n}"] = zoho_item(
            f"Zest Juice {n:02d}", stock=10, rate=1000, last_modified_time=stamp(2), category="Juices"
        )
    await seed(settings, list(items.values()))
    return items


def assert_envelope(body: dict[str, Any]) -> None:
    assert body["status"] == "success"
    assert body["meta"]["request_id"]


async def test_home_lists_categories_with_counts_new_arrivals_and_last_sync(
    client: httpx.AsyncClient, catalog: dict[str, dict[str, Any]]
) -> None:
    response = await client.get(f"{BFF}/home")
    assert response.status_code == 200
    body = response.json()
    assert_envelope(body)
    data = body["data"]
    assert data["categories"] == [
        {"name": "Beverages", "product_count": 3},
        {"name": "Juices", "product_count": 10},
        {"name": "Rice & Grains", "product_count": 2},
    ]
    arrivals = [product["name"] for product in data["new_arrivals"]]
    # Most recently changed first; out-of-stock items (mango juice, soap) are left out.
    assert arrivals[:5] == [
        "Cola Can 330 ml",
        "Basmati Rice 5 kg",
        "Still Water 1.5 L",
        "Black Tea 500 g",
        arrivals[4],
    ]
    assert len(arrivals) == 10
    assert "Mango Juice 1 L" not in arrivals
    assert "Bath Soap 4 pack" not in arrivals
    assert set(data["new_arrivals"][0]) == PRODUCT_FIELDS
    assert data["last_sync_at"] is not None


async def test_home_on_an_empty_catalog(client: httpx.AsyncClient) -> None:
    body = (await client.get(f"{BFF}/home")).json()
    assert body["data"] == {"categories": [], "new_arrivals": [], "last_sync_at": None}


async def test_product_screen_has_availability_and_related_in_stock_products(
    client: httpx.AsyncClient, catalog: dict[str, dict[str, Any]]
) -> None:
    response = await client.get(f"{BFF}/products/{catalog['cola']['item_id']}")
    assert response.status_code == 200
    body = response.json()
    assert_envelope(body)
    data = body["data"]
    assert set(data["product"]) == PRODUCT_FIELDS
    assert data["product"]["name"] == "Cola Can 330 ml"
    assert data["product"]["price"] == 750
    assert data["availability"] == {"stock": 3, "in_stock": True, "level": "low_stock"}
    assert [p["name"] for p in data["related"]] == ["Black Tea 500 g", "Still Water 1.5 L"]


async def test_product_screen_caps_related_at_eight(
    client: httpx.AsyncClient, catalog: dict[str, dict[str, Any]]
) -> None:
    body = (await client.get(f"{BFF}/products/{catalog['juice3']['item_id']}")).json()
    related = [p["name"] for p in body["data"]["related"]]
    assert len(related) == 8
    assert "Zest Juice 03" not in related


async def test_product_screen_of_an_out_of_stock_product(
    client: httpx.AsyncClient, catalog: dict[str, dict[str, Any]], settings: Settings
) -> None:
    await set_reserved(settings, catalog["tea"]["item_id"], 20)
    body = (await client.get(f"{BFF}/products/{catalog['tea']['item_id']}")).json()
    assert body["data"]["availability"] == {"stock": 0, "in_stock": False, "level": "out_of_stock"}
    assert [p["name"] for p in body["data"]["related"]] == ["Cola Can 330 ml", "Still Water 1.5 L"]


async def test_unknown_product_is_the_consumer_apis_404(
    client: httpx.AsyncClient, catalog: dict[str, dict[str, Any]]
) -> None:
    bff = await client.get(f"{BFF}/products/no-such-item")
    consumer = await client.get("/api/consumer/products/no-such-item")
    assert bff.status_code == consumer.status_code == 404
    assert bff.json()["error"]["code"] == consumer.json()["error"]["code"] == "product_not_found"


async def test_category_screen_pages_through_its_products(
    client: httpx.AsyncClient, catalog: dict[str, dict[str, Any]]
) -> None:
    first = (await client.get(f"{BFF}/categories/juices/products", params={"limit": 4})).json()
    assert_envelope(first)
    assert [p["name"] for p in first["data"]] == [f"Zest Juice {n:02d}" for n in range(4)]
    assert first["meta"] | {"request_id": None} == {
        "request_id": None,
        "skip": 0,
        "limit": 4,
        "count": 4,
        "has_more": True,
        "category": "juices",
    }
    last = (await client.get(f"{BFF}/categories/Juices/products", params={"skip": 8, "limit": 4})).json()
    assert [p["name"] for p in last["data"]] == ["Zest Juice 08", "Zest Juice 09"]
    assert last["meta"]["has_more"] is False


async def test_category_screen_of_an_unknown_category_is_404(
    client: httpx.AsyncClient, catalog: dict[str, dict[str, Any]]
) -> None:
    response = await client.get(f"{BFF}/categories/Nothing Here/products")
    assert response.status_code == 404
    assert response.json()["status"] == "error"
    assert response.json()["error"]["code"] == "category_not_found"


async def test_search_screen(client: httpx.AsyncClient, catalog: dict[str, dict[str, Any]]) -> None:
    body = (await client.get(f"{BFF}/search", params={"q": " juice ", "limit": 3})).json()
    assert_envelope(body)
    # Equal matches, in an order of their own (search ranking: tests/search).
    found = [p["name"] for p in body["data"]]
    assert len(found) == 3
    assert set(found) < {f"Zest Juice {n:02d}" for n in range(10)}
    assert body["meta"]["query"] == "juice"
    assert body["meta"]["has_more"] is True


@pytest.mark.parametrize(
    "path",
    [
        f"{BFF}/search",
        f"{BFF}/search?q=",
        f"{BFF}/search?q=tea&limit=0",
        f"{BFF}/search?q=tea&skip=-1",
        f"{BFF}/categories/Juices/products?limit=100000",
    ],
)
async def test_bad_paging_or_query_is_a_422_in_the_envelope(
    client: httpx.AsyncClient, catalog: dict[str, dict[str, Any]], path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
