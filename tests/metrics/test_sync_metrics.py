"""Sync runs, synced items and ERP calls show up in /metrics (real sync against the emulator over HTTP)."""

from typing import Any

import httpx
import pytest

from storefront.config import Settings
from tests.support.catalog import zoho_item
from tests.support.emulator import EmulatorHandle, emulator, emulator_server
from tests.support.metrics import Samples, scrape, value

__all__ = ["emulator", "emulator_server"]


@pytest.fixture
def settings(erp_settings: Settings) -> Settings:
    """The app under test (the `app` and `client` fixtures) talks to the emulator."""
    return erp_settings


async def sync(client: httpx.AsyncClient, headers: dict[str, str], mode: str) -> dict[str, Any]:
    response = await client.post(
        "/api/consumer/sync/inventory?wait=true", json={"mode": mode}, headers=headers
    )
    assert response.status_code == 200, response.text
    run: dict[str, Any] = response.json()["data"]
    return run


def moved(after: Samples, before: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def test_sync_runs_items_and_erp_calls_are_counted(
    emulator: EmulatorHandle, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    items = [zoho_item(f"Metric Item {n}", rate=1000 + n) for n in range(5)]
    emulator.state.items.load(items)
    await emulator.control.set_pricebook("consumer_iqd", {item["item_id"]: item["rate"] for item in items})
    before = await scrape(client)

    run = await sync(client, admin_headers, "full")
    assert run["status"] == "completed"
    after = await scrape(client)
    assert moved(after, before, "storefront_sync_runs_total", mode="full", status="completed") == 1
    assert moved(after, before, "storefront_sync_duration_seconds_count", mode="full") == 1
    assert moved(after, before, "storefront_sync_items_total", outcome="created") == 5
    erp_ok = sum(
        sample_value
        for (name, labels), sample_value in after.items()
        if name == "storefront_erp_calls_total" and ("outcome", "ok") in labels
    ) - sum(
        sample_value
        for (name, labels), sample_value in before.items()
        if name == "storefront_erp_calls_total" and ("outcome", "ok") in labels
    )
    assert erp_ok >= 2  # the items page and the price book

    await emulator.control.faults(down=True)
    failed = await sync(client, admin_headers, "full")
    assert failed["status"] == "failed"
    later = await scrape(client)
    assert moved(later, after, "storefront_sync_runs_total", mode="full", status="failed") == 1
    assert moved(later, after, "storefront_sync_runs_total", mode="full", status="completed") == 0
