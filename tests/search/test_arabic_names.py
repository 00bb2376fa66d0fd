"""Arabic names: a Zoho item custom field, named by a setting, mirrored by the sync and carried by
every product answer; and a product's search row following its name, stock and category."""

from collections.abc import Callable
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from storefront.app import create_app
from storefront.config import Settings
from storefront.erp.items import parse_item
from tests.orders.helpers import order_body
from tests.search.conftest import Mirror, arabic, consumer_search, item
from tests.support.emulator import EmulatorHandle


def names(found: list[dict[str, Any]]) -> list[str]:
    return [product["name"] for product in found]


async def test_the_arabic_name_round_trips_from_the_emulator_to_every_product_answer(
    shop: httpx.AsyncClient, mirror: Mirror
) -> None:
    tea = item("Green Tea 250 g", "شاي أخضر ٢٥٠ غم", category="Beverages")
    plain = item("Black Tea 500 g", category="Beverages")
    other_field = item(
        "Mint Tea 100 g",
        category="Beverages",
        custom_fields=[{"customfield_id": "4600000000000102", "label": "Origin", "value": "Basra"}],
    )
    await mirror([tea, plain, other_field])

    product = (await shop.get(f"/api/consumer/products/{tea['item_id']}")).json()["data"]
    assert product["name_ar"] == "شاي أخضر ٢٥٠ غم"
    assert product["name"] == "Green Tea 250 g"
    for missing in (plain, other_field):
        assert (await shop.get(f"/api/consumer/products/{missing['item_id']}")).json()["data"][
            "name_ar"
        ] is None

    listed = {
        p["erp_item_id"]: p["name_ar"] for p in (await shop.get("/api/consumer/products")).json()["data"]
    }
    assert listed == {tea["item_id"]: "شاي أخضر ٢٥٠ غم", plain["item_id"]: None, other_field["item_id"]: None}

    screen = (await shop.get(f"/api/bff/mobile/products/{tea['item_id']}")).json()["data"]
    assert screen["product"]["name_ar"] == "شاي أخضر ٢٥٠ غم"
    assert {related["name_ar"] for related in screen["related"]} == {None}
    home = (await shop.get("/api/bff/mobile/home")).json()["data"]
    assert {p["name_ar"] for p in home["new_arrivals"]} == {"شاي أخضر ٢٥٠ غم", None}
    category = (await shop.get("/api/bff/mobile/categories/Beverages/products")).json()["data"]
    assert sorted(p["name_ar"] or "" for p in category) == ["", "", "شاي أخضر ٢٥٠ غم"]

    assert names(await consumer_search(shop, "شاي اخضر")) == ["Green Tea 250 g"]
    found = (await shop.get("/api/bff/mobile/search", params={"q": "الشاي"})).json()["data"]
    assert [p["name_ar"] for p in found] == ["شاي أخضر ٢٥٠ غم"]


async def test_without_the_setting_no_arabic_name_is_mirrored(
    emulator: EmulatorHandle, make_settings: Callable[..., Settings], admin_headers: dict[str, str]
) -> None:
    tea = item("Green Tea 250 g", "شاي أخضر")
    await emulator.control.put_items([tea], webhooks=False)
    await emulator.control.set_pricebook("consumer_iqd", {tea["item_id"]: tea["rate"]})
    app = create_app(make_settings(**emulator.settings_overrides()))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://storefront.test", timeout=60
        ) as shop:
            response = await shop.post("/api/consumer/sync/inventory?wait=true", headers=admin_headers)
            assert response.json()["data"]["status"] == "completed"
            product = (await shop.get(f"/api/consumer/products/{tea['item_id']}")).json()["data"]
            assert product["name_ar"] is None
            assert await consumer_search(shop, "شاي") == []
            assert names(await consumer_search(shop, "green")) == ["Green Tea 250 g"]


def test_the_field_is_found_by_its_api_name_or_its_label_whatever_the_case() -> None:
    raw = {
        "item_id": "1",
        "name": "Green Tea",
        "custom_fields": [
            {"customfield_id": "9", "label": "Origin", "api_name": "cf_origin", "value": "Basra"},
            {"customfield_id": "7", "label": "Arabic Name", "api_name": "cf_arabic_name", "value": " شاي "},
        ],
    }
    for field in ("cf_arabic_name", "Arabic Name", "ARABIC NAME", " arabic name "):
        assert parse_item(raw, name_ar_field=field).name_ar == "شاي"
    assert parse_item(raw, name_ar_field="cf_other").name_ar is None
    assert parse_item(raw).name_ar is None
    for custom_fields in (None, "text", [None, 3], [{"label": "Arabic Name", "value": {"x": 1}}]):
        assert (
            parse_item({**raw, "custom_fields": custom_fields}, name_ar_field="Arabic Name").name_ar is None
        )


async def test_search_follows_a_renamed_item(shop: httpx.AsyncClient, mirror: Mirror) -> None:
    juice = item("Orange Juice 1 L", "عصير برتقال")
    await mirror([juice])
    assert names(await consumer_search(shop, "برتقال")) == ["Orange Juice 1 L"]
    await mirror([{**juice, "name": "Apple Juice 1 L", "custom_fields": [arabic("عصير تفاح")]}])
    assert await consumer_search(shop, "برتقال") == []
    assert await consumer_search(shop, "orange") == []
    assert names(await consumer_search(shop, "تفاح")) == ["Apple Juice 1 L"]
    assert (await consumer_search(shop, "apple"))[0]["name_ar"] == "عصير تفاح"
    await mirror([{**juice, "name": "Apple Juice 1 L", "custom_fields": []}])
    assert await consumer_search(shop, "تفاح") == []
    assert (await consumer_search(shop, "apple"))[0]["name_ar"] is None


async def test_search_follows_stock_category_and_status_from_the_sync(
    shop: httpx.AsyncClient, mirror: Mirror
) -> None:
    rice = item("Basmati Rice 5 kg", "رز بسمتي", category="Rice", stock=5)
    await mirror([rice])
    assert names(await consumer_search(shop, "رز", category="Rice")) == ["Basmati Rice 5 kg"]

    await mirror([{**rice, "stock_on_hand": 0, "available_stock": 0, "actual_available_stock": 0}])
    assert await consumer_search(shop, "رز") == []
    await mirror([{**rice, "category_name": "Grains", "category_id": "cat-Grains"}])
    assert await consumer_search(shop, "رز", category="Rice") == []
    assert names(await consumer_search(shop, "رز", category="Grains")) == ["Basmati Rice 5 kg"]
    await mirror([{**rice, "category_name": "Grains", "category_id": "cat-Grains", "status": "inactive"}])
    assert await consumer_search(shop, "basmati") == []


async def test_an_order_that_takes_the_last_units_takes_the_product_out_of_search(
    shop: httpx.AsyncClient, mirror: Mirror
) -> None:
    dates = item("Nineveh Dates 1 kg", "تمر نينوى", stock=2)
    await mirror([dates])
    assert names(await consumer_search(shop, "تمر")) == ["Nineveh Dates 1 kg"]
    response = await shop.post("/api/consumer/orders", json=order_body((dates["item_id"], 2)))
    assert response.status_code == 201, response.text
    assert await consumer_search(shop, "تمر") == []
    assert await consumer_search(shop, "nineveh") == []
