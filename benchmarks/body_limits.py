"""Peak memory of a worker while clients send huge bodies (the body limits at work).

    .venv/bin/python -m benchmarks.body_limits [--servers granian,uvicorn] [--clients 4] [--megabytes 250]

For each server it starts `storefront serve` (one worker, a scratch SQLite file), then `--clients`
clients at once POST a `--megabytes` body to /api/consumer/orders and /api/tds/webhooks/zoho, once
with a Content-Length and once chunked (no length: the limit is met while streaming). It prints
each worker's resident memory before the run and its peak (VmHWM) after, in MB.
"""

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from benchmarks.harness.processes import descendants, free_port, memory_mb

BIN = Path(sys.executable).parent
CHUNK = b"a" * (1024 * 1024)
PATHS = ("/api/consumer/orders", "/api/tds/webhooks/zoho")


async def body(megabytes: int) -> AsyncIterator[bytes]:
    for _ in range(megabytes):
        yield CHUNK


async def send(base: str, path: str, megabytes: int, declared: bool) -> str:
    headers = {"Content-Type": "application/json"}
    if declared:
        headers["Content-Length"] = str(megabytes * len(CHUNK))
    async with httpx.AsyncClient(timeout=120) as client:
        try:
            response = await client.post(base + path, content=body(megabytes), headers=headers)
        except httpx.HTTPError as exc:
            return type(exc).__name__
        return str(response.status_code)


async def attack(base: str, clients: int, megabytes: int) -> list[str]:
    outcomes: list[str] = []
    for declared in (True, False):
        for path in PATHS:
            outcomes += await asyncio.gather(*(send(base, path, megabytes, declared) for _ in range(clients)))
    return outcomes


def run(server: str, clients: int, megabytes: int, scratch: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOREFRONT_")}
    env.update(
        STOREFRONT_DATABASE_URL=f"sqlite+aiosqlite:///{scratch / 'bench.db'}",
        STOREFRONT_ERP="emulator",
        STOREFRONT_RUN_BACKGROUND_TASKS="false",
        STOREFRONT_ERP_EMULATOR_DEMO_ITEMS="10",
        STOREFRONT_ZOHO_WEBHOOK_ALLOW_UNSIGNED="true",
        STOREFRONT_LOG_LEVEL="WARNING",
    )
    subprocess.run([str(BIN / "storefront"), "migrate"], env=env, check=True, capture_output=True)
    process = subprocess.Popen(
        [str(BIN / "storefront"), "serve", "--server", server, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/health/live").status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        workers = [process.pid, *descendants(process.pid)]
        before = {pid: memory_mb(pid, "VmRSS") for pid in workers}
        began = time.perf_counter()
        outcomes = asyncio.run(attack(base, clients, megabytes))
        took = time.perf_counter() - began
        peaks = {pid: memory_mb(pid, "VmHWM") for pid in workers}
        after = {pid: memory_mb(pid, "VmRSS") for pid in workers}
    finally:
        process.terminate()
        process.wait(timeout=15)
    answers = {outcome: outcomes.count(outcome) for outcome in sorted(set(outcomes))}
    print(f"{server}: {len(outcomes)} requests of {megabytes} MB in {took:.1f} s, answers {answers}")
    for pid in workers:
        print(
            f"  pid {pid}: RSS before {before[pid]:.0f} MB, peak {peaks[pid]:.0f} MB, after {after[pid]:.0f} MB"
        )
    print(f"  peak of any process: {max(peaks.values()):.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--servers", default="granian,uvicorn")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--megabytes", type=int, default=250)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="storefront-bodies-"))
    try:
        for server in args.servers.split(","):
            run(server, args.clients, args.megabytes, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
