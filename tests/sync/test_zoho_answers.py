"""How a sync reads Zoho's answers: a 404 that is not 1002, price books it cannot sell from."""

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from asgi_lifespan import LifespanManager

from storefront.app import create_app
from storefront.config import Settings
from tests.support.emulator import EmulatorHandle
from tests.sync.conftest import PRICE_BOOK, listed_products, rates_for, run_sync
from tests.sync.test_sync import catalog_items, load


@pytest.fixture
async def misdirected_shop(
    emulator: EmulatorHandle, make_settings: Callable[..., Settings]
) -> AsyncIterator[httpx.AsyncClient]:
    """The service with a wrong API URL (a path where Zoho has no API)."""
    settings = make_settings(
        **{**emulator.settings_overrides(), "zoho_api_url": emulator.url + "/inventory/v9"}
    )
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://storefront.test") as http:
            yield http


async def test_a_404_without_code_1002_fails_the_run_loudly_and_deactivates_nothing(
    emulator: EmulatorHandle,
    shop: httpx.AsyncClient,
    misdirected_shop: httpx.AsyncClient,
    admin_headers: dict[str, str],
) -> None:
    items = catalog_items(3)
    await load(emulator, items)
    await run_sync(shop, admin_headers, mode="full")

    run = await run_sync(misdirected_shop, admin_headers, item_ids=[item["item_id"] for item in items])

    assert run["status"] == "failed"
    assert "404" in run["error"]
    assert "STOREFRONT_ZOHO_API_URL" in run["error"]
    assert run["counts"]["deactivated"] == 0
    assert set(await listed_products(shop)) == {item["item_id"] for item in items}


async def test_a_price_book_that_would_unprice_most_of_the_shop_is_not_applied(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    items = catalog_items(40)
    await load(emulator, items)
    await run_sync(shop, admin_headers, mode="full")
    # The book loses 30 of its 40 rates: a book emptied or replaced by mistake.
    await emulator.control.set_pricebook(PRICE_BOOK, rates_for(items[:10]))

    run = await run_sync(shop, admin_headers, mode="full")

    assert run["status"] == "failed"
    assert "would unprice 30 of 40 listed products" in run["error"]
    assert len(await listed_products(shop)) == 40


@pytest.mark.parametrize(
    ("options", "kind"),
    [
        ({"pricebook_type": "fixed_percentage", "percentage": 10, "is_increase": True}, "fixed_percentage"),
        ({"pricing_scheme": "volume"}, "volume"),
    ],
)
async def test_a_price_book_without_one_rate_per_item_fails_the_run_clearly(
    emulator: EmulatorHandle,
    shop: httpx.AsyncClient,
    admin_headers: dict[str, str],
    options: dict[str, object],
    kind: str,
) -> None:
    items = catalog_items(3)
    await load(emulator, items)
    await run_sync(shop, admin_headers, mode="full")
    rates = rates_for(items) if kind != "fixed_percentage" else {}
    if kind == "volume":
        options = {
            **options,
            "brackets": {
                item["item_id"]: [{"start_quantity": 1, "end_quantity": 10, "pricebook_rate": 900}]
                for item in items
            },
        }
    await emulator.control.set_pricebook(PRICE_BOOK, rates, **options)

    run = await run_sync(shop, admin_headers, mode="full")

    assert run["status"] == "failed"
    assert kind in run["error"]
    assert "one rate per item" in run["error"]
    assert len(await listed_products(shop)) == 3
