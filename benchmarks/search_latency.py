"""Search latency over HTTP on PostgreSQL with a large catalog, every request a cache miss.

    .venv/bin/python -m benchmarks.search_latency [--products 100000] [--runs 3] [--server granian]

Creates a scratch PostgreSQL database, loads the demo catalog through the catalog writer (about
three items in four carry an Arabic name) and VACUUM ANALYZEs it. Then, per run, it starts
Storefront (one worker, the in-process cache, a fresh process so the cache is empty) and asks
`GET /api/consumer/products?search=...` once for each query of the mix, alone and within the
category of the product it aims at: every URL once, so every answer is computed (the benchmark
checks each `X-Cache: miss`). The mix is what shoppers type, in English and in Arabic: whole
words and names, words half typed, brand and product together, Arabic with and without hamza,
ta marbuta or the article, Arabic-Indic digits, one letter missing or wrong, and exact SKUs.
The yardstick (/work/shared/yardsticks/ceiling_app.py) is asked as many times by the same client
on the same server. Prints p50 and p99 per language, with and without a category: the median of
the runs, and the ratio of Storefront's p50 to the yardstick's.
"""

import argparse
import asyncio
import os
import random
import statistics
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from benchmarks.harness.database import scratch_database, vacuum_analyze
from benchmarks.harness.load import STORE_EVERY_LIST, each_once_uncached, percentile, timed_get
from benchmarks.harness.processes import free_port, serve, server_command, stop, wait_until_up
from benchmarks.harness.yardstick import TARGET, yardstick_dir
from storefront.config import Settings
from storefront.db.engine import create_database
from storefront.db.migrate import upgrade_async
from storefront.demo.catalog import ARABIC, BRANDS, CATEGORIES, demo_consumer_rates, demo_items
from storefront.demo.loader import load_demo_catalog

PATH = "/api/consumer/products"
# Asked before measuring (to open the pool's connections), never in the mix.
WARM_UP = ["warm up", "تسخين", "coffe", "قهو", "zz"]


@dataclass(frozen=True)
class Query:
    language: str
    text: str
    category: str


@dataclass
class Figures:
    samples: dict[str, list[float]] = field(default_factory=dict)

    def add(self, label: str, milliseconds: float) -> None:
        self.samples.setdefault(label, []).append(milliseconds)


def typed_plainly(arabic: str) -> str:
    """Arabic as typed fast on a phone: no hamza on alef, heh for ta marbuta, yeh for alef maksura."""
    return arabic.translate(str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "ى": "ي"}))


def one_letter_off(word: str, rng: random.Random) -> str:
    at = rng.randrange(1, len(word) - 1)
    if rng.random() < 0.5:
        return word[:at] + word[at + 1 :]
    return word[:at] + rng.choice("aeiou" if word.isascii() else "ابتسمنلي") + word[at + 1 :]


def query_mix(items: list[dict[str, Any]], seed: int = 7) -> list[Query]:
    """The queries of the benchmark: each distinct, each with the category of what it looks for."""
    rng = random.Random(seed)
    category_of = {product: category for category, products in CATEGORIES.items() for product in products}
    found: dict[tuple[str, str], Query] = {}

    def add(language: str, query: str, category: str) -> None:
        found.setdefault((language, query), Query(language, query, category))

    for product, category in category_of.items():
        words = product.lower().split()
        arabic = ARABIC[product]
        arabic_words = arabic.split()
        brand = rng.choice(BRANDS)
        add("english", product.lower(), category)
        add("english", words[-1], category)
        add("english", words[-1][:4], category)
        add("english", f"{brand.lower()} {words[-1]}", category)
        if len(words[-1]) >= 5:
            add("english", one_letter_off(words[-1], rng), category)
        add("arabic", arabic, category)
        add("arabic", typed_plainly(arabic), category)
        add("arabic", "ال" + arabic_words[0], category)
        add("arabic", arabic_words[0][:3], category)
        add("arabic", f"{arabic_words[0]} {ARABIC[brand]}", category)
        add("arabic", f"{typed_plainly(arabic_words[0])} {rng.choice(['١', '٢', '٥'])} كغم", category)
        if len(arabic_words[0]) >= 5:
            add("arabic", one_letter_off(arabic_words[0], rng), category)
    for brand in BRANDS:
        add("english", brand.lower(), rng.choice(list(CATEGORIES)))
        add("arabic", typed_plainly(ARABIC[brand]), rng.choice(list(CATEGORIES)))
    # SKUs of products on sale (active, in stock, priced), as a shopper copies them off a shelf.
    rates = demo_consumer_rates(items)
    on_sale = [
        i
        for i in items
        if i["status"] == "active" and int(str(i["stock_on_hand"])) > 0 and i["item_id"] in rates
    ]
    for item in rng.sample(on_sale, 40):
        add("english", str(item["sku"]), str(item["category_name"]))
    return [query for query in found.values() if query.text not in WARM_UP]


async def prepare(url: str, products: int) -> None:
    await upgrade_async(url)
    database = create_database(Settings(_env_file=None, database_url=url))
    try:
        began = time.perf_counter()
        await load_demo_catalog(database, "consumer_iqd", products)
        print(f"loaded {products:,} products in {time.perf_counter() - began:.1f} s")
    finally:
        await database.dispose()
    await vacuum_analyze(url)


def search_urls(mix: list[Query]) -> list[tuple[str, str]]:
    """(class, URL) of every query of the mix, alone and within the category of what it looks for."""
    urls = []
    for query in mix:
        urls.append((query.language, f"{PATH}?{urlencode({'search': query.text})}"))
        params = {"search": query.text, "category": query.category}
        urls.append((f"{query.language} + category", f"{PATH}?{urlencode(params)}"))
    return urls


def measure_storefront(port: int, mix: list[Query], figures: Figures) -> None:
    warm = [f"{PATH}?{urlencode({'search': text})}" for text in WARM_UP]
    for label, samples in each_once_uncached(port, search_urls(mix), warm).items():
        figures.samples.setdefault(label, []).extend(samples)


def measure_yardstick(port: int, requests: int, figures: Figures) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10.0) as client:
        for _ in range(50):
            client.get("/")
        for _ in range(requests):
            figures.add("yardstick", timed_get(client, "/")[0])


def report(runs: list[Figures], mix: list[Query]) -> None:
    counts = {language: sum(1 for q in mix if q.language == language) for language in ("english", "arabic")}
    print(
        f"queries: {counts['english']} English, {counts['arabic']} Arabic; each alone and within a category"
    )
    print(f"{'class':22} {'p50 ms':>8} {'p99 ms':>8} {'p50 / yardstick':>16}   (median of {len(runs)} runs)")
    yardstick = statistics.median(percentile(run.samples["yardstick"], 0.5) for run in runs)
    for label in runs[0].samples:
        p50 = statistics.median(percentile(run.samples[label], 0.5) for run in runs)
        p99 = statistics.median(percentile(run.samples[label], 0.99) for run in runs)
        print(f"{label:22} {p50:8.2f} {p99:8.2f} {p50 / yardstick:15.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--server", choices=["granian", "uvicorn"], default="granian")
    args = parser.parse_args()

    asyncio.run(run(args))


async def run(args: argparse.Namespace) -> None:
    async with scratch_database() as url:
        await prepare(url, args.products)
        await asyncio.to_thread(measure_all, url, args)


def measure_all(url: str, args: argparse.Namespace) -> None:
    mix = query_mix(demo_items(args.products))
    env = {
        **os.environ,
        "STOREFRONT_DATABASE_URL": url,
        "STOREFRONT_ERP": "emulator",
        "STOREFRONT_RUN_BACKGROUND_TASKS": "false",
        "STOREFRONT_ERP_EMULATOR_DEMO_ITEMS": "0",
        "STOREFRONT_LOG_LEVEL": "WARNING",
        "STOREFRONT_CACHE_MAX_ENTRIES_OVERRIDES": STORE_EVERY_LIST,
    }
    env.pop("STOREFRONT_REDIS_URL", None)
    runs = []
    for _ in range(args.runs):
        figures = Figures()
        port = free_port()
        storefront = serve(server_command(args.server, "storefront.app:create_app", port, True, None), env)
        try:
            wait_until_up(port, "/health/live")
            measure_storefront(port, mix, figures)
        finally:
            stop(storefront)
        port = free_port()
        yardstick = serve(server_command(args.server, TARGET, port, False, yardstick_dir()), env)
        try:
            wait_until_up(port, "/")
            measure_yardstick(port, 2 * len(mix), figures)
        finally:
            stop(yardstick)
        runs.append(figures)
    report(runs, mix)


if __name__ == "__main__":
    main()
