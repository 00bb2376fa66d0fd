"""Throughput of the cached BFF screens and of a /metrics scrape, against the framework ceiling.

    .venv/bin/python -m benchmarks.bff_screens [--duration 10] [--connections 64] [--server granian]

Needs `wrk`. In one run, with the same server and flags (`wrk -t1 -cN -dDs --latency`, one
worker), it measures the yardstick (/work/shared/yardsticks/ceiling_app.py), then Storefront on a
scratch SQLite file with the 1,000-item demo catalog and the in-process cache: the cached home
screen, a cached product screen (with its related products), and `GET /metrics` (never cached:
it reads the pools and the database at every scrape). Prints req/s, p50, p99, the ratio to the
yardstick, and the median of five runs of each when `--repeat 5` is given.
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
from pathlib import Path

import httpx

from benchmarks.cache_throughput import prepare_database
from benchmarks.harness.load import wrk
from benchmarks.harness.processes import ROOT, free_port, server_command, wait_until_up
from benchmarks.harness.yardstick import TARGET, yardstick_dir


def run(
    command: list[str], env: dict[str, str], port: int, paths: list[str], args: argparse.Namespace
) -> dict[str, list[tuple[float, float, float]]]:
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    figures: dict[str, list[tuple[float, float, float]]] = {path: [] for path in paths}
    try:
        wait_until_up(port, paths[0])
        for path in paths:
            for _ in range(20):
                httpx.get(f"http://127.0.0.1:{port}{path}")
        for _ in range(args.repeat):
            for path in paths:
                result = wrk(port, path, args.duration, args.connections)
                figures[path].append((result.requests_per_second, result.p50_ms, result.p99_ms))
        return figures
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--server", default="granian", choices=["granian", "uvicorn"])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: install it with `apt-get install -y wrk` (Debian package `wrk`)")

    scratch = Path(tempfile.mkdtemp(prefix="storefront-bench-"))
    url = f"sqlite+aiosqlite:///{scratch / 'bench.db'}"
    asyncio.run(prepare_database(url))
    env = {name: value for name, value in os.environ.items() if not name.startswith("STOREFRONT_")}
    env.update(
        STOREFRONT_DATABASE_URL=url,
        STOREFRONT_ERP="emulator",
        STOREFRONT_RUN_BACKGROUND_TASKS="false",
        STOREFRONT_LOG_LEVEL="WARNING",
        STOREFRONT_CACHE_PREFIX=f"storefront-bench-{uuid.uuid4().hex[:8]}",
    )
    try:
        port = free_port()
        yardstick = run(
            server_command(args.server, TARGET, port, False, yardstick_dir()), env, port, ["/"], args
        )
        port = free_port()
        probe = server_command(args.server, "storefront.app:create_app", port, True, None)
        product_id = _first_product(probe, env, port)
        paths = ["/api/bff/mobile/home", f"/api/bff/mobile/products/{product_id}", "/metrics"]
        port = free_port()
        storefront = run(
            server_command(args.server, "storefront.app:create_app", port, True, None), env, port, paths, args
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    def median(rows: list[tuple[float, float, float]], index: int) -> float:
        return statistics.median(row[index] for row in rows)

    ceiling = median(yardstick["/"], 0)
    print(
        f"{args.server}, wrk -t1 -c{args.connections} -d{args.duration}s --latency, one worker, "
        f"median of {args.repeat} run(s)"
    )
    print(f"{'target':40} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'of yardstick':>12}")
    for name, rows in [("yardstick", yardstick["/"]), *((path, storefront[path]) for path in paths)]:
        label = name.replace(product_id, "{product_id}")
        rps = median(rows, 0)
        print(f"{label:40} {rps:9.0f} {median(rows, 1):8.2f} {median(rows, 2):8.2f} {rps / ceiling:11.1%}")


def _first_product(command: list[str], env: dict[str, str], port: int) -> str:
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until_up(port, "/health/live")
        product: str = httpx.get(f"http://127.0.0.1:{port}/api/consumer/products?limit=1").json()["data"][0][
            "id"
        ]
        return product
    finally:
        process.terminate()
        process.wait(timeout=15)


if __name__ == "__main__":
    main()
