"""The measurements of one run, in order: syncs and memory, cached reads, uncached reads, cart
quotes, orders. Each adds its rows (Figure) to the run's record."""

import asyncio
import random
import statistics
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

import asyncpg
import orjson

from benchmarks.harness.database import plain_url, vacuum_analyze
from benchmarks.harness.load import LoadResult, Request, closed_loop, each_once_uncached, percentile, wrk
from benchmarks.harness.processes import free_port, serve, server_command, stop, wait_until_up
from benchmarks.harness.yardstick import TARGET, yardstick_dir
from benchmarks.search_latency import WARM_UP, Figures, measure_yardstick, query_mix, search_urls
from benchmarks.suite.deployment import Deployment
from benchmarks.suite.figures import Curve, Figure, ms, rate, seconds
from storefront.demo.catalog import demo_items

LIST = "/api/consumer/products?limit=50"
CATEGORIES = "/api/consumer/categories"
PRODUCTS = "/api/consumer/products"
QUOTE = "/api/bff/mobile/cart/quote"
ORDERS = "/api/consumer/orders"
HOT_STOCK = 10_000_000
NO_ERP_LIMIT = "ERP rate limit off"


@dataclass
class Options:
    items: int = 100_000
    runs: int = 3
    duration: float = 10.0
    sweep_duration: float = 5.0
    connections: int = 64
    concurrencies: tuple[int, ...] = (1, 4, 16, 64, 256)
    clients: int = 64
    write_seconds: float = 10.0
    warmup: float = 3.0
    incremental_rounds: int = 3
    hot_products: int = 10
    category_pages: int = 20


class Progress(Protocol):
    def step(self, description: str) -> None: ...
    def figure(self, figure: Figure) -> None: ...


@dataclass
class Record:
    """Everything a run measured."""

    figures: list[Figure] = field(default_factory=list)
    curves: list[Curve] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Yardstick:
    """The yardstick app served once for the whole run, on the server and flags Storefront uses."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.process = serve(server_command("granian", TARGET, self.port, False, yardstick_dir()), env)
        wait_until_up(self.port, "/")

    def stop(self) -> None:
        stop(self.process)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


# --- syncs and memory ---------------------------------------------------------------------------


async def syncs(deployment: Deployment, options: Options, record: Record, progress: Progress) -> None:
    progress.step(f"full sync of {options.items:,} items through the Zoho client (?wait=true)")
    full = await deployment.sync({"mode": "full"})
    peak, now = deployment.memory_mb("VmHWM"), deployment.memory_mb("VmRSS")
    counts = full.run["counts"]
    limits = f"{NO_ERP_LIMIT}; the emulator in its own process"
    add(
        record,
        progress,
        Figure(
            "sync-full",
            f"Full sync apply, {counts['created']:,} new items into an empty mirror (1 run)",
            seconds(full.apply_seconds),
            target="< 5 s",
            met=full.apply_seconds < 5,
            limits=limits,
            phase="sync",
            notes=[f"run {full.duration_seconds:.1f} s, fetched {counts['fetched']:,}"],
        ),
    )
    gap = full.wall_seconds - full.duration_seconds
    add(
        record,
        progress,
        Figure(
            "sync-wait",
            "Full sync, `?wait=true` wall time against the run's own duration",
            f"{full.wall_seconds:.1f} s vs {full.duration_seconds:.1f} s",
            target="the same within 1 s",
            met=abs(gap) <= 1.0,
            limits=limits,
            phase="sync",
        ),
    )
    add(
        record,
        progress,
        Figure(
            "rss",
            f"Peak RSS of the API process tree after a {counts['fetched']:,}-item full sync",
            f"{peak:.0f} MB",
            target="< 200 MB",
            met=peak < 200,
            limits="granian, one worker: server and worker process summed (VmHWM)",
            phase="sync",
            notes=[f"resident now {now:.0f} MB"],
        ),
    )
    ids = await listed_item_ids(deployment)
    applies, durations = [], []
    for round_number in range(1, options.incremental_rounds + 1):
        progress.step(f"incremental sync, every item changed ({round_number}/{options.incremental_rounds})")
        stock = 50 + round_number
        await deployment.emulator.control.put_items(
            [
                {
                    "item_id": item_id,
                    "stock_on_hand": stock,
                    "available_stock": stock,
                    "actual_available_stock": stock,
                }
                for item_id in ids
            ],
            webhooks=False,
        )
        run = await deployment.sync({"mode": "incremental"})
        applies.append(run.apply_seconds)
        durations.append(run.duration_seconds)
        updated = run.run["counts"]["updated"]
    if applies:
        add(
            record,
            progress,
            Figure(
                "sync-incremental",
                f"Incremental sync apply, {updated:,} items changed (median of {len(applies)})",
                seconds(median(applies)),
                target="< 1 s",
                met=median(applies) < 1,
                limits=limits,
                phase="sync",
                notes=[f"runs {median(durations):.1f} s end to end"],
            ),
        )
    progress.step("VACUUM ANALYZE (what autovacuum leaves after a bulk load)")
    await vacuum_analyze(deployment.database_url)


async def listed_item_ids(deployment: Deployment) -> list[str]:
    connection = await asyncpg.connect(plain_url(deployment.database_url))
    try:
        return [
            row[0] for row in await connection.fetch("SELECT erp_item_id FROM products ORDER BY erp_item_id")
        ]
    finally:
        await connection.close()


# --- cached reads -------------------------------------------------------------------------------


async def cached_reads(
    deployment: Deployment, yardstick: Yardstick, options: Options, record: Record, progress: Progress
) -> None:
    async with deployment.client() as http:
        first = (await http.get(LIST)).json()["data"][0]
    targets = {
        "list": ("Cached product list (`?limit=50`)", LIST),
        "detail": ("Cached product detail", f"{PRODUCTS}/{first['id']}"),
        "categories": ("Cached categories", CATEGORIES),
    }
    async with deployment.client() as http:
        for _, path in targets.values():
            for _ in range(50):
                (await http.get(path)).raise_for_status()
    samples: dict[str, list[tuple[float, float, float]]] = {key: [] for key in ("yardstick", *targets)}
    for run in range(options.runs):
        progress.step(f"cached reads, wrk -c{options.connections} ({run + 1}/{options.runs})")
        samples["yardstick"].append(
            await measure_wrk(yardstick.port, "/", options.duration, options.connections)
        )
        for key, (_, path) in targets.items():
            samples[key].append(
                await measure_wrk(deployment.port, path, options.duration, options.connections)
            )
    ceiling = median([s[0] for s in samples["yardstick"]])
    for key, (what, path) in targets.items():
        rps = median([s[0] for s in samples[key]])
        add(
            record,
            progress,
            Figure(
                f"cached-{key}",
                f"{what}, `GET {path.replace(first['id'], '{id}')}`",
                rate(rps),
                p50_ms=median([s[1] for s in samples[key]]),
                p99_ms=median([s[2] for s in samples[key]]),
                ratio=f"{rps / ceiling:.2f}",
                target="0.8 of the yardstick",
                met=rps / ceiling >= 0.8,
                limits=f"wrk -t1 -c{options.connections} -d{options.duration:g}s, granian one worker, Redis cache",
                phase="cached",
                notes=[f"yardstick {ceiling:,.0f} req/s"],
            ),
        )
    curves = {key: Curve(label) for key, label in (("yardstick", "yardstick"), *((k, k) for k in targets))}
    for key, curve in curves.items():
        curve.points[options.connections] = (
            median([s[0] for s in samples[key]]),
            median([s[1] for s in samples[key]]),
            median([s[2] for s in samples[key]]),
        )
    for connections in options.concurrencies:
        if connections == options.connections:
            continue
        progress.step(f"latency against concurrency: wrk -c{connections}")
        curves["yardstick"].points[connections] = await measure_wrk(
            yardstick.port, "/", options.sweep_duration, connections
        )
        for key, (_, path) in targets.items():
            curves[key].points[connections] = await measure_wrk(
                deployment.port, path, options.sweep_duration, connections
            )
    record.curves.extend(curves.values())


async def measure_wrk(port: int, path: str, duration: float, connections: int) -> tuple[float, float, float]:
    try:
        result = await asyncio.to_thread(wrk, port, path, duration, connections)
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"wrk failed on {path}: {exc.stderr}") from exc
    if result.errors:
        raise RuntimeError(f"wrk saw errors on {path}: {result.errors}")
    return result.requests_per_second, result.p50_ms, result.p99_ms


# --- uncached reads -----------------------------------------------------------------------------


def category_urls(categories: list[str], pages: int) -> list[tuple[str, str]]:
    """(class, URL) of category pages at growing offsets."""
    return [
        ("category page", f"{PRODUCTS}?{urlencode({'category': category, 'skip': page * 50, 'limit': 50})}")
        for page in range(pages)
        for category in categories
    ]


async def uncached_reads(
    deployment: Deployment, yardstick: Yardstick, options: Options, record: Record, progress: Progress
) -> None:
    progress.step("uncached reads: the query mix")
    async with deployment.client() as http:
        categories = [c["name"] for c in (await http.get(CATEGORIES)).json()["data"]]
    mix = await asyncio.to_thread(query_mix, demo_items(options.items))
    urls = category_urls(categories, options.category_pages) + [
        (f"search, {label.replace(' + category', ', within a category')}", url)
        for label, url in search_urls(mix)
    ]
    progress.step(f"uncached reads: {len(urls):,} URLs, each asked once (X-Cache: miss)")
    warm = [f"{PRODUCTS}?{urlencode({'search': text})}" for text in WARM_UP]
    samples = await asyncio.to_thread(each_once_uncached, deployment.port, urls, warm)
    progress.step("uncached reads: the yardstick, same client")
    figures = Figures()
    await asyncio.to_thread(measure_yardstick, yardstick.port, 2000, figures)
    ceiling = percentile(figures.samples["yardstick"], 0.5)
    english = sum(1 for q in mix if q.language == "english")
    for label, values in samples.items():
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        is_search = label.startswith("search")
        add(
            record,
            progress,
            Figure(
                "uncached-" + label.replace(", ", "-").replace(" ", "-"),
                f"Uncached {label} over HTTP ({len(values):,} URLs)",
                ms(p50),
                p50_ms=p50,
                p99_ms=p99,
                ratio=f"{p50 / ceiling:.1f}x",
                target="p50 < 10 ms, p99 < 25 ms" if is_search else "p50 < 5 ms",
                met=(p50 < 10 and p99 < 25) if is_search else p50 < 5,
                limits="one client, one request at a time; Redis cache; every answer a miss",
                phase="uncached",
                notes=[f"yardstick p50 {ceiling:.2f} ms"]
                + ([f"{english} English and {len(mix) - english} Arabic queries"] if is_search else []),
            ),
        )


# --- quotes and orders --------------------------------------------------------------------------


async def sellable(deployment: Deployment, count: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    async with deployment.client() as http:
        skip = 0
        while len(found) < count:
            page = (await http.get(PRODUCTS, params={"limit": 200, "skip": skip})).json()["data"]
            if not page:
                break
            found += [p for p in page if p["stock"] >= 20]
            skip += 200
    return found[:count]


async def closed_loop_yardstick(yardstick: Yardstick, options: Options) -> LoadResult:
    return await closed_loop(
        yardstick.port,
        options.clients,
        lambda n, rng: ("GET", "/", b"", ""),
        seconds=options.write_seconds,
        warmup=1.0,
    )


async def quotes(
    deployment: Deployment, ceiling: float, options: Options, record: Record, progress: Progress
) -> None:
    progress.step(f"cart quotes, {options.clients} clients")
    products = [p["id"] for p in await sellable(deployment, 500)]

    def next_quote(n: int, rng: random.Random) -> Request:
        lines = [{"product_id": pid, "quantity": rng.randint(1, 3)} for pid in rng.sample(products, 3)]
        return "POST", QUOTE, orjson.dumps({"lines": lines}), ""

    result = await closed_loop(
        deployment.port, options.clients, next_quote, seconds=options.write_seconds, warmup=options.warmup
    )
    add(
        record,
        progress,
        Figure(
            "quote",
            "Cart quote, `POST /api/bff/mobile/cart/quote`, three lines",
            rate(result.rate),
            p50_ms=result.p50_ms,
            p99_ms=result.p(0.99),
            ratio=f"{result.rate / ceiling:.3f}",
            limits=f"{options.clients} clients on one address, quote rate limit lifted",
            phase="writes",
            notes=[f"statuses {dict(sorted(result.statuses.items()))}"],
        ),
    )


def order_body(hot: list[str]) -> Callable[[int, random.Random], Request]:
    def next_order(n: int, rng: random.Random) -> Request:
        body = {
            "customer": {"name": f"Bench {n}", "email": f"bench{n}@example.com"},
            "lines": [{"product_id": rng.choice(hot), "quantity": 1}],
        }
        return "POST", ORDERS, orjson.dumps(body), ""

    return next_order


async def make_hot(deployment: Deployment, count: int, stock: int = HOT_STOCK) -> list[str]:
    """`count` products with `stock` units (by default enough for any run), set in the ERP and
    synced by id."""
    hot = [p["erp_item_id"] for p in await sellable(deployment, count)]
    await deployment.emulator.control.put_items(
        [
            {"item_id": i, "stock_on_hand": stock, "available_stock": stock, "actual_available_stock": stock}
            for i in hot
        ],
        webhooks=False,
    )
    await deployment.sync({"item_ids": hot})
    return hot


async def reserved_and_ordered(deployment: Deployment) -> tuple[int, int]:
    connection = await asyncpg.connect(plain_url(deployment.database_url))
    try:
        reserved = await connection.fetchval("SELECT COALESCE(SUM(reserved_stock), 0) FROM products")
        ordered = await connection.fetchval("SELECT COALESCE(SUM(quantity), 0) FROM order_lines")
        return int(reserved), int(ordered)
    finally:
        await connection.close()


async def orders(
    deployment: Deployment, ceiling: float, options: Options, record: Record, progress: Progress
) -> None:
    progress.step("orders: hot products in the ERP, synced by id")
    # Each run gets hot products of its own: the first run's thousands of updates leave dead row
    # versions on its products that the second would otherwise wade through.
    both = await make_hot(deployment, 2 * options.hot_products)
    hot, hot_with_worker = both[: options.hot_products], both[options.hot_products :]
    progress.step("orders, placement only (no push worker)")
    await deployment.start_api(
        run_background_tasks="false", database_pool_size="20", database_max_overflow="0"
    )
    placed = await closed_loop(
        deployment.port,
        options.clients,
        order_body(hot),
        seconds=options.write_seconds,
        warmup=options.warmup,
    )
    reserved, ordered = await reserved_and_ordered(deployment)
    add(
        record,
        progress,
        Figure(
            "orders",
            f"Orders, placement only: one-line orders on {len(hot)} hot products",
            rate(placed.rate, "orders/s"),
            p50_ms=placed.p50_ms,
            p99_ms=placed.p(0.99),
            ratio=f"{placed.rate / ceiling:.3f}",
            target="no oversell: reserved units = ordered units",
            limits=f"{options.clients} clients on one address, order rate limit lifted; no push worker",
            phase="orders",
            met=reserved == ordered,
            notes=[
                f"statuses {dict(sorted(placed.statuses.items()))}",
                f"reserved units {reserved:,} = ordered units {ordered:,}: {reserved == ordered}",
            ],
        ),
    )
    progress.step("orders with the push worker in the process, the ERP at 100 calls a minute")
    await deployment.emulator.control.configure(rate_limit_per_minute=100)
    await deployment.start_api(
        zoho_requests_per_minute="90", database_pool_size="20", database_max_overflow="0"
    )
    with_worker = await closed_loop(
        deployment.port,
        options.clients,
        order_body(hot_with_worker),
        seconds=options.write_seconds,
        warmup=options.warmup,
    )
    share = with_worker.rate / placed.rate if placed.rate else 0.0
    add(
        record,
        progress,
        Figure(
            "orders-worker",
            "Orders with the push worker in the process (pushing the backlog)",
            rate(with_worker.rate, "orders/s"),
            p50_ms=with_worker.p50_ms,
            p99_ms=with_worker.p(0.99),
            ratio=f"{with_worker.rate / ceiling:.3f}",
            target="within 10% of placement only, p99 < 300 ms",
            met=share >= 0.9 and with_worker.p(0.99) < 300,
            limits="the ERP at 100 calls a minute, client budget 90; order rate limit lifted",
            phase="orders",
            notes=[
                f"{share:.0%} of placement only",
                f"statuses {dict(sorted(with_worker.statuses.items()))}",
            ],
        ),
    )


def add(record: Record, progress: Progress, figure: Figure) -> None:
    record.figures.append(figure)
    progress.figure(figure)
