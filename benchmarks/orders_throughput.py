"""Order placement throughput on PostgreSQL: one API process, many clients, a few hot products.

    .venv/bin/python -m benchmarks.orders_throughput [--clients 64] [--products 10] [--seconds 15]
        [--server granian] [--idempotency-keys] [--yardstick]

Creates a scratch database, mirrors `--products` items with plenty of stock, starts one
`storefront serve --server granian|uvicorn` process (no background push worker: this measures
placement), and has `--clients` concurrent clients POST one-line orders for random hot products
for `--seconds` after a short warm-up, each with its own Idempotency-Key under
--idempotency-keys. Prints orders/s and the p50/p99 latency of accepted orders, checks that
reserved units equal ordered units (no oversell, no lost order), and drops the scratch database.
With --yardstick it also measures, in the same run, the framework ceiling (the yardstick's
ceiling_app.py on the same server, GETs by the same clients) so the figure can be read against
what this machine gives at that moment.
"""

import argparse
import asyncio
import os
import random
import uuid
from asyncio.subprocess import DEVNULL
from collections.abc import Callable
from typing import Any

import asyncpg
import orjson

from benchmarks.harness.database import plain_url, scratch_database
from benchmarks.harness.load import Request, closed_loop
from benchmarks.harness.processes import (
    free_port,
    server_command,
    start_storefront,
    terminate,
    wait_until_live,
)
from benchmarks.harness.yardstick import TARGET, yardstick_dir
from storefront.config import Settings
from storefront.db.engine import create_database
from storefront.db.migrate import upgrade_async
from storefront.demo.loader import load_items


def hot_items(count: int, stock: int) -> list[dict[str, Any]]:
    return [
        {
            "item_id": str(8100000000000 + n),
            "name": f"Hot Product {n}",
            "sku": f"HOT-{n:03d}",
            "rate": 1000 + 250 * n,
            "status": "active",
            "category_name": "Beverages",
            "actual_available_stock": stock,
            "available_stock": stock,
            "stock_on_hand": stock,
            "last_modified_time": "2026-11-01T10:00:00+0000",
        }
        for n in range(count)
    ]


def order_request(item_ids: list[str], keys: bool) -> Callable[[int, random.Random], Request]:
    def next_order(n: int, rng: random.Random) -> Request:
        body = orjson.dumps(
            {
                "customer": {"name": f"Bench {n}", "email": f"bench{n}@example.com"},
                "lines": [{"product_id": rng.choice(item_ids), "quantity": 1}],
            }
        )
        headers = f"Idempotency-Key: {uuid.uuid4()}\r\n" if keys else ""
        return "POST", "/api/consumer/orders", body, headers

    return next_order


async def ceiling(server: str, clients: int, seconds: float) -> float:
    """Requests/s of the bare ASGI yardstick app on the same server, driven like the orders."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *server_command(server, TARGET, port, False, yardstick_dir()), stdout=DEVNULL
    )
    try:
        await wait_until_live(f"http://127.0.0.1:{port}", process, "/")
        result = await closed_loop(port, clients, lambda n, rng: ("GET", "/", b"", ""), seconds=seconds)
        return result.rate
    finally:
        await terminate(process)


async def check_consistency(url: str) -> tuple[int, int]:
    connection = await asyncpg.connect(plain_url(url))
    try:
        reserved = await connection.fetchval("SELECT COALESCE(SUM(reserved_stock), 0) FROM products")
        ordered = await connection.fetchval("SELECT COALESCE(SUM(quantity), 0) FROM order_lines")
        return int(reserved), int(ordered)
    finally:
        await connection.close()


async def main(args: argparse.Namespace) -> None:
    async with scratch_database() as url:
        settings = Settings(_env_file=None, database_url=url)
        process: asyncio.subprocess.Process | None = None
        try:
            await upgrade_async(settings.database_url)
            items = hot_items(args.products, stock=10_000_000)
            database = create_database(settings)
            try:
                await load_items(
                    database, items, {i["item_id"]: i["rate"] for i in items}, settings.price_list, "IQD"
                )
            finally:
                await database.dispose()

            port = free_port()
            env = {
                **os.environ,
                "STOREFRONT_DATABASE_URL": url,
                "STOREFRONT_ERP": "emulator",
                "STOREFRONT_RUN_BACKGROUND_TASKS": "false",
                "STOREFRONT_LOG_LEVEL": "WARNING",
                "STOREFRONT_DATABASE_POOL_SIZE": str(args.pool),
                "STOREFRONT_DATABASE_MAX_OVERFLOW": "0",
                # Every simulated shopper connects from 127.0.0.1: one client to the rate limit.
                "STOREFRONT_RATE_LIMIT_ORDERS": "1000000/second",
            }
            process = await start_storefront("serve", "--server", args.server, "--port", str(port), env=env)
            await wait_until_live(f"http://127.0.0.1:{port}", process)
            result = await closed_loop(
                port,
                args.clients,
                order_request([i["item_id"] for i in items], args.idempotency_keys),
                seconds=args.seconds,
                warmup=args.warmup,
                success=frozenset({201}),
            )
            reserved, ordered = await check_consistency(url)
            print(
                f"clients={args.clients} hot_products={args.products} seconds={result.seconds:.1f} "
                f"server={args.server} pool={args.pool} idempotency_keys={args.idempotency_keys} "
                f"statuses={dict(sorted(result.statuses.items()))}"
            )
            print(f"orders/s={result.rate:.0f} p50={result.p50_ms:.1f}ms p99={result.p(0.99):.1f}ms")
            print(f"reserved units={reserved} ordered units={ordered} consistent={reserved == ordered}")
            if args.yardstick:
                ceiling_rps = await ceiling(args.server, args.clients, args.seconds)
                print(
                    f"yardstick ceiling={ceiling_rps:.0f} req/s orders/ceiling={result.rate / ceiling_rps:.3f}"
                )
        finally:
            await terminate(process)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--products", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--server", choices=("granian", "uvicorn"), default="granian")
    parser.add_argument("--pool", type=int, default=20)
    parser.add_argument(
        "--idempotency-keys", action="store_true", help="send every order with its own Idempotency-Key"
    )
    parser.add_argument("--yardstick", action="store_true", help="also measure the framework ceiling")
    asyncio.run(main(parser.parse_args()))
