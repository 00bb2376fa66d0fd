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
import socket
import statistics
import sys
import time
import uuid
from asyncio.subprocess import DEVNULL
from typing import Any

import asyncpg
import httpx
import orjson

from benchmarks.cache_throughput import YARDSTICK_DIR, server_command
from storefront.config import Settings
from storefront.db.engine import create_database
from storefront.db.migrate import upgrade_async
from storefront.demo.loader import load_items

YARDSTICK = YARDSTICK_DIR / "ceiling_app.py"
ADMIN_URL = os.environ.get("STOREFRONT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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


async def wait_until_up(base_url: str, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient(base_url=base_url) as http:
        for _ in range(200):
            if process.returncode is not None:
                raise RuntimeError("the API process exited")
            try:
                if (await http.get("/health/live")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the API process did not come up")


class Connection:
    """A bare keep-alive HTTP/1.1 connection: a far lighter load generator than a full client,
    so the service, not the benchmark, is what runs out of CPU on a small machine."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"", headers: str = "") -> int:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{headers}\r\n"
        )
        self.writer.write(head.encode() + body)
        status = int((await self.reader.readline()).split()[1])
        length, chunked = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if not chunked:
            await self.reader.readexactly(length)
            return status
        while size := int((await self.reader.readline()).strip(), 16):
            await self.reader.readexactly(size + 2)
        await self.reader.readline()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def drive(
    port: int, item_ids: list[str], clients: int, seconds: float, warmup: float, keys: bool
) -> tuple[list[float], dict[int, int], float]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    measuring = False
    stop_at = time.perf_counter() + warmup + seconds
    started = 0.0

    async def client(n: int) -> None:
        rng = random.Random(n)
        connection = Connection("127.0.0.1", port)
        try:
            while time.perf_counter() < stop_at:
                body = orjson.dumps(
                    {
                        "customer": {"name": f"Bench {n}", "email": f"bench{n}@example.com"},
                        "lines": [{"product_id": rng.choice(item_ids), "quantity": 1}],
                    }
                )
                headers = f"Idempotency-Key: {uuid.uuid4()}\r\n" if keys else ""
                began = time.perf_counter()
                status = await connection.request("POST", "/api/consumer/orders", body, headers)
                elapsed = time.perf_counter() - began
                if measuring:
                    statuses[status] = statuses.get(status, 0) + 1
                    if status == 201:
                        latencies.append(elapsed)
        finally:
            connection.close()

    async def start_measuring() -> None:
        nonlocal measuring, started
        await asyncio.sleep(warmup)
        measuring = True
        started = time.perf_counter()

    await asyncio.gather(start_measuring(), *(client(n) for n in range(clients)))
    return latencies, statuses, time.perf_counter() - started


async def ceiling(server: str, clients: int, seconds: float) -> float:
    """Requests/s of the bare ASGI yardstick app on the same server, driven like the orders."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *server_command(server, f"{YARDSTICK.stem}:app", port, False, YARDSTICK.parent), stdout=DEVNULL
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http, asyncio.timeout(20):
            while True:
                try:
                    await http.get("/")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
        done = 0
        began = time.perf_counter()
        stop_at = began + seconds

        async def client() -> None:
            nonlocal done
            connection = Connection("127.0.0.1", port)
            try:
                while time.perf_counter() < stop_at:
                    await connection.request("GET", "/")
                    done += 1
            finally:
                connection.close()

        await asyncio.gather(*(client() for _ in range(clients)))
        return done / (time.perf_counter() - began)
    finally:
        process.terminate()
        await process.wait()


async def check_consistency(url: str) -> tuple[int, int]:
    connection = await asyncpg.connect(url)
    try:
        reserved = await connection.fetchval("SELECT COALESCE(SUM(reserved_stock), 0) FROM products")
        ordered = await connection.fetchval("SELECT COALESCE(SUM(quantity), 0) FROM order_lines")
        return int(reserved), int(ordered)
    finally:
        await connection.close()


async def main(args: argparse.Namespace) -> None:
    name = f"storefront_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    plain_url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    settings = Settings(_env_file=None, database_url=plain_url)  # type: ignore[call-arg]
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
            "STOREFRONT_DATABASE_URL": plain_url,
            "STOREFRONT_ERP": "emulator",
            "STOREFRONT_RUN_BACKGROUND_TASKS": "false",
            "STOREFRONT_LOG_LEVEL": "WARNING",
            "STOREFRONT_DATABASE_POOL_SIZE": str(args.pool),
            "STOREFRONT_DATABASE_MAX_OVERFLOW": "0",
            # Every simulated shopper connects from 127.0.0.1: one client to the rate limit.
            "STOREFRONT_RATE_LIMIT_ORDERS": "1000000/second",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "storefront",
            "serve",
            "--server",
            args.server,
            "--port",
            str(port),
            env=env,
            stdout=DEVNULL,
        )
        base_url = f"http://127.0.0.1:{port}"
        await wait_until_up(base_url, process)
        latencies, statuses, duration = await drive(
            port,
            [i["item_id"] for i in items],
            args.clients,
            args.seconds,
            args.warmup,
            args.idempotency_keys,
        )
        reserved, ordered = await check_consistency(plain_url)
        accepted = statuses.get(201, 0)
        cuts = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [0.0] * 99
        print(
            f"clients={args.clients} hot_products={args.products} seconds={duration:.1f} "
            f"server={args.server} pool={args.pool} idempotency_keys={args.idempotency_keys} statuses={dict(sorted(statuses.items()))}"
        )
        print(
            f"orders/s={accepted / duration:.0f} p50={statistics.median(latencies) * 1000:.1f}ms "
            f"p99={cuts[98] * 1000:.1f}ms"
        )
        print(f"reserved units={reserved} ordered units={ordered} consistent={reserved == ordered}")
        if args.yardstick:
            ceiling_rps = await ceiling(args.server, args.clients, args.seconds)
            print(
                f"yardstick ceiling={ceiling_rps:.0f} req/s "
                f"orders/ceiling={accepted / duration / ceiling_rps:.3f}"
            )
    finally:
        if process is not None:
            process.terminate()
            await asyncio.wait_for(process.wait(), 10)
        admin = await asyncpg.connect(ADMIN_URL)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


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
