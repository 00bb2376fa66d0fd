"""Two public Zoho clients from PyPI, unpatched but for their base URLs, against the emulator over HTTP.

pyzohoapi (its own tests run on a real organisation) reads the X-Rate-Limit-* headers of every
answer; zohopy is httpx-based. Each does: OAuth, every item page, one item, price books, contacts
create/get/search, a sales order created and confirmed.
"""

import asyncio
from typing import Any

import pytest
from pyzohoapi import ZohoInventory
from zohopy import AsyncZohoClient, DataCenter, ZohoConfig
from zohopy.products.inventory import AsyncZohoInventory

from tests.support.catalog import zoho_item
from tests.support.emulator import EmulatorHandle


class EmulatedInventory(ZohoInventory):
    """pyzohoapi's Inventory API with its two URLs pointed at the emulator."""

    def __init__(self, base_url: str, organization_id: str, **keys: Any) -> None:
        self._base_url = base_url
        super().__init__(organization_id, "us", **keys)
        self._oauth = f"{base_url}/oauth/v2"

    def get_endpoint(self, region: str) -> str:
        return f"{self._base_url}/inventory/v1"


class EmulatedConfig(ZohoConfig):
    """zohopy's configuration with its two URLs pointed at the emulator."""

    emulator_url: str = ""

    @property
    def accounts_url(self) -> str:
        return self.emulator_url

    @property
    def base_api_url(self) -> str:
        return self.emulator_url


async def catalog(emulator: EmulatorHandle) -> list[dict[str, Any]]:
    items = [zoho_item(f"Judge item {n:03d}", rate=1000 + n) for n in range(230)]
    await emulator.control.put_items(items, webhooks=False)
    await emulator.control.set_pricebook("consumer_iqd", {item["item_id"]: item["rate"] for item in items})
    return items


def pyzohoapi_session(api: ZohoInventory, item_ids: list[str]) -> dict[str, Any]:
    """Blocking calls, as pyzohoapi makes them (run in a thread)."""
    listed = [item["item_id"] for item in api.Item().Iter(raw=True)]
    one = api.Item(item_ids[0])
    books = list(api.PriceList().Iter(raw=True))
    book = api.PriceList(books[0]["pricebook_id"])
    contact = api.Contact()
    contact.contact_name = "Layla Kareem"
    contact.contact_type = "customer"
    contact.contact_persons = [
        {"first_name": "Layla", "email": "layla@example.com", "is_primary_contact": True}
    ]
    contact.Create()
    found = api.Contact(email="layla@example.com")
    fetched = api.Contact(contact.ID)
    order = api.SalesOrder()
    order.customer_id = contact.ID
    order.salesorder_number = "PZ-0001"
    order.line_items = [{"item_id": item_ids[0], "quantity": 2, "rate": 1000}]
    order.Create(ignore_auto_number_generation="true")
    confirmed = order.Confirm()
    return {
        "listed": listed,
        "one": one.name,
        "book_items": len(book.pricebook_items),
        "found": [row["contact_id"] for row in found.Iter(raw=True)],
        "fetched": fetched.contact_name,
        "contact_id": contact.ID,
        "order_id": order.ID,
        "confirmed": confirmed,
        "rate_limit": dict(api._ratelimit),
    }


async def test_pyzohoapi_works_against_the_emulator(emulator: EmulatorHandle) -> None:
    items = await catalog(emulator)
    config = emulator.state.config
    api = EmulatedInventory(
        emulator.url,
        config.organization_id,
        client_id=config.client_id,
        client_secret=config.client_secret,
        refresh_token=config.refresh_token,
    )
    outcome = await asyncio.to_thread(pyzohoapi_session, api, [item["item_id"] for item in items])

    assert sorted(outcome["listed"]) == sorted(item["item_id"] for item in items)
    assert outcome["one"] == items[0]["name"]
    assert outcome["book_items"] == len(items)
    assert outcome["found"] == [outcome["contact_id"]]
    assert outcome["fetched"] == "Layla Kareem"
    assert outcome["confirmed"] is True
    [order] = await emulator.control.salesorders()
    assert (order["salesorder_id"], order["status"]) == (outcome["order_id"], "confirmed")
    assert int(outcome["rate_limit"]["limit"]) == config.daily_quota
    assert 0 < int(outcome["rate_limit"]["remaining"]) < config.daily_quota


async def test_zohopy_works_against_the_emulator(emulator: EmulatorHandle) -> None:
    items = await catalog(emulator)
    config = emulator.state.config
    settings = EmulatedConfig(
        client_id=config.client_id,
        client_secret=config.client_secret,
        refresh_token=config.refresh_token,
        organization_id=config.organization_id,
        data_center=DataCenter.US,
        emulator_url=emulator.url,
        max_retries=0,
    )
    async with AsyncZohoClient(settings) as client:
        inventory = AsyncZohoInventory(client)
        listed = [item["item_id"] async for page in inventory.items.list_all() for item in page["items"]]
        one = (await inventory.items.get(items[0]["item_id"]))["item"]
        books = (await inventory.price_lists.list())["pricebooks"]
        book = (await inventory.price_lists.get(books[0]["pricebook_id"]))["pricebook"]
        person = {"first_name": "Omar", "email": "omar@example.com", "is_primary_contact": True}
        created = await inventory.contacts.create(
            {"contact_name": "Omar Saleh", "contact_type": "customer", "contact_persons": [person]}
        )
        contact_id = created["contact"]["contact_id"]
        found = (await inventory.contacts.list(email="omar@example.com"))["contacts"]
        fetched = (await inventory.contacts.get(contact_id))["contact"]
        line = {"item_id": items[0]["item_id"], "quantity": 3, "rate": 1000}
        order = await inventory.sales_orders.create(
            {"customer_id": contact_id, "salesorder_number": "ZP-0001", "line_items": [line]},
            ignore_auto_number_generation="true",
        )
        confirmed = await inventory.sales_orders.confirm(order["salesorder"]["salesorder_id"])

    assert sorted(listed) == sorted(item["item_id"] for item in items)
    assert one["name"] == items[0]["name"]
    assert len(book["pricebook_items"]) == len(items)
    assert [row["contact_id"] for row in found] == [contact_id]
    assert fetched["contact_name"] == "Omar Saleh"
    assert confirmed["code"] == 0
    [salesorder] = await emulator.control.salesorders()
    assert salesorder["status"] == "confirmed"


@pytest.mark.parametrize("library", ["pyzohoapi", "zohopy"])
async def test_a_duplicate_contact_name_is_refused_to_both(emulator: EmulatorHandle, library: str) -> None:
    """Zoho's 3062 reaches each library as the refusal it maps a 400 to."""
    config = emulator.state.config
    body = {"contact_name": "Same Name", "contact_type": "customer"}
    if library == "pyzohoapi":
        from pyzohoapi.exceptions import ZohoBadRequest

        api = EmulatedInventory(
            emulator.url,
            config.organization_id,
            client_id=config.client_id,
            client_secret=config.client_secret,
            refresh_token=config.refresh_token,
        )
        await asyncio.to_thread(api.post, "contacts", body)
        with pytest.raises(ZohoBadRequest) as refused:
            await asyncio.to_thread(api.post, "contacts", body)
        assert "(Zoho-3062)" in str(refused.value)
    else:
        from zohopy import ZohoAPIError

        settings = EmulatedConfig(
            client_id=config.client_id,
            client_secret=config.client_secret,
            refresh_token=config.refresh_token,
            organization_id=config.organization_id,
            data_center=DataCenter.US,
            emulator_url=emulator.url,
            max_retries=0,
        )
        async with AsyncZohoClient(settings) as client:
            contacts = AsyncZohoInventory(client).contacts
            await contacts.create(body)
            with pytest.raises(ZohoAPIError):
                await contacts.create(body)
    assert len(await emulator.control.contacts()) == 1
