"""Throughput of a cached Consumer read against the framework ceiling, on uvicorn and granian.

    .venv/bin/python -m benchmarks.cache_throughput [--duration 10] [--connections 64]
        [--servers uvicorn,granian] [--runs 3] [--redis-url redis://127.0.0.1:6379/0]

Needs `wrk` (Debian: `apt-get install -y wrk`). For each server, in the same run and with the same
flags (`wrk -t1 -c64 -d10s --latency`, one server worker), it measures the yardstick
(benchmarks/harness/yardstick.py: ../shared/yardsticks/ceiling_app.py, pre-encoded bytes) and then a cached
`GET /api/consumer/products?limit=50` of Storefront (a scratch SQLite file with the 1,000-item demo
catalog; the in-process cache, or Redis with --redis-url under a scratch key prefix). It prints
requests/s, p50, p99 and the ratio to the yardstick on that server: the median of --runs runs, the
yardstick and Storefront alternating so both see the same machine load.
"""

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.harness.load import wrk
from benchmarks.harness.processes import ROOT, free_port, server_command, wait_until_up
from benchmarks.harness.yardstick import TARGET, yardstick_dir
from storefront.config import Settings
from storefront.db.engine import create_database
from storefront.db.migrate import upgrade_async
from storefront.demo.loader import load_demo_catalog

PATH = "/api/consumer/products?limit=50"


@dataclass
class Result:
    server: str
    app: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: str


def measure(
    server: str, app: str, command: list[str], env: dict[str, str], port: int, args: argparse.Namespace
) -> Result:
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        path = PATH if app == "storefront" else "/"
        wait_until_up(port, path)
        for _ in range(50):  # warm the cache and the connection pools
            httpx.get(f"http://127.0.0.1:{port}{path}")
        result = wrk(port, path, args.duration, args.connections)
        return Result(server, app, result.requests_per_second, result.p50_ms, result.p99_ms, result.errors)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def median_of(results: list[Result]) -> Result:
    return Result(
        results[0].server,
        results[0].app,
        statistics.median(r.requests_per_second for r in results),
        statistics.median(r.p50_ms for r in results),
        statistics.median(r.p99_ms for r in results),
        " ".join(r.errors for r in results if r.errors),
    )


async def prepare_database(url: str) -> None:
    await upgrade_async(url)
    settings = Settings(_env_file=None, database_url=url)
    database = create_database(settings)
    try:
        await load_demo_catalog(database, settings.price_list, 1000)
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--servers", default="uvicorn,granian")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--redis-url", default=None)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: install it with `apt-get install -y wrk` (Debian package `wrk`)")

    scratch = Path(tempfile.mkdtemp(prefix="storefront-bench-"))
    url = f"sqlite+aiosqlite:///{scratch / 'bench.db'}"
    asyncio.run(prepare_database(url))
    env = {
        **os.environ,
        "STOREFRONT_DATABASE_URL": url,
        "STOREFRONT_ERP": "emulator",
        "STOREFRONT_RUN_BACKGROUND_TASKS": "false",
        "STOREFRONT_LOG_LEVEL": "WARNING",
        "STOREFRONT_CACHE_PREFIX": f"storefront-bench-{uuid.uuid4().hex[:8]}",
    }
    env.pop("STOREFRONT_REDIS_URL", None)
    if args.redis_url:
        env["STOREFRONT_REDIS_URL"] = args.redis_url
    runs: list[Result] = []
    try:
        for server in args.servers.split(","):
            for _ in range(args.runs):
                port = free_port()
                yardstick = server_command(server, TARGET, port, False, yardstick_dir())
                runs.append(measure(server, "yardstick", yardstick, env, port, args))
                port = free_port()
                storefront = server_command(server, "storefront.app:create_app", port, True, None)
                runs.append(measure(server, "storefront", storefront, env, port, args))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    results = [
        median_of([r for r in runs if (r.server, r.app) == key])
        for key in dict.fromkeys((r.server, r.app) for r in runs)
    ]

    backend = "redis" if args.redis_url else "memory"
    print(
        f"wrk -t1 -c{args.connections} -d{args.duration}s --latency, one worker, cache backend: {backend}, "
        f"median of {args.runs} runs"
    )
    print(f"{'server':8} {'app':10} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'of yardstick':>12}  errors")
    ceilings = {r.server: r.requests_per_second for r in results if r.app == "yardstick"}
    for r in results:
        ratio = r.requests_per_second / ceilings[r.server]
        print(
            f"{r.server:8} {r.app:10} {r.requests_per_second:10.0f} {r.p50_ms:8.2f} {r.p99_ms:8.2f} "
            f"{ratio:11.1%}  {r.errors}"
        )


if __name__ == "__main__":
    main()
