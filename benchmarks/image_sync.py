"""Pictures benchmark: a full sync of N items with pictures, then of the same N with 10% of the
pictures changed, counting the ERP's picture calls (real Zoho client over HTTP, PostgreSQL).

    .venv/bin/python -m benchmarks.image_sync --items 100000 --changed-share 0.1

Creates a scratch database (dropped afterwards), starts the emulator in this process with N demo
items, each with its own small PNG, runs a full sync and the picture fetcher (N calls), changes
the pictures of every tenth item in the ERP, runs a second full sync and the fetcher again, and
reports per round the sync's time, its database-apply time and the picture calls made. The
second round must make exactly as many picture calls as pictures changed.
"""

import argparse
import asyncio
import io
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import asyncpg
from PIL import Image
from sqlalchemy import select

from storefront.config import Settings
from storefront.db.engine import create_database
from storefront.db.migrate import upgrade_async
from storefront.demo.catalog import demo_consumer_rates, demo_items
from storefront.erp.emulator import EmulatorConfig, EmulatorServer
from storefront.erp.zoho import ZohoClient
from storefront.events.models import Event
from storefront.images.fetcher import ImageFetcher
from storefront.images.storage import LocalImageStore
from storefront.sync.schemas import SyncRequest
from storefront.sync.service import SyncService

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
IMAGE_CALLS = "GET /items/{id}/image"


def tiny_png(n: int, round_number: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (n % 256, (n // 256) % 256, (n // 65536 + 40 * round_number) % 256)).save(
        out, format="PNG"
    )
    return out.getvalue()


def image_calls(emulator: EmulatorServer) -> int:
    return sum(emulator.state.stats()["calls"].get(IMAGE_CALLS, {}).values())


async def one_round(label: str, service: SyncService, fetcher: ImageFetcher, emulator: EmulatorServer) -> int:
    calls_before = image_calls(emulator)
    started = time.perf_counter()
    run = await service.sync(SyncRequest(mode="full"), trigger="benchmark")
    synced = time.perf_counter() - started
    if run.status != "completed":
        raise SystemExit(f"sync failed: {run.error}")
    async with service.database.sessionmaker() as session:
        payload = await session.scalar(
            select(Event.payload).where(
                Event.correlation_id == str(run.id), Event.name == "tds.sync.completed"
            )
        )
    apply_seconds = float((payload or {}).get("apply_seconds", 0.0))
    started = time.perf_counter()
    done = await fetcher.run_once()
    fetched = time.perf_counter() - started
    calls = image_calls(emulator) - calls_before
    print(
        f"  {label}: sync {synced:.1f} s (DB apply {apply_seconds:.2f} s), "
        f"fetch pass {fetched:.1f} s, picture calls {calls:,}, outcomes {done.outcomes}"
    )
    return calls


async def main(count: int, share: float, data_dir: str) -> None:
    name = f"storefront_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    emulator = EmulatorServer(EmulatorConfig(rate_limit_per_minute=0, daily_quota=0))
    try:
        await upgrade_async(url)
        print(f"Generating {count:,} Zoho items with pictures...")
        items = demo_items(count)
        emulator.state.items.load(items)
        for n, item in enumerate(items):
            emulator.state.items.set_image(item["item_id"], tiny_png(n, 0), "image/png", None)
        rates = {item_id: Decimal(rate) for item_id, rate in demo_consumer_rates(items).items()}
        emulator.state.set_pricebook("consumer_iqd", {"currency": "IQD", "rates": rates})
        await emulator.start()
        settings = Settings(
            _env_file=None,
            database_url=url,
            erp="zoho",
            zoho_accounts_url=emulator.url,
            zoho_api_url=emulator.api_url,
            zoho_client_id=emulator.state.config.client_id,
            zoho_client_secret=emulator.state.config.client_secret,
            zoho_refresh_token=emulator.state.config.refresh_token,
            zoho_organization_id=emulator.state.config.organization_id,
            zoho_requests_per_minute=1_000_000,
            run_background_tasks=False,
            log_level="WARNING",
        )
        database = create_database(settings)
        client = ZohoClient.from_settings(settings)
        store = LocalImageStore(Path(data_dir) / name)
        service = SyncService(database, client, settings)
        fetcher = ImageFetcher(database, client, store, settings)
        try:
            first = await one_round(f"every picture new ({count:,})", service, fetcher, emulator)
            changed = items[:: round(1 / share)]
            for n, item in enumerate(changed):
                emulator.state.items.set_image(item["item_id"], tiny_png(n, 1), "image/png", None)
            second = await one_round(f"{len(changed):,} pictures changed", service, fetcher, emulator)
        finally:
            await client.aclose()
            await database.dispose()
        print()
        print(
            f"picture calls: first round {first:,} (items {count:,}); second round {second:,} "
            f"(changed {len(changed):,}): {'PASS' if second == len(changed) and first == count else 'FAIL'}"
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
    parser.add_argument("--changed-share", type=float, default=0.1)
    parser.add_argument(
        "--data-dir", default=None, help="where pictures go (default: a new temporary folder)"
    )
    args = parser.parse_args()
    asyncio.run(
        main(args.items, args.changed_share, args.data_dir or tempfile.mkdtemp(prefix="storefront-bench-"))
    )
