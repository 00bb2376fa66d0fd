"""Full, incremental and item syncs from the emulator (real Zoho client, real HTTP) to the Consumer API."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from storefront.app import create_app
from storefront.config import Settings
from storefront.erp.items import format_zoho_time
from tests.support.catalog import zoho_item
from tests.support.emulator import EmulatorHandle
from tests.sync.conftest import PRICE_BOOK, events, listed_products, rates_for, run_sync

pytestmark = pytest.mark.asyncio

OLD_TIME = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)


def catalog_items(count: int, *, stock: int = 10) -> list[dict[str, Any]]:
    """Items last modified a minute apart, weeks ago."""
    return [
        zoho_item(
            f"Item {n:04d}",
            category=("Beverages", "Bakery", "Dairy & Eggs")[n % 3],
            stock=stock + n,
            rate=1000 + n * 250,
            last_modified_time=format_zoho_time(OLD_TIME + timedelta(minutes=n)),
        )
        for n in range(count)
    ]


async def load(
    emulator: EmulatorHandle, items: list[dict[str, Any]], *, unpriced: set[str] = frozenset()
) -> None:  # type: ignore[assignment]
    """Put items in the ERP with their own (old) modification times, and price them."""
    emulator.state.items.load(items)
    await emulator.control.set_pricebook(PRICE_BOOK, rates_for(items, skip=unpriced))


async def test_full_sync_follows_every_page_and_lists_priced_items(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    items = catalog_items(450)
    unpriced = items[7]["item_id"]
    await load(emulator, items, unpriced={unpriced})

    run = await run_sync(shop, admin_headers, mode="full")

    assert run["status"] == "completed"
    assert run["mode"] == "full"
    assert run["counts"] == {
        "fetched": 450,
        "created": 450,
        "updated": 0,
        "unchanged": 0,
        "deactivated": 0,
        "failed": 0,
    }
    assert await emulator.control.calls("GET /items", 200) == 3  # 200 + 200 + 50, following has_more_page
    listed = await listed_products(shop)
    assert len(listed) == 449
    assert unpriced not in listed
    sample = listed[items[10]["item_id"]]
    assert sample["name"] == "Item 0010"
    assert sample["category"] == "Bakery"
    assert sample["stock"] == 20
    assert Decimal(str(sample["price"])) == Decimal(1000 + 10 * 250)
    assert sample["currency"] == "IQD"


async def test_a_second_full_sync_of_the_same_erp_changes_nothing(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    await load(emulator, catalog_items(30))
    await run_sync(shop, admin_headers, mode="full")

    again = await run_sync(shop, admin_headers, mode="full")

    assert again["counts"]["fetched"] == 30
    assert again["counts"]["unchanged"] == 30
    assert again["counts"]["created"] == again["counts"]["updated"] == again["counts"]["deactivated"] == 0


async def test_first_incremental_sync_without_a_mark_is_a_full_one(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    await load(emulator, catalog_items(5))

    run = await run_sync(shop, admin_headers, mode="incremental")

    assert run["mode"] == "full"
    assert run["counts"]["created"] == 5
    assert run["high_water_mark"] is not None


async def test_incremental_sync_fetches_only_items_changed_since_the_mark(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    items = catalog_items(250)
    await load(emulator, items)
    await run_sync(shop, admin_headers, mode="full")
    changed = {**items[3], "actual_available_stock": 2, "available_stock": 2, "stock_on_hand": 2}
    await emulator.control.put_items([changed], webhooks=False)

    run = await run_sync(shop, admin_headers)

    assert run["mode"] == "incremental"
    # The run re-reads from a minute before the mark (STOREFRONT_SYNC_OVERLAP_SECONDS): the two
    # items modified in that minute come again, unchanged.
    assert run["counts"]["fetched"] == 3
    assert run["counts"]["updated"] == 1
    assert run["counts"]["unchanged"] == 2
    assert await emulator.control.calls("GET /items", 200) == 2 + 1
    product = (await shop.get(f"/api/consumer/products/{items[3]['item_id']}")).json()["data"]
    assert product["stock"] == 2
    assert product["in_stock"] is True


async def test_full_sync_deactivates_items_deleted_or_inactive_in_the_erp(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    items = catalog_items(10)
    await load(emulator, items)
    await run_sync(shop, admin_headers, mode="full")
    deleted, retired = items[1]["item_id"], items[2]["item_id"]
    await emulator.control.delete_item(deleted)
    await emulator.control.put_items([{"item_id": retired, "status": "inactive"}], webhooks=False)

    run = await run_sync(shop, admin_headers, mode="full")

    assert run["counts"]["deactivated"] == 2
    listed = await listed_products(shop)
    assert set(listed) == {item["item_id"] for item in items} - {deleted, retired}
    for gone in (deleted, retired):
        response = await shop.get(f"/api/consumer/products/{gone}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "product_not_found"


async def test_item_sync_deactivates_an_item_the_erp_no_longer_has(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    items = catalog_items(3)
    await load(emulator, items)
    await run_sync(shop, admin_headers, mode="full")
    await emulator.control.delete_item(items[0]["item_id"])

    run = await run_sync(shop, admin_headers, item_ids=[items[0]["item_id"]])

    assert run["mode"] == "items"
    assert run["item_ids"] == [items[0]["item_id"]]
    assert run["counts"]["deactivated"] == 1
    assert set(await listed_products(shop)) == {items[1]["item_id"], items[2]["item_id"]}


async def test_price_book_changes_reach_the_shop_and_a_rate_removed_delists_the_item(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    items = catalog_items(3)
    await load(emulator, items)
    await run_sync(shop, admin_headers, mode="full")
    first, second = items[0]["item_id"], items[1]["item_id"]
    await emulator.control.set_pricebook(PRICE_BOOK, {first: 7777, items[2]["item_id"]: items[2]["rate"]})

    await run_sync(shop, admin_headers)

    listed = await listed_products(shop)
    assert Decimal(str(listed[first]["price"])) == Decimal(7777)
    assert second not in listed


async def test_missing_price_book_fails_the_run_and_keeps_prices(
    emulator: EmulatorHandle, sync_settings: Settings, admin_headers: dict[str, str]
) -> None:
    await load(emulator, catalog_items(3))
    application = create_app(sync_settings.model_copy(update={"price_list": "no_such_book"}))
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://storefront.test") as shop:
            run = await run_sync(shop, admin_headers, mode="full")
    assert run["status"] == "failed"
    assert "no_such_book" in run["error"]


async def test_a_sync_failing_halfway_is_marked_failed_keeps_what_it_read_and_the_next_one_resumes(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    items = catalog_items(500)
    await load(emulator, items)
    await run_sync(shop, admin_headers, mode="full")
    before = await listed_products(shop)
    await emulator.control.put_items(
        [{**item, "actual_available_stock": 1, "available_stock": 1} for item in items], webhooks=False
    )
    await emulator.control.faults(latency_ms=150)
    pages_before = await emulator.control.calls("GET /items", 200)

    started = await shop.post("/api/consumer/sync/inventory", json={"mode": "full"}, headers=admin_headers)
    assert started.status_code == 202
    run_id = started.json()["data"]["id"]
    for _ in range(200):
        if await emulator.control.calls("GET /items", 200) > pages_before:
            break
        await asyncio.sleep(0.02)
    await emulator.control.faults(down=True)
    run = await wait_for_run(shop, admin_headers, run_id)
    await emulator.control.faults(down=False, latency_ms=0)

    assert run["status"] == "failed"
    assert run["error"].startswith("ERP error")
    assert run["finished_at"] is not None
    failed = await events(shop, admin_headers, name="tds.sync.failed")
    assert [event["correlation_id"] for event in failed] == [run_id]
    # What was read before the failure is written (it is the ERP's truth); nothing else changed.
    after = await listed_products(shop)
    assert set(after) == set(before)
    assert run["counts"]["deactivated"] == 0
    assert {product["stock"] for product in after.values()} <= {1, *(p["stock"] for p in before.values())}
    status = (await shop.get("/api/consumer/sync/status")).json()["data"]
    assert status["last_run"]["status"] == "failed"
    assert status["running"] is False

    resumed = await run_sync(shop, admin_headers, mode="full")
    assert resumed["status"] == "completed"
    assert resumed["counts"]["fetched"] < 500
    assert {product["stock"] for product in (await listed_products(shop)).values()} == {1}


async def wait_for_run(
    shop: httpx.AsyncClient, headers: dict[str, str], run_id: str, within: float = 60.0
) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        run: dict[str, Any] = (await shop.get(f"/api/tds/runs/{run_id}", headers=headers)).json()["data"]
        if run["status"] != "running":
            return run
        assert asyncio.get_running_loop().time() < deadline, "the run did not finish"
        await asyncio.sleep(0.05)


async def test_concurrent_sync_requests_run_exactly_one(
    emulator: EmulatorHandle, sync_settings: Settings, shop: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    """Two app instances (separate engines and connections, like two processes) race for the lock."""
    await load(emulator, catalog_items(20))
    await emulator.control.faults(latency_ms=200)
    other_app = create_app(sync_settings)
    async with LifespanManager(other_app):
        transport = httpx.ASGITransport(app=other_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://storefront.test") as other:
            url = "/api/consumer/sync/inventory?wait=true"
            answers = await asyncio.gather(
                shop.post(url, json={"mode": "full"}, headers=admin_headers),
                other.post(url, json={"mode": "full"}, headers=admin_headers),
            )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200, 409]
    winner = next(a for a in answers if a.status_code == 200).json()["data"]
    loser = next(a for a in answers if a.status_code == 409).json()
    assert loser["status"] == "error"
    assert loser["error"]["code"] == "sync_in_progress"
    assert winner["id"] in loser["error"]["message"]
    assert loser["error"]["details"]["run"]["id"] == winner["id"]
    runs = (await shop.get("/api/tds/runs", headers=admin_headers)).json()
    assert [run["id"] for run in runs["data"]] == [winner["id"]]
    assert winner["status"] == "completed"


async def test_a_second_trigger_while_one_runs_gets_409_naming_it(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    await load(emulator, catalog_items(5))
    await emulator.control.faults(latency_ms=300)
    first = await shop.post("/api/consumer/sync/inventory", json={"mode": "full"}, headers=admin_headers)
    assert first.status_code == 202
    assert first.json()["data"]["status"] == "running"

    second = await shop.post("/api/consumer/sync/inventory", headers=admin_headers)

    assert second.status_code == 409
    assert second.json()["error"]["details"]["run"]["id"] == first.json()["data"]["id"]
    status = (await shop.get("/api/consumer/sync/status")).json()["data"]
    assert status["running"] is True
    assert status["running_run_id"] == first.json()["data"]["id"]
    finished = await wait_for_run(shop, admin_headers, first.json()["data"]["id"])
    assert finished["status"] == "completed"


async def test_sync_records_started_and_completed_events_with_the_run_id(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    await load(emulator, catalog_items(4))

    run = await run_sync(shop, admin_headers, mode="full")

    recorded = await events(shop, admin_headers, correlation_id=run["id"])
    assert [event["name"] for event in recorded] == ["tds.sync.started", "tds.sync.completed"]
    assert recorded[1]["payload"]["counts"]["created"] == 4
    after_first = await events(shop, admin_headers, after=recorded[0]["id"])
    assert [event["name"] for event in after_first] == ["tds.sync.completed"]


async def test_sync_status_reports_counts_and_the_last_run(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    items = catalog_items(4)
    items[0]["actual_available_stock"] = 0
    await load(emulator, items)
    empty = (await shop.get("/api/consumer/sync/status")).json()["data"]
    assert empty["last_run"] is None
    assert empty["last_successful_sync_at"] is None

    run = await run_sync(shop, admin_headers, mode="full")

    status = (await shop.get("/api/consumer/sync/status")).json()["data"]
    assert status["products"] == {"total": 4, "in_stock": 3, "out_of_stock": 1}
    assert status["last_run"]["id"] == run["id"]
    assert status["last_successful_sync_at"] == run["finished_at"]
    assert status["running"] is False


@pytest.mark.parametrize(
    "body",
    [
        {"mode": "sometimes"},
        {"item_ids": []},
        {"item_ids": [""]},
        {"mode": "full", "item_ids": ["1"]},
        {"unknown": 1},
        [1, 2],
    ],
)
async def test_a_bad_sync_request_is_refused_and_starts_nothing(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, admin_headers: dict[str, str], body: Any
) -> None:
    response = await shop.post("/api/consumer/sync/inventory", json=body, headers=admin_headers)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    runs = (await shop.get("/api/tds/runs", headers=admin_headers)).json()
    assert runs["data"] == []


async def test_unknown_run_is_404(shop: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    response = await shop.get("/api/tds/runs/6f1d2a3e-0000-4000-8000-000000000000", headers=admin_headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "sync_run_not_found"


async def test_scheduler_runs_incremental_syncs_on_its_interval(
    emulator: EmulatorHandle, sync_settings: Settings, admin_headers: dict[str, str]
) -> None:
    items = catalog_items(3)
    await load(emulator, items)
    settings = sync_settings.model_copy(update={"run_background_tasks": True, "sync_interval_seconds": 0.2})
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://storefront.test") as shop:
            for _ in range(100):
                if items[0]["item_id"] in await listed_products(shop):
                    break
                await asyncio.sleep(0.1)
            await emulator.control.put_items(
                [{"item_id": items[0]["item_id"], "name": "Renamed"}], webhooks=False
            )
            for _ in range(100):
                name = (await listed_products(shop))[items[0]["item_id"]]["name"]
                if name == "Renamed":
                    break
                await asyncio.sleep(0.1)
            runs = (await shop.get("/api/tds/runs", headers=admin_headers)).json()["data"]
    assert name == "Renamed"
    assert {run["trigger"] for run in runs} == {"schedule"}
    assert runs[-1]["mode"] == "full"
    assert runs[0]["mode"] == "incremental"


async def test_shutdown_interrupts_a_background_run_and_the_next_run_resumes_its_listing(
    emulator: EmulatorHandle, sync_settings: Settings, shop: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    await load(emulator, catalog_items(5))
    await emulator.control.faults(latency_ms=2000)
    application = create_app(sync_settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://storefront.test") as other:
            started = await other.post(
                "/api/consumer/sync/inventory", json={"mode": "full"}, headers=admin_headers
            )
            assert started.status_code == 202
    await emulator.control.faults(latency_ms=0)

    run = (await shop.get(f"/api/tds/runs/{started.json()['data']['id']}", headers=admin_headers)).json()[
        "data"
    ]
    assert run["status"] == "interrupted"
    assert run["error"].startswith("cancelled")
    again = await run_sync(shop, admin_headers, mode="incremental")
    assert again["status"] == "completed"
    assert again["mode"] == "full"
    started_events = await events(shop, admin_headers, name="tds.sync.started", correlation_id=again["id"])
    assert started_events[0]["payload"]["resumed_listing"] is not None
    assert len(await listed_products(shop)) == 5


async def test_a_sync_rides_out_a_429_a_500_and_an_expired_token(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    items = catalog_items(250)
    await load(emulator, items)
    await run_sync(shop, admin_headers, mode="full")
    await emulator.control.put_items(
        [{**item, "actual_available_stock": 4, "available_stock": 4} for item in items], webhooks=False
    )
    await emulator.control.faults(rate_limit_next=1, fail_next=1, expire_tokens=True)

    run = await run_sync(shop, admin_headers, mode="full")

    assert run["status"] == "completed"
    assert run["counts"]["updated"] == 250
    stats = await emulator.control.stats()
    statuses = {status for calls in stats["calls"].values() for status in calls}
    assert {"401", "429", "500"} <= statuses
    assert {product["stock"] for product in (await listed_products(shop)).values()} == {4}
