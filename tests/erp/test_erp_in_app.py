"""The service's lifespan owns the ERP client; with ERP=emulator it also runs the emulator it talks to."""

from collections.abc import Callable

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from storefront.app import create_app
from storefront.config import Settings
from storefront.erp.zoho import ZohoClient
from storefront.sync.listing import Cursor, list_modified
from tests.support.catalog import zoho_item
from tests.support.emulator import EmulatorHandle


async def test_embedded_emulator_serves_the_demo_catalog(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(erp="emulator", erp_emulator_demo_items=450)
    app = create_app(settings)
    async with LifespanManager(app):
        client = app.state.erp
        assert isinstance(client, ZohoClient)
        pages = [page.items async for page in list_modified(client, Cursor())]
        book = await client.get_pricebook(settings.price_list)
        emulator_url = app.state.erp_runtime.emulator.url
    assert sum(len(page) for page in pages) == 450
    assert book is not None
    assert book.currency == "IQD"
    assert 400 < len(book.rates) < 450
    async with httpx.AsyncClient() as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(emulator_url + "/_emulator/stats")


async def test_zoho_mode_talks_to_the_configured_urls(
    emulator: EmulatorHandle, erp_settings: Settings
) -> None:
    item = zoho_item("Configured")
    await emulator.control.put_items([item])
    app: FastAPI = create_app(erp_settings)
    async with LifespanManager(app):
        assert app.state.erp_runtime.emulator is None
        fetched = await app.state.erp.get_item(item["item_id"])
    assert fetched is not None
    assert fetched["name"] == "Configured"
    assert await emulator.control.calls("GET /items/{id}", 200) == 1
