"""Sync benchmark: N changed items from the emulator (real Zoho client over HTTP) into PostgreSQL.

    .venv/bin/python -m benchmarks.sync_apply --items 100000 --rounds 3

Creates a scratch database (dropped afterwards), starts the emulator in this process with N
items and a consumer price book, then runs a full sync into the empty mirror (N created) and
`--rounds` incremental syncs after changing the stock of every item in the ERP (N updated).
Reports, per kind of run, the median database-apply time (every bulk statement plus the commit)
and the median end-to-end time (lock, run row, every page over HTTP, parsing, apply, commit).
"""

import argparse
import asyncio
import statistics
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import asyncpg

from storefront.config import Settings
from storefront.db.engine import create_database
from storefront.db.migrate import upgrade_async
from storefront.demo.catalog import demo_consumer_rates, demo_items
from storefront.erp.emulator import EmulatorConfig, EmulatorServer
from storefront.erp.zoho import ZohoClient
from storefront.sync.apply import FetchedCatalog
from storefront.sync.schemas import SyncRequest, SyncRunView
from storefront.sync.service import BegunRun, SyncService

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class Timings:
    apply: list[float] = field(default_factory=list)
    end_to_end: list[float] = field(default_factory=list)


class TimedSyncService(SyncService):
    """The real service, with the apply phase (statements and commit) timed from outside."""

    last_apply_seconds = 0.0

    async def _apply(self, run: BegunRun, fetched: FetchedCatalog) -> SyncRunView:
        started = time.perf_counter()
        view = await super()._apply(run, fetched)
        self.last_apply_seconds = time.perf_counter() - started
        return view


async def timed_sync(service: TimedSyncService, request: SyncRequest, timings: Timings, expect: str) -> None:
    started = time.perf_counter()
    run = await service.sync(request, trigger="benchmark")
    elapsed = time.perf_counter() - started
    if run.status != "completed":
        raise SystemExit(f"sync failed: {run.error}")
    counts = run.counts.model_dump()
    print(
        f"  {run.mode:<11} fetched={counts['fetched']} {expect}={counts[expect]} "
        f"apply={service.last_apply_seconds:.2f}s end-to-end={elapsed:.2f}s"
    )
    timings.apply.append(service.last_apply_seconds)
    timings.end_to_end.append(elapsed)


def changed(items: list[dict[str, Any]], round_number: int) -> list[dict[str, Any]]:
    return [
        {
            "item_id": item["item_id"],
            "stock_on_hand": 50 + round_number,
            "available_stock": 50 + round_number,
            "actual_available_stock": 50 + round_number,
        }
        for item in items
    ]


async def main(count: int, rounds: int) -> None:
    name = f"storefront_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    emulator = EmulatorServer(EmulatorConfig(rate_limit_per_minute=0))
    try:
        await upgrade_async(url)
        print(f"Generating {count:,} Zoho items...")
        items = demo_items(count)
        emulator.state.items.load(items)
        rates = {item_id: Decimal(rate) for item_id, rate in demo_consumer_rates(items).items()}
        emulator.state.set_pricebook("consumer_iqd", {"currency": "IQD", "rates": rates})
        await emulator.start()
        settings = Settings(
            _env_file=None,
            database_url=url,
            erp="zoho",
            zoho_accounts_url=emulator.url,
            zoho_api_url=emulator.api_url,
            zoho_requests_per_minute=1_000_000,
            run_background_tasks=False,
            log_level="WARNING",
        )
        database = create_database(settings)
        client = ZohoClient.from_settings(settings)
        service = TimedSyncService(database, client, settings)  # type: ignore[arg-type]
        full, incremental = Timings(), Timings()
        try:
            print(f"Full sync of {count:,} items into an empty mirror:")
            await timed_sync(service, SyncRequest(mode="full"), full, "created")
            for round_number in range(1, rounds + 1):
                emulator.state.items.upsert(changed(items, round_number))
                print(f"Incremental sync after changing all {count:,} items (round {round_number}):")
                await timed_sync(service, SyncRequest(mode="incremental"), incremental, "updated")
        finally:
            await client.aclose()
            await database.dispose()
        print()
        print(f"{'run':<34}{'DB apply (median)':>20}{'end-to-end (median)':>22}")
        for label, timings in (
            (f"full, {count:,} created", full),
            (f"incremental, {count:,} updated", incremental),
        ):
            if timings.apply:
                print(
                    f"{label:<34}{statistics.median(timings.apply):>19.2f}s"
                    f"{statistics.median(timings.end_to_end):>21.2f}s"
                )
    finally:
        await emulator.stop()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.items, arguments.rounds))
