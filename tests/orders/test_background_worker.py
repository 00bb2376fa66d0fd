"""The push worker inside an API process: woken by each accepted order, not waiting for its poll."""

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from storefront.app import create_app
from storefront.config import Settings
from tests.orders.helpers import ORDERS, order_body
from tests.support.catalog import seed, zoho_item
from tests.support.emulator import EmulatorHandle

pytestmark = pytest.mark.asyncio


async def test_an_accepted_order_wakes_the_in_process_worker(
    emulator: EmulatorHandle, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        **emulator.settings_overrides(),
        run_background_tasks=True,
        sync_interval_seconds=0,
        order_push_poll_interval_seconds=600,
    )
    tea = zoho_item("Black Tea 500 g", stock=10, rate=3500)
    await emulator.control.put_items([tea], webhooks=False)
    await seed(settings, [tea])
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://storefront.test") as http:
            # Let the worker's first poll find nothing, so only a wake-up can find the order.
            await asyncio.sleep(0.3)
            placed = await http.post(ORDERS, json=order_body((tea["item_id"], 2)))
            assert placed.status_code == 201, placed.text
            order_id = placed.json()["data"]["id"]

            async def status() -> Any:
                return (await http.get(f"{ORDERS}/{order_id}")).json()["data"]["status"]

            async with asyncio.timeout(5):
                # The worker runs in this process but answers on its own time: poll the order.
                while await status() != "confirmed":  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
    [salesorder] = await emulator.control.salesorders()
    assert salesorder["reference_number"] == placed.json()["data"]["number"]
