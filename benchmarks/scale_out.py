"""Scaled out: two API processes and two push workers on PostgreSQL and Redis, mixed traffic.

    .venv/bin/python -m benchmarks.scale_out [--seconds 60] [--catalog 10000] [--replica]

The ERP is `storefront erp-emulator` with a catalog of `--catalog` demo items, its rate limit off
(so that every order can be confirmed within the run; the ERP's budget is what benchmarks/burst.py
measures). Storefront runs on a scratch PostgreSQL database and Redis key prefix: first one
`storefront serve` (granian, background tasks off) and one `storefront worker`, then two of each.
Each API process gets the same mixed traffic for `--seconds`: cached and uncached reads (wrk
asking a rotating list of catalog, category, product and search URLs), cart quotes, orders on hot
products with little stock (so some are refused), signed Zoho webhooks naming items, and, half
way, an incremental sync after 200 items changed in the ERP. Every client is 127.0.0.1, so the
per-client order and quote limits are lifted.

While two processes serve, a probe changes a product's price in the ERP every few seconds, syncs
it through one process (`?wait=true`), and reads it through both: each must show the new price on
its first read.

With `--replica`, the database server is one the run starts (a fresh cluster on a free port) with
a streaming replica of it (pg_basebackup, `primary_conninfo`), and STOREFRONT_DATABASE_READ_URL
points the API processes at the replica.

Reports throughput of one process and of two, where the CPU went (API processes, workers,
PostgreSQL, Redis, the emulator, the load generators) and what PostgreSQL and Redis did per
second, then checks: zero oversell (units in accepted and confirmed orders within each hot
product's stock), every order confirmed exactly once in the emulator, every price change seen by
both processes at once. Ends with PASS or FAIL.
"""

import argparse
import asyncio
import os
import random
import secrets
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg
import httpx
import orjson
import redis.asyncio as redis

from benchmarks.harness.cpu import cpu_seconds, machine_busy_seconds, named, tree_cpu_seconds
from benchmarks.harness.database import (
    ADMIN_URL,
    REDIS_URL,
    database_url,
    plain_url,
    scratch_database,
    scratch_redis_prefix,
)
from benchmarks.harness.erp import Emulator, start_emulator
from benchmarks.harness.load import (
    STORE_EVERY_LIST,
    LoadResult,
    Request,
    closed_loop,
    rotating_paths_script,
    wrk,
)
from benchmarks.harness.processes import free_port, start_storefront, terminate, wait_until_live
from benchmarks.harness.replica import primary_and_replica
from benchmarks.suite.deployment import UNLIMITED, service_env
from storefront.config import Settings
from storefront.db.migrate import upgrade_async
from storefront.demo.catalog import demo_consumer_rates, demo_items
from storefront.erp.emulator.webhooks import sign

PRODUCTS = "/api/consumer/products"
SECRET = secrets.token_hex(16)
# Clients per API process, per kind of request (reads are one wrk with this many connections).
READERS, QUOTERS, BUYERS, HOOKS = 8, 4, 4, 1


@dataclass
class Processes:
    apis: list[tuple[int, asyncio.subprocess.Process]] = field(default_factory=list)
    workers: list[asyncio.subprocess.Process] = field(default_factory=list)

    @property
    def ports(self) -> list[int]:
        return [port for port, _ in self.apis]

    async def stop(self) -> None:
        for _, process in self.apis:
            await terminate(process)
        for process in self.workers:
            await terminate(process)
        self.apis, self.workers = [], []


async def start(env: dict[str, str], apis: int, workers: int, logs: Path) -> Processes:
    running = Processes()
    for _ in range(apis):
        port = free_port()
        process = await start_storefront("serve", "--port", str(port), env=env, log=logs)
        running.apis.append((port, process))
    for _ in range(workers):
        running.workers.append(await start_storefront("worker", env=env, log=logs))
    for port, process in running.apis:
        await wait_until_live(f"http://127.0.0.1:{port}", process)
    return running


@dataclass
class Catalog:
    ids: list[str]
    product_ids: list[str]
    categories: list[str]
    rates: dict[str, int]
    # ERP ids of products on sale that are not hot: what the price probes change.
    probed: list[str] = field(default_factory=list)


@dataclass
class PhaseFigures:
    label: str
    seconds: float
    reads: list[tuple[float, float, float]] = field(default_factory=list)  # per process: req/s, p50, p99
    quotes: list[LoadResult] = field(default_factory=list)
    orders: list[LoadResult] = field(default_factory=list)
    hooks: list[LoadResult] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)
    database: dict[str, float] = field(default_factory=dict)
    redis_ops: float = 0.0
    cache: dict[str, float] = field(default_factory=dict)

    @staticmethod
    def answered(results: list[LoadResult]) -> float:
        """Answers a second (anything but a 5xx), summed over the processes."""
        return sum(sum(n for status, n in r.statuses.items() if status < 500) / r.seconds for r in results)

    @property
    def total(self) -> float:
        return sum(r[0] for r in self.reads) + sum(
            self.answered(x) for x in (self.quotes, self.orders, self.hooks)
        )


def signed(item_id: str) -> tuple[bytes, str]:
    body = orjson.dumps({"item": {"item_id": item_id}})
    return body, f"X-Zoho-Webhook-Signature: {sign(SECRET, body)}\r\n"


def traffic_kinds(catalog: Catalog, hot: list[str]) -> dict[str, Callable[[int, random.Random], Request]]:
    def quote(n: int, rng: random.Random) -> Request:
        lines = [{"product_id": p, "quantity": rng.randint(1, 3)} for p in rng.sample(catalog.product_ids, 3)]
        return "POST", "/api/bff/mobile/cart/quote", orjson.dumps({"lines": lines}), ""

    def order(n: int, rng: random.Random) -> Request:
        who = f"scale{n}-{rng.randrange(10**9)}"
        body = {
            "customer": {"name": who, "email": f"{who}@example.com"},
            "lines": [{"product_id": rng.choice(hot), "quantity": rng.randint(1, 3)}],
        }
        return "POST", "/api/consumer/orders", orjson.dumps(body), ""

    def webhook(n: int, rng: random.Random) -> Request:
        body, header = signed(rng.choice(hot + catalog.ids[:200]))
        return "POST", "/api/tds/webhooks/zoho", body, header

    return {"quotes": quote, "orders": order, "hooks": webhook}


def read_paths(catalog: Catalog, rng: random.Random) -> list[str]:
    paths = [f"{PRODUCTS}?limit=50", "/api/consumer/categories", "/api/bff/mobile/home"]
    paths += [f"{PRODUCTS}/{pid}" for pid in rng.sample(catalog.product_ids, 200)]
    paths += [
        f"{PRODUCTS}?{urlencode({'category': c, 'skip': s, 'limit': 50})}"
        for c in catalog.categories
        for s in (0, 50, 100)
    ]
    words = ["tea", "rice", "oil", "soap", "juice", "milk", "شاي", "رز", "زيت", "صابون", "عصير", "حليب"]
    paths += [f"{PRODUCTS}?{urlencode({'search': w + suffix})}" for w in words for suffix in ("", " 1", " k")]
    rng.shuffle(paths)
    return paths


async def cpu_snapshot(processes: Processes, emulator: Emulator) -> dict[str, float]:
    busy, total = machine_busy_seconds()
    return {
        "API processes": tree_cpu_seconds(p.pid for _, p in processes.apis),
        "push workers": tree_cpu_seconds(p.pid for p in processes.workers),
        "PostgreSQL (every backend on the server)": tree_cpu_seconds(named("postgres")),
        "Redis (the server)": tree_cpu_seconds(named("redis-server")),
        "ERP emulator": tree_cpu_seconds([emulator.process.pid]),
        "load generators (this script, wrk)": cpu_seconds(os.getpid()) + tree_cpu_seconds(named("wrk")),
        "machine busy": busy,
        "machine total": total,
    }


async def database_snapshot(url: str) -> dict[str, float]:
    connection = await asyncpg.connect(plain_url(url))
    try:
        row = await connection.fetchrow(
            "SELECT xact_commit, tup_inserted, tup_updated, tup_fetched FROM pg_stat_database WHERE datname = current_database()"
        )
        wal = await connection.fetchval("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
    finally:
        await connection.close()
    return {
        "commits": float(row["xact_commit"]),
        "rows inserted": float(row["tup_inserted"]),
        "rows updated": float(row["tup_updated"]),
        "WAL bytes": float(wal),
    }


REPLICA_OUTCOMES = ("replica", "behind", "replica_unavailable", "mark_unavailable")


async def cache_lookups(ports: list[int], admin: dict[str, str]) -> dict[str, float]:
    """Cache hits and misses of the public reads, and where the catalog reads that missed ran
    (`replica ...`), summed over the API processes' own /metrics."""
    prefixes = {kind: f"storefront_cache_{kind}_total{{" for kind in ("hits", "misses")}
    prefixes.update(
        {f"replica {o}": f'storefront_replica_reads_total{{outcome="{o}"}}' for o in REPLICA_OUTCOMES}
    )
    totals = dict.fromkeys(prefixes, 0.0)
    async with httpx.AsyncClient(timeout=30) as http:
        for port in ports:
            text = (await http.get(f"http://127.0.0.1:{port}/metrics", headers=admin)).text
            for line in text.splitlines():
                for kind, prefix in prefixes.items():
                    if line.startswith(prefix):
                        totals[kind] += float(line.rsplit(" ", 1)[1])
    return totals


async def redis_commands() -> float:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        return float((await client.info("stats"))["total_commands_processed"])
    finally:
        await client.aclose()


async def mixed_traffic(
    processes: Processes,
    catalog: Catalog,
    hot: list[str],
    seconds: float,
    scratch: Path,
    label: str,
    emulator: Emulator,
    db_url: str,
    admin: dict[str, str],
    during: list[Coroutine[Any, Any, None]],
) -> PhaseFigures:
    figures = PhaseFigures(label, seconds)
    lookups_before = await cache_lookups(processes.ports, admin)
    kinds = traffic_kinds(catalog, hot)
    script = rotating_paths_script(read_paths(catalog, random.Random(7)), scratch)
    cpu_before, db_before, redis_before = (
        await cpu_snapshot(processes, emulator),
        await database_snapshot(db_url),
        await redis_commands(),
    )
    began = time.monotonic()

    async def per_process(port: int) -> None:
        reads = asyncio.to_thread(wrk, port, PRODUCTS, seconds, READERS, script)
        quotes = closed_loop(port, QUOTERS, kinds["quotes"], seconds=seconds, success=frozenset({200}))
        orders = closed_loop(port, BUYERS, kinds["orders"], seconds=seconds, success=frozenset({201}))
        hooks = closed_loop(port, HOOKS, kinds["hooks"], seconds=seconds, success=frozenset({200, 202}))
        read, quote, order, hook = await asyncio.gather(reads, quotes, orders, hooks)
        figures.reads.append((read.requests_per_second, read.p50_ms, read.p99_ms))
        figures.quotes.append(quote)
        figures.orders.append(order)
        figures.hooks.append(hook)

    await asyncio.gather(*(per_process(port) for port in processes.ports), *during)
    figures.seconds = time.monotonic() - began
    cpu_after, db_after, redis_after = (
        await cpu_snapshot(processes, emulator),
        await database_snapshot(db_url),
        await redis_commands(),
    )
    figures.cpu = {name: cpu_after[name] - cpu_before[name] for name in cpu_before}
    figures.database = {name: (db_after[name] - db_before[name]) / figures.seconds for name in db_before}
    figures.redis_ops = (redis_after - redis_before) / figures.seconds
    lookups_after = await cache_lookups(processes.ports, admin)
    figures.cache = {kind: lookups_after[kind] - lookups_before[kind] for kind in lookups_before}
    return figures


def show(figures: PhaseFigures) -> None:
    print(
        f"{figures.label}: {figures.total:,.0f} requests/s answered in all over {figures.seconds:.0f} s",
        flush=True,
    )
    for n, (rps, p50, p99) in enumerate(figures.reads):
        quote, order, hook = figures.quotes[n], figures.orders[n], figures.hooks[n]
        print(
            f"  process {n + 1}: reads {rps:,.0f}/s (p50 {p50:.1f} ms, p99 {p99:.1f} ms); "
            f"quotes {quote.rate:,.0f}/s (p99 {quote.p(0.99):.0f} ms); "
            f"orders {order.rate:,.1f} accepted/s of {figures.answered([order]):,.1f}/s answered "
            f"(p99 {order.p(0.99):.0f} ms, {dict(sorted(order.statuses.items()))}); "
            f"webhooks {hook.rate:,.1f}/s ({dict(sorted(hook.statuses.items()))})",
            flush=True,
        )
    total = figures.cpu["machine total"]
    busy = figures.cpu["machine busy"]
    parts = ", ".join(
        f"{name} {value / figures.seconds:.2f}"
        for name, value in figures.cpu.items()
        if not name.startswith("machine")
    )
    ours = sum(value for name, value in figures.cpu.items() if not name.startswith("machine"))
    print(
        f"  CPU (cores in use): machine {busy / figures.seconds:.2f} of {total / figures.seconds:.2f}, of which this "
        f"run's processes {ours / figures.seconds:.2f} ({parts}) and other work on the machine "
        f"{(busy - ours) / figures.seconds:.2f}",
        flush=True,
    )
    lookups = figures.cache["hits"] + figures.cache["misses"]
    print(
        f"  cache: {figures.cache['hits'] / max(lookups, 1):.0%} of {lookups / figures.seconds:,.0f} lookups/s were hits "
        "(every accepted order invalidates the catalog's cached reads)",
        flush=True,
    )
    replica = {o: figures.cache[f"replica {o}"] for o in REPLICA_OUTCOMES}
    if any(replica.values()):
        primary = ", ".join(f"{o} {replica[o]:,.0f}" for o in REPLICA_OUTCOMES[1:])
        print(
            f"  catalog reads that missed the cache: {replica['replica'] / sum(replica.values()):.0%} on the "
            f"replica ({replica['replica']:,.0f}); on the primary: {primary}",
            flush=True,
        )
    db = figures.database
    print(
        f"  PostgreSQL (this database): {db['commits']:,.0f} commits/s, {db['rows inserted']:,.0f} rows inserted/s, "
        f"{db['rows updated']:,.0f} rows updated/s; WAL (server) {db['WAL bytes'] / 1e6:.1f} MB/s; "
        f"Redis (server): {figures.redis_ops:,.0f} commands/s",
        flush=True,
    )


async def set_hot(
    emulator: Emulator, http: httpx.AsyncClient, admin: dict[str, str], hot: list[str], stock: int
) -> None:
    await emulator.control.put_items(
        [
            {"item_id": i, "stock_on_hand": stock, "available_stock": stock, "actual_available_stock": stock}
            for i in hot
        ],
        webhooks=False,
    )
    await sync_until_done(http, admin, {"item_ids": hot})


async def sync_until_done(
    http: httpx.AsyncClient, admin: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    while True:
        response = await http.post("/api/consumer/sync/inventory?wait=true", json=body, headers=admin)
        if response.status_code == 409:
            await asyncio.sleep(0.1)
            continue
        response.raise_for_status()
        run: dict[str, Any] = response.json()["data"]
        if run["status"] != "completed":
            raise RuntimeError(f"sync {body}: {run['status']} {run.get('error')}")
        return run


@dataclass
class Probe:
    item_id: str
    price: int
    first_read_right: list[bool]
    delays: list[float]


async def probes(
    emulator: Emulator,
    ports: list[int],
    admin: dict[str, str],
    catalog: Catalog,
    seconds: float,
    every: float,
    found: list[Probe],
) -> None:
    rng = random.Random(11)
    clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) for port in ports]
    try:
        deadline = time.monotonic() + seconds - every / 2
        n = 0
        while time.monotonic() < deadline:
            await asyncio.sleep(every)
            item_id = rng.choice(catalog.probed)
            for client in clients:
                for _ in range(2):
                    (await client.get(f"{PRODUCTS}/{item_id}")).raise_for_status()
            catalog.rates[item_id] += 250
            price = catalog.rates[item_id]
            await emulator.control.set_pricebook("consumer_iqd", catalog.rates)
            await sync_until_done(clients[n % len(clients)], admin, {"item_ids": [item_id]})
            synced = time.monotonic()
            rights, delays = [], []
            for client in clients:
                first = True
                while True:
                    shown = (await client.get(f"{PRODUCTS}/{item_id}")).json()["data"]["price"]
                    if Decimal(str(shown)) == price:
                        break
                    first = False
                    if time.monotonic() - synced > 10:
                        break
                    await asyncio.sleep(0.05)
                rights.append(first)
                delays.append(time.monotonic() - synced)
            found.append(Probe(item_id, price, rights, delays))
            n += 1
    finally:
        for client in clients:
            await client.aclose()


async def changed_then_synced(
    emulator: Emulator, port: int, admin: dict[str, str], catalog: Catalog, after: float
) -> None:
    """Half way: 200 items change in the ERP, and an incremental sync runs (202, in the background)."""
    await asyncio.sleep(after)
    rng = random.Random(5)
    await emulator.control.put_items(
        [
            {"item_id": i, "actual_available_stock": rng.randint(10, 300)}
            for i in rng.sample(catalog.ids[200:], 200)
        ],
        webhooks=False,
    )
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        for _ in range(100):
            response = await http.post(
                "/api/consumer/sync/inventory", json={"mode": "incremental"}, headers=admin
            )
            if response.status_code != 409:
                break
            await asyncio.sleep(0.2)


async def drained(db_url: str, within: float) -> dict[str, int]:
    deadline = time.monotonic() + within
    while True:
        connection = await asyncpg.connect(plain_url(db_url))
        try:
            counts = {
                row["status"]: int(row["n"])
                for row in await connection.fetch("SELECT status, count(*) AS n FROM orders GROUP BY status")
            }
        finally:
            await connection.close()
        if not counts.get("accepted") or time.monotonic() > deadline:
            return counts
        await asyncio.sleep(1)


@asynccontextmanager
async def database_server(replica: bool) -> AsyncIterator[tuple[str, str | None]]:
    """(admin URL of the primary, admin URL of its replica or None)."""
    if not replica:
        yield ADMIN_URL, None
        return
    async with primary_and_replica() as pair:
        yield pair.primary_url, pair.replica_url


async def main(args: argparse.Namespace) -> int:
    scratch = Path(tempfile.mkdtemp(prefix="storefront-scale-"))
    logs = scratch / "processes.log"
    print(f"process output: {logs}", flush=True)
    checks: list[tuple[str, bool, str]] = []

    def check(name: str, ok: bool, detail: str) -> None:
        checks.append((name, ok, detail))
        print(f"  [{'ok' if ok else 'FAILED'}] {name}: {detail}", flush=True)

    async with AsyncExitStack() as stack:
        admin_url, replica_admin = await stack.enter_async_context(database_server(args.replica))
        db_url = await stack.enter_async_context(scratch_database("scale", admin_url))
        prefix = await stack.enter_async_context(scratch_redis_prefix("scale"))
        await upgrade_async(db_url)
        token = secrets.token_urlsafe(32)
        emulator = await start_emulator(
            service_env(db_url, prefix, "", token),
            items=args.catalog,
            rate_limit_per_minute=0,
            daily_quota=0,
            log=logs,
        )
        stack.push_async_callback(emulator.stop)
        env = service_env(db_url, prefix, emulator.url, token)
        env.update(
            STOREFRONT_RUN_BACKGROUND_TASKS="false",
            STOREFRONT_ZOHO_REQUESTS_PER_MINUTE="1000000",
            STOREFRONT_ZOHO_WEBHOOK_SECRET=SECRET,
            STOREFRONT_CACHE_MAX_ENTRIES_OVERRIDES=STORE_EVERY_LIST,
        )
        if replica_admin is not None:
            name = db_url.rsplit("/", 1)[1]
            env["STOREFRONT_DATABASE_READ_URL"] = database_url(name, replica_admin)
            uses = "database_read_url" in Settings.model_fields
            print(
                f"replica: {env['STOREFRONT_DATABASE_READ_URL']} "
                f"({'catalog reads' if uses else 'STOREFRONT_DATABASE_READ_URL is not a setting of this code: reads stay on the primary'})",
                flush=True,
            )
        admin = {"Authorization": f"Bearer {token}"}
        del env["STOREFRONT_RATE_LIMIT_ORDERS"], env["STOREFRONT_RATE_LIMIT_QUOTES"]
        env.update(STOREFRONT_RATE_LIMIT_ORDERS=UNLIMITED, STOREFRONT_RATE_LIMIT_QUOTES=UNLIMITED)

        processes = await start(env, 1, 1, logs)
        stack.push_async_callback(lambda: processes.stop())  # the processes running when it ends
        first = f"http://127.0.0.1:{processes.ports[0]}"
        async with httpx.AsyncClient(base_url=first, timeout=600) as http:
            run = await sync_until_done(http, admin, {"mode": "full"})
            print(
                f"full sync of {run['counts']['fetched']:,} items: {run['duration_seconds']:.1f} s",
                flush=True,
            )
            items = demo_items(args.catalog)
            listed = (await http.get(PRODUCTS, params={"limit": 200})).json()["data"]
            product_ids = [p["id"] for p in listed if p["stock"] > 0]
            categories = [c["name"] for c in (await http.get("/api/consumer/categories")).json()["data"]]
            rates = demo_consumer_rates(items)
            catalog = Catalog([str(i["item_id"]) for i in items], product_ids, categories, dict(rates))
            on_sale = [
                p["erp_item_id"] for p in listed if p["stock"] > 0 and p["erp_item_id"] in catalog.rates
            ]
            hot_one, hot_two = on_sale[: args.hot], on_sale[args.hot : 2 * args.hot]
            catalog.probed = on_sale[2 * args.hot :]
            await set_hot(emulator, http, admin, hot_one + hot_two, args.stock)

        print(f"mixed traffic for {args.seconds:g} s through one API process", flush=True)
        one = await mixed_traffic(
            processes,
            catalog,
            hot_one,
            args.seconds,
            scratch,
            "one API process, one worker",
            emulator,
            db_url,
            admin,
            during=[changed_then_synced(emulator, processes.ports[0], admin, catalog, args.seconds / 2)],
        )
        show(one)
        await processes.stop()
        processes = await start(env, 2, 2, logs)
        found: list[Probe] = []
        print(f"mixed traffic for {args.seconds:g} s through each of two API processes", flush=True)
        two = await mixed_traffic(
            processes,
            catalog,
            hot_two,
            args.seconds,
            scratch,
            "two API processes, two workers",
            emulator,
            db_url,
            admin,
            during=[
                changed_then_synced(emulator, processes.ports[1], admin, catalog, args.seconds / 2),
                probes(emulator, processes.ports, admin, catalog, args.seconds, args.probe_every, found),
            ],
        )
        show(two)
        counts = await drained(db_url, 300)
        await processes.stop()

        print("checks:", flush=True)
        ratio = two.total / one.total if one.total else 0.0
        print(
            f"throughput: two processes {two.total:,.0f} requests/s against one {one.total:,.0f}: {ratio:.2f}x",
            flush=True,
        )
        connection = await asyncpg.connect(plain_url(db_url))
        try:
            units = {
                row["erp_item_id"]: int(row["units"])
                for row in await connection.fetch(
                    "SELECT l.erp_item_id, SUM(l.quantity) AS units FROM order_lines l JOIN orders o ON o.id = l.order_id "
                    "WHERE o.status IN ('accepted', 'confirmed') GROUP BY l.erp_item_id"
                )
            }
            numbers = [row["number"] for row in await connection.fetch("SELECT number FROM orders")]
        finally:
            await connection.close()
        over = {item: n for item, n in units.items() if item in hot_one + hot_two and n > args.stock}
        check(
            "zero oversell",
            not over,
            f"{sum(units.values()):,} units ordered on {len(units)} products of {args.stock} each; over: {over}",
        )
        salesorders = await emulator.control.salesorders()
        in_erp = Counter(str(so["salesorder_number"]) for so in salesorders)
        twice = [n for n, c in in_erp.items() if c > 1]
        missing = [n for n in numbers if in_erp.get(n) != 1]
        strangers = [n for n in in_erp if n not in set(numbers)]
        not_confirmed = [so["salesorder_number"] for so in salesorders if so.get("status") != "confirmed"]
        check(
            "every order confirmed exactly once in the emulator",
            counts == {"confirmed": len(numbers)}
            and not twice
            and not missing
            and not strangers
            and not not_confirmed,
            f"orders by status {counts}; {len(salesorders):,} sales orders: {len(twice)} twice, {len(missing)} missing, "
            f"{len(strangers)} not ours, {len(not_confirmed)} not confirmed",
        )
        seen_at_once = all(all(p.first_read_right) for p in found)
        check(
            "every price change seen by every process at once",
            bool(found) and seen_at_once,
            f"{len(found)} changes; first read right: {sum(all(p.first_read_right) for p in found)}; "
            f"slowest {max((max(p.delays) for p in found), default=0) * 1000:.0f} ms after the sync returned",
        )
    ok = all(passed for _, passed, _ in checks)
    print(("PASS" if ok else "FAIL: " + "; ".join(n for n, passed, _ in checks if not passed)), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--catalog", type=int, default=10_000, help="demo catalog size in the ERP")
    parser.add_argument("--hot", type=int, default=10, help="hot products per phase")
    parser.add_argument("--stock", type=int, default=1000, help="units of each hot product")
    parser.add_argument("--probe-every", type=float, default=5.0, help="seconds between price changes")
    parser.add_argument(
        "--replica", action="store_true", help="a server of the run's own, with a streaming replica"
    )
    raise SystemExit(asyncio.run(main(parser.parse_args())))
