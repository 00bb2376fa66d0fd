"""Listings that cannot skip: items edited between two page reads of a sync (real HTTP, emulator latency).

Zoho pages by offset over items sorted by modification time, so an item edited while a sync reads
the pages moves to the end and shifts the rest by one. These tests edit an item as soon as the
first page has answered, the way a merchant's edit would land during a slow sync.
"""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from storefront.erp.items import format_zoho_time
from tests.support.emulator import EmulatorHandle
from tests.sync.conftest import listed_products, run_sync
from tests.sync.test_sync import catalog_items, load

LATENCY_MS = 300


async def start_sync(shop: httpx.AsyncClient, headers: dict[str, str], mode: str) -> str:
    response = await shop.post("/api/consumer/sync/inventory", json={"mode": mode}, headers=headers)
    assert response.status_code == 202, response.text
    run_id: str = response.json()["data"]["id"]
    return run_id


async def finished_run(shop: httpx.AsyncClient, headers: dict[str, str], run_id: str) -> dict[str, Any]:
    async with asyncio.timeout(60):
        while True:
            response = await shop.get(f"/api/tds/runs/{run_id}", headers=headers)
            run: dict[str, Any] = response.json()["data"]
            if run["status"] != "running":
                return run
            await asyncio.sleep(0.05)


async def after_pages(emulator: EmulatorHandle, answered: int) -> None:
    """Return as soon as the emulator has answered this many more item-list pages."""
    start = await emulator.control.calls("GET /items", 200)
    async with asyncio.timeout(30):
        while await emulator.control.calls("GET /items", 200) < start + answered:  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_a_full_sync_skips_no_item_edited_between_pages_and_deactivates_none(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    items = catalog_items(450)
    await load(emulator, items)
    assert (await run_sync(shop, admin_headers, mode="full"))["counts"]["created"] == 450
    await emulator.control.faults(latency_ms=LATENCY_MS)

    run_id = await start_sync(shop, admin_headers, "full")
    await after_pages(emulator, 1)
    # An item of the first page is edited: it moves to the end of the list.
    edited = {**items[3], "actual_available_stock": 77, "available_stock": 77, "stock_on_hand": 77}
    await emulator.control.put_items([edited], webhooks=False)
    run = await finished_run(shop, admin_headers, run_id)
    await emulator.control.faults(latency_ms=0)

    assert run["status"] == "completed", run["error"]
    assert run["counts"]["deactivated"] == 0
    listed = await listed_products(shop)
    assert set(listed) == {item["item_id"] for item in items}
    assert listed[edited["item_id"]]["stock"] == 77


async def test_an_incremental_sync_of_more_than_a_page_loses_no_update_edited_between_pages(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    items = catalog_items(450)
    await load(emulator, items)
    await run_sync(shop, admin_headers, mode="full")
    # Every item changes in the ERP, all in the same second: more than two pages of changes.
    changed = [
        {**item, "actual_available_stock": 500 + n, "available_stock": 500 + n}
        for n, item in enumerate(items)
    ]
    await emulator.control.put_items(changed, webhooks=False)
    await emulator.control.faults(latency_ms=LATENCY_MS)

    run_id = await start_sync(shop, admin_headers, "incremental")
    await after_pages(emulator, 2)
    # An item already read is edited again while the run turns the pages of that second.
    again = {**changed[10], "actual_available_stock": 9, "available_stock": 9}
    await emulator.control.put_items([again], webhooks=False)
    run = await finished_run(shop, admin_headers, run_id)
    await emulator.control.faults(latency_ms=0)

    assert run["status"] == "completed", run["error"]
    assert run["mode"] == "incremental"
    listed = await listed_products(shop)
    expected = {item["item_id"]: item["actual_available_stock"] for item in changed}
    expected[again["item_id"]] = 9
    assert {item_id: product["stock"] for item_id, product in listed.items()} == expected


async def test_an_incremental_sync_of_items_saved_together_loses_no_update_edited_between_pages(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    """Items saved a hundred a second (an import): the listing turns pages across seconds, and an
    item edited meanwhile makes it read the shifted stretch again."""
    items = catalog_items(450)
    await load(emulator, items)
    await run_sync(shop, admin_headers, mode="full")
    base = datetime.now(UTC) - timedelta(minutes=5)
    changed = [
        {
            **item,
            "actual_available_stock": 700 + n,
            "last_modified_time": format_zoho_time(base + timedelta(seconds=n // 100)),
        }
        for n, item in enumerate(items)
    ]
    emulator.state.items.load(changed)
    await emulator.control.faults(latency_ms=LATENCY_MS)

    run_id = await start_sync(shop, admin_headers, "incremental")
    await after_pages(emulator, 1)
    again = {**changed[5], "actual_available_stock": 4, "available_stock": 4}
    await emulator.control.put_items([again], webhooks=False)
    run = await finished_run(shop, admin_headers, run_id)
    await emulator.control.faults(latency_ms=0)

    assert run["status"] == "completed", run["error"]
    listed = await listed_products(shop)
    expected = {item["item_id"]: item["actual_available_stock"] for item in changed}
    expected[again["item_id"]] = 4
    assert {item_id: product["stock"] for item_id, product in listed.items()} == expected
