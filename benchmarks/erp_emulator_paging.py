"""How fast the Zoho client reads a large catalog from the emulator over real HTTP.

    .venv/bin/python -m benchmarks.erp_emulator_paging [--items 100000] [--rounds 5] [--changed 1000]

Loads N items into an in-process emulator (no rate limit), then, each round, reads every item
the way a sync lists them (storefront.sync.listing: pages of 200 asked from the last modification
read) and an incremental read of the last `--changed` items changed. Prints the median and best
of each.
"""

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta

from storefront.erp.emulator import EmulatorConfig, EmulatorServer
from storefront.erp.zoho import ZohoClient
from storefront.sync.listing import Cursor, list_modified


def make_items(count: int) -> list[dict[str, object]]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        {
            "item_id": str(7_000_000_000_000 + n),
            "name": f"Benchmark item {n:06d}",
            "sku": f"BM-{n:06d}",
            "rate": 1000 + n % 500,
            "status": "active" if n % 25 else "inactive",
            "category_id": str(9000 + n % 12),
            "category_name": f"Category {n % 12}",
            "stock_on_hand": n % 300,
            "available_stock": n % 300,
            "actual_available_stock": n % 300,
            "last_modified_time": (start + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        for n in range(count)
    ]


async def read_all(client: ZohoClient, since: datetime | None = None) -> tuple[int, int, float]:
    started = time.perf_counter()
    items = pages = 0
    async for page in list_modified(client, Cursor(since)):
        pages += 1
        items += len(page.items)
    return items, pages, time.perf_counter() - started


async def main(count: int, rounds: int, changed: int) -> None:
    server = EmulatorServer(EmulatorConfig(rate_limit_per_minute=0))
    started = time.perf_counter()
    server.state.items.load(make_items(count))
    print(f"loaded {count:,} items into the emulator in {time.perf_counter() - started:.2f} s")
    await server.start()
    client = ZohoClient(
        api_url=server.api_url,
        accounts_url=server.url,
        client_id="emulator",
        client_secret="emulator",  # noqa: S106 - the emulator's default
        refresh_token="emulator",  # noqa: S106
        organization_id="1",
        requests_per_minute=1_000_000,
    )
    try:
        full: list[float] = []
        incremental: list[float] = []
        for _ in range(rounds):
            items, pages, seconds = await read_all(client)
            full.append(seconds)
            updated = [dict(item) for item in server.state.items.values()[:changed]]
            server.state.items.upsert(updated)
            since = datetime.now(UTC) - timedelta(seconds=1)
            changed_items, _, seconds = await read_all(client, since)
            incremental.append(seconds)
        print(
            f"full read:        {items:,} items in {pages} pages, median {statistics.median(full):.2f} s "
            f"(best {min(full):.2f} s, {items / statistics.median(full):,.0f} items/s)"
        )
        print(
            f"incremental read: {changed_items:,} changed items, median {statistics.median(incremental) * 1000:.0f} ms"
        )
        print(f"emulator calls:   {server.state.stats()['calls']}")
    finally:
        await client.aclose()
        await server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--changed", type=int, default=1000)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.items, arguments.rounds, arguments.changed))
