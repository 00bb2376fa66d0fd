"""Catalog reads on a real streaming replica (pg_basebackup of a primary of the test's own), and
the shopper never seeing stock older than their own order or the last sync, however far the
replica lags: replay is paused on the replica to make the lag as long as a test needs."""

import asyncio
from typing import Any

import httpx
import pytest

from storefront.db.replica import RETRY_AFTER_SECONDS
from tests.orders.helpers import ORDERS, order_body
from tests.support.catalog import zoho_item
from tests.support.databases import backend
from tests.support.emulator import EmulatorHandle
from tests.support.metrics import scrape, value
from tests.support.replica import ReplicatedDatabase
from tests.sync.conftest import PRICE_BOOK, rates_for, run_sync

pytestmark = pytest.mark.skipif(backend() != "postgres", reason="read replicas are PostgreSQL's")

READS = "storefront_replica_reads_total"


async def mirrored(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, admin_headers: dict[str, str], db: ReplicatedDatabase
) -> dict[str, dict[str, Any]]:
    """Two items in the ERP, synced, and the replica caught up with them."""
    items = {
        "tea": zoho_item("Black Tea 500 g", stock=10, rate=3500),
        "rice": zoho_item("Basmati Rice 5 kg", category="Rice & Grains", stock=8, rate=15000),
    }
    emulator.state.items.load(list(items.values()))
    await emulator.control.set_pricebook(PRICE_BOOK, rates_for(list(items.values())))
    run = await run_sync(shop, admin_headers, mode="full")
    assert run["status"] == "completed", run
    await db.caught_up()
    return items


async def product(shop: httpx.AsyncClient, item: dict[str, Any], face: str = "consumer") -> dict[str, Any]:
    path = f"/api/consumer/products/{item['item_id']}"
    if face == "bff":
        path = f"/api/bff/mobile/products/{item['item_id']}"
    response = await shop.get(path)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data["product"] if face == "bff" else data


async def listed(shop: httpx.AsyncClient, **params: Any) -> dict[str, dict[str, Any]]:
    response = await shop.get("/api/consumer/products", params={"limit": 50, **params})
    assert response.status_code == 200, response.text
    return {p["erp_item_id"]: p for p in response.json()["data"]}


def listed_names(products: dict[str, dict[str, Any]]) -> list[str]:
    return sorted(p["name"] for p in products.values())


async def reads(shop: httpx.AsyncClient) -> dict[str, float]:
    samples = await scrape(shop)
    outcomes = ("replica", "behind", "replica_unavailable", "mark_unavailable")
    return {outcome: value(samples, READS, outcome=outcome) for outcome in outcomes}


def grew(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {
        outcome: after[outcome] - before[outcome] for outcome in before if after[outcome] != before[outcome]
    }


async def order(shop: httpx.AsyncClient, item: dict[str, Any], quantity: int) -> None:
    response = await shop.post(ORDERS, json=order_body((item["item_id"], quantity)))
    assert response.status_code == 201, response.text


async def test_catalog_reads_are_served_by_the_replica_until_a_write_is_announced(
    emulator: EmulatorHandle,
    shop: httpx.AsyncClient,
    admin_headers: dict[str, str],
    replicated_database: ReplicatedDatabase,
) -> None:
    items = await mirrored(emulator, shop, admin_headers, replicated_database)
    before = await reads(shop)
    assert (await product(shop, items["tea"]))["name"] == "Black Tea 500 g"
    assert grew(before, await reads(shop)) == {"replica": 1}

    # A change the shop never announced (made on the primary behind its back) is not seen while
    # the replica does not replay it: the reads are the replica's.
    await replicated_database.pause_replay()
    await replicated_database.on_primary(
        "UPDATE products SET name = 'Black Tea, renamed' WHERE erp_item_id = $1", items["tea"]["item_id"]
    )
    before = await reads(shop)
    assert listed_names(await listed(shop)) == ["Basmati Rice 5 kg", "Black Tea 500 g"]
    assert grew(before, await reads(shop)) == {"replica": 1}

    # An order announces its write: the replica is behind it, so reads go to the primary (and see
    # the change made behind the shop's back too).
    await order(shop, items["tea"], 1)
    before = await reads(shop)
    tea = await product(shop, items["tea"])
    assert (tea["name"], tea["stock"]) == ("Black Tea, renamed", 9)
    assert grew(before, await reads(shop)) == {"behind": 1}

    # Once the replica has replayed that far, reads are its own again.
    await replicated_database.resume_replay()
    await replicated_database.caught_up()
    before = await reads(shop)
    assert listed_names(await listed(shop, limit=20)) == ["Basmati Rice 5 kg", "Black Tea, renamed"]
    assert grew(before, await reads(shop)) == {"replica": 1}


async def test_a_shopper_sees_their_own_order_in_the_stock_while_the_replica_lags(
    emulator: EmulatorHandle,
    shop: httpx.AsyncClient,
    admin_headers: dict[str, str],
    replicated_database: ReplicatedDatabase,
) -> None:
    items = await mirrored(emulator, shop, admin_headers, replicated_database)
    assert (await product(shop, items["tea"]))["stock"] == 10
    assert (await product(shop, items["tea"], "bff"))["stock"] == 10
    await replicated_database.pause_replay()

    await order(shop, items["tea"], 3)

    assert (await product(shop, items["tea"]))["stock"] == 7
    assert (await product(shop, items["tea"], "bff"))["stock"] == 7
    assert (await listed(shop))[items["tea"]["item_id"]]["stock"] == 7
    assert (
        await replicated_database.on_replica(
            "SELECT erp_actual_available_stock - reserved_stock FROM products WHERE erp_item_id = $1",
            items["tea"]["item_id"],
        )
        == 10
    ), "the replica still lags: the answers above came from the primary"

    # The stock check is the primary's too: the last seven units sell once.
    await order(shop, items["tea"], 7)
    response = await shop.post(ORDERS, json=order_body((items["tea"]["item_id"], 1)))
    assert response.status_code == 409, response.text


async def test_a_sync_shows_the_erps_new_stock_at_once_while_the_replica_lags(
    emulator: EmulatorHandle,
    shop: httpx.AsyncClient,
    admin_headers: dict[str, str],
    replicated_database: ReplicatedDatabase,
) -> None:
    items = await mirrored(emulator, shop, admin_headers, replicated_database)
    assert (await product(shop, items["rice"]))["stock"] == 8
    search = await shop.get("/api/bff/mobile/search", params={"q": "rice"})
    assert [p["stock"] for p in search.json()["data"]] == [8]
    await replicated_database.pause_replay()

    await emulator.control.set_stock(
        items["rice"]["item_id"], stock_on_hand=4, available_stock=4, actual_available_stock=4
    )
    run = await run_sync(shop, admin_headers, mode="full")
    assert run["counts"]["updated"] == 1, run

    assert (await product(shop, items["rice"]))["stock"] == 4
    search = await shop.get("/api/bff/mobile/search", params={"q": "rice"})
    assert [p["stock"] for p in search.json()["data"]] == [4]
    assert (
        await replicated_database.on_replica(
            "SELECT erp_actual_available_stock FROM products WHERE erp_item_id = $1", items["rice"]["item_id"]
        )
        == 8
    ), "the replica still lags: the answers above came from the primary"


async def test_catalog_reads_answer_from_the_primary_while_the_replica_is_down(
    emulator: EmulatorHandle,
    shop: httpx.AsyncClient,
    admin_headers: dict[str, str],
    replicated_database: ReplicatedDatabase,
) -> None:
    items = await mirrored(emulator, shop, admin_headers, replicated_database)
    assert (await product(shop, items["tea"]))["stock"] == 10

    ready = (await shop.get("/health/ready")).json()["data"]
    assert ready["checks"]["replica"] == "ok"
    assert ready["details"]["replica"]["lag_bytes"] >= 0

    await replicated_database.pair.stop_replica()
    down = await shop.get("/health/ready")
    assert down.status_code == 200
    assert down.json()["data"]["status"] == "degraded"
    assert down.json()["data"]["checks"]["replica"] == "degraded"
    before = await reads(shop)
    assert listed_names(await listed(shop)) == ["Basmati Rice 5 kg", "Black Tea 500 g"]
    await order(shop, items["tea"], 2)
    assert (await product(shop, items["tea"]))["stock"] == 8
    categories = await shop.get("/api/consumer/categories")
    assert categories.status_code == 200, categories.text
    assert grew(before, await reads(shop)) == {"replica_unavailable": 3}

    # Back up, the replica serves again once the pause after its failure is over.
    await replicated_database.pair.start_replica()
    await replicated_database.caught_up()
    await asyncio.sleep(RETRY_AFTER_SECONDS)
    before = await reads(shop)
    assert (await listed(shop, limit=20))[items["tea"]["item_id"]]["stock"] == 8
    assert grew(before, await reads(shop)) == {"replica": 1}
