"""The home screen's last sync time follows the sync runs, even a run that changed nothing."""

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import httpx
import pytest
from asgi_lifespan import LifespanManager

from storefront.app import create_app
from storefront.config import Settings
from tests.support.catalog import zoho_item
from tests.support.emulator import EmulatorHandle, emulator, emulator_server

__all__ = ["emulator", "emulator_server"]
HOME = "/api/bff/mobile/home"


@pytest.fixture
async def shop(
    emulator: EmulatorHandle, make_settings: Callable[..., Settings]
) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(make_settings(**emulator.settings_overrides()))
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://storefront.test", timeout=60
        ) as http:
            yield http


async def full_sync(shop: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await shop.post(
        "/api/consumer/sync/inventory?wait=true", json={"mode": "full"}, headers=headers
    )
    assert response.status_code == 200, response.text
    run = response.json()["data"]
    assert run["status"] == "completed"
    finished: str = run["finished_at"]
    return finished


def same_moment(a: str, b: str) -> bool:
    def instant(value: str) -> datetime:
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)

    return instant(a) == instant(b)


async def test_every_finished_sync_refreshes_the_cached_home_screen(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    items = [zoho_item(f"Home Sync Item {n}", rate=1000) for n in range(3)]
    emulator.state.items.load(items)
    await emulator.control.set_pricebook("consumer_iqd", {item["item_id"]: item["rate"] for item in items})

    assert (await shop.get(HOME)).json()["data"]["last_sync_at"] is None
    first = await full_sync(shop, admin_headers)
    home = await shop.get(HOME)
    assert home.headers["x-cache"] == "miss"
    assert same_moment(home.json()["data"]["last_sync_at"], first)
    assert len(home.json()["data"]["new_arrivals"]) == 3
    assert (await shop.get(HOME)).headers["x-cache"] == "hit"

    second = await full_sync(shop, admin_headers)  # the same ERP: nothing changes in the catalog
    assert second != first
    home = await shop.get(HOME)
    assert home.headers["x-cache"] == "miss"
    assert same_moment(home.json()["data"]["last_sync_at"], second)
