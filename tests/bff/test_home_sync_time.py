"""The home screen's last sync time follows the sync runs, even a run that changed nothing."""

from datetime import UTC, datetime

import httpx
import pytest

from storefront.config import Settings
from tests.support.catalog import zoho_item
from tests.support.emulator import EmulatorHandle, emulator, emulator_server

__all__ = ["emulator", "emulator_server"]
HOME = "/api/bff/mobile/home"


@pytest.fixture
def settings(erp_settings: Settings) -> Settings:
    """The app under test (the `app` and `client` fixtures) talks to the emulator."""
    return erp_settings


async def full_sync(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await client.post(
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
    emulator: EmulatorHandle, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    items = [zoho_item(f"Home Sync Item {n}", rate=1000) for n in range(3)]
    emulator.state.items.load(items)
    await emulator.control.set_pricebook("consumer_iqd", {item["item_id"]: item["rate"] for item in items})

    assert (await client.get(HOME)).json()["data"]["last_sync_at"] is None
    first = await full_sync(client, admin_headers)
    home = await client.get(HOME)
    assert home.headers["x-cache"] == "miss"
    assert same_moment(home.json()["data"]["last_sync_at"], first)
    assert len(home.json()["data"]["new_arrivals"]) == 3
    assert (await client.get(HOME)).headers["x-cache"] == "hit"

    second = await full_sync(client, admin_headers)  # the same ERP: nothing changes in the catalog
    assert second != first
    home = await client.get(HOME)
    assert home.headers["x-cache"] == "miss"
    assert same_moment(home.json()["data"]["last_sync_at"], second)
