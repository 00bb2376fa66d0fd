from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from storefront.cache import CATALOG
from storefront.config import Settings
from tests.support.catalog import PRODUCT_FIELDS, seed, set_reserved, zoho_item

pytestmark = pytest.mark.asyncio


def names(body: dict[str, Any]) -> list[str]:
    return [product["name"] for product in body["data"]]


@pytest.fixture
async def catalog(settings: Settings) -> dict[str, dict[str, Any]]:
    items = {
        "tea": zoho_item("Black Tea 500 g", category="Beverages", stock=20, rate=3500, sku="BEV-TEA-1"),
        "cola": zoho_item("Cola Can 330 ml", category="Beverages", stock="15", rate=750),
        "juice": zoho_item("Mango Juice 1 L", category="Beverages", stock=0, rate=2000),
        "negative": zoho_item("Orange Juice 1 L", category="Beverages", stock=-3, rate=2000),
        "rice": zoho_item("Basmati Rice 5 kg", category="Rice & Grains", stock=40, rate=15000),
        "bulgur": zoho_item("Bulgur 1 kg", category="Rice & Grains", stock=5, rate=2250, sku="GRN-TEA-LIKE"),
        "inactive": zoho_item("Old Tea 250 g", category="Beverages", stock=30, status="inactive"),
        "unpriced": zoho_item("Green Tea 100 g", category="Beverages", stock=30),
        "soap": zoho_item("Bath Soap 4 pack", category="Personal Care", stock=1, rate=3000),
    }
    await seed(settings, list(items.values()), unpriced={items["unpriced"]["item_id"]})
    return items


async def test_lists_only_sellable_priced_active_products_in_stable_order(
    client: httpx.AsyncClient, catalog: dict[str, dict[str, Any]]
) -> None:
    response = await client.get("/api/consumer/products")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "success"
    assert names(body) == [
        "Basmati Rice 5 kg",
        "Bath Soap 4 pack",
        "Black Tea 500 g",
        "Bulgur 1 kg",
        "Cola Can 330 ml",
    ]
    assert body["meta"]["count"] == 5
    assert body["meta"]["has_more"] is False


async def test_product_shape(client: httpx.AsyncClient, catalog: dict[str, dict[str, Any]]) -> None:
    body = (await client.get("/api/consumer/products", params={"search": "black tea"})).json()
    [product] = body["data"]
    assert set(product) == PRODUCT_FIELDS
    assert product["erp_item_id"] == catalog["tea"]["item_id"]
    assert product["price"] == 3500
    assert product["currency"] == "IQD"
    assert product["stock"] == 20
    assert product["in_stock"] is True
    assert product["category"] == "Beverages"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"category": "Beverages"}, ["Black Tea 500 g", "Cola Can 330 ml"]),
        ({"category": "rice & grains"}, ["Basmati Rice 5 kg", "Bulgur 1 kg"]),
        ({"category": "Nothing Here"}, []),
        ({"search": "TEA"}, ["Black Tea 500 g", "Bulgur 1 kg"]),
        ({"search": "bev-tea"}, ["Black Tea 500 g"]),
        ({"search": "%"}, []),
        ({"search": "_"}, []),
        ({"category": "Beverages", "search": "tea"}, ["Black Tea 500 g"]),
        ({"category": "Rice & Grains", "search": "tea"}, ["Bulgur 1 kg"]),
        ({"category": "Personal Care", "search": "tea"}, []),
        ({"category": "Beverages", "search": "cola", "limit": 1}, ["Cola Can 330 ml"]),
    ],
)
async def test_filters_and_their_combinations(
    client: httpx.AsyncClient, catalog: dict[str, dict[str, Any]], params: dict[str, Any], expected: list[str]
) -> None:
    response = await client.get("/api/consumer/products", params=params)
    assert response.status_code == 200
    if "search" in params:
        # Search ranks its results (tests/search); equal matches keep an order of their own.
        assert sorted(names(response.json())) == expected
    else:
        assert names(response.json()) == expected


async def test_reserved_stock_eats_the_last_units(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, catalog: dict[str, dict[str, Any]]
) -> None:
    # Writes made underneath the app invalidate the cached reads, as every write path does.
    await set_reserved(settings, catalog["bulgur"]["item_id"], 3)
    await app.state.cache.invalidate(CATALOG)
    product = (await client.get(f"/api/consumer/products/{catalog['bulgur']['item_id']}")).json()["data"]
    assert product["stock"] == 2
    await set_reserved(settings, catalog["bulgur"]["item_id"], 5)
    await app.state.cache.invalidate(CATALOG)
    listed = names((await client.get("/api/consumer/products")).json())
    assert "Bulgur 1 kg" not in listed
    product = (await client.get(f"/api/consumer/products/{catalog['bulgur']['item_id']}")).json()["data"]
    assert product["stock"] == 0
    assert product["in_stock"] is False
    categories = (await client.get("/api/consumer/categories")).json()["data"]
    assert {"name": "Rice & Grains", "product_count": 1} in categories


async def test_lookup_by_our_id_and_by_erp_item_id(
    client: httpx.AsyncClient, catalog: dict[str, dict[str, Any]]
) -> None:
    by_erp = await client.get(f"/api/consumer/products/{catalog['rice']['item_id']}")
    assert by_erp.status_code == 200
    our_id = by_erp.json()["data"]["id"]
    by_ours = await client.get(f"/api/consumer/products/{our_id}")
    assert by_ours.status_code == 200
    assert by_ours.json()["data"] == by_erp.json()["data"]


@pytest.mark.parametrize("key", ["juice", "negative"])
async def test_out_of_stock_product_is_found_but_not_listed(
    client: httpx.AsyncClient, catalog: dict[str, dict[str, Any]], key: str
) -> None:
    response = await client.get(f"/api/consumer/products/{catalog[key]['item_id']}")
    assert response.status_code == 200
    assert response.json()["data"]["stock"] == 0
    assert response.json()["data"]["in_stock"] is False


@pytest.mark.parametrize("ref", ["inactive", "unpriced", None, "uuid"])
async def test_unknown_inactive_or_unpriced_product_is_404(
    client: httpx.AsyncClient, catalog: dict[str, dict[str, Any]], ref: str | None
) -> None:
    if ref is None:
        product_id = "no-such-item"
    elif ref == "uuid":
        product_id = "00000000-0000-4000-8000-000000000000"
    else:
        product_id = catalog[ref]["item_id"]
    response = await client.get(f"/api/consumer/products/{product_id}")
    assert response.status_code == 404
    body = response.json()
    assert body["status"] == "error"
    assert body["error"]["code"] == "product_not_found"
    assert body["meta"]["request_id"] == response.headers["x-request-id"]


async def test_categories_count_only_listed_products(
    client: httpx.AsyncClient, catalog: dict[str, dict[str, Any]]
) -> None:
    body = (await client.get("/api/consumer/categories")).json()
    assert body["data"] == [
        {"name": "Beverages", "product_count": 2},
        {"name": "Personal Care", "product_count": 1},
        {"name": "Rice & Grains", "product_count": 2},
    ]


async def test_paging_walks_the_whole_list_without_gaps(
    client: httpx.AsyncClient, catalog: dict[str, dict[str, Any]]
) -> None:
    seen: list[str] = []
    skip = 0
    while True:
        body = (await client.get("/api/consumer/products", params={"skip": skip, "limit": 2})).json()
        seen += names(body)
        assert body["meta"]["skip"] == skip
        assert body["meta"]["limit"] == 2
        if not body["meta"]["has_more"]:
            break
        skip += 2
    assert seen == names((await client.get("/api/consumer/products")).json())
    beyond = (await client.get("/api/consumer/products", params={"skip": 100})).json()
    assert beyond["data"] == []
    assert beyond["meta"]["has_more"] is False


async def test_limit_accepts_its_bounds(
    client: httpx.AsyncClient, catalog: dict[str, dict[str, Any]]
) -> None:
    assert (await client.get("/api/consumer/products", params={"limit": 1})).json()["meta"]["count"] == 1
    assert (await client.get("/api/consumer/products", params={"limit": 200})).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 201},
        {"limit": "ten"},
        {"skip": -1},
        {"skip": "x"},
        {"search": ""},
        {"category": ""},
    ],
)
async def test_bad_paging_or_filters_are_422_in_the_envelope(
    client: httpx.AsyncClient, params: dict[str, Any]
) -> None:
    response = await client.get("/api/consumer/products", params=params)
    assert response.status_code == 422
    body = response.json()
    assert body["status"] == "error"
    assert body["error"]["code"] == "validation_error"
    assert body["error"]["details"]
    assert response.headers["x-request-id"] == body["meta"]["request_id"]
