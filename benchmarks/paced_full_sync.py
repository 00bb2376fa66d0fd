"""A full sync under Zoho's real request limit, with orders placed while it runs.

    .venv/bin/python -m benchmarks.paced_full_sync [--items 100000] [--rate-limit 100] [--order-every 20]

Starts `storefront erp-emulator` with a demo catalog of `--items` items, limited to
`--rate-limit` calls a minute per organisation (Zoho's is about 100), and one
`storefront serve` process (PostgreSQL scratch database, push worker in the process) pointed at
it with STOREFRONT_ERP=zoho and the default budget settings (a request budget of 90% of the limit). Triggers a full sync and, while it
runs, places one order every `--order-every` seconds for a product already mirrored. Prints the
run's progress, the time the full sync took, and how long each order took to be confirmed in
the ERP; ends with a pass/fail line: the sync completed, deactivated nothing, and every order was
confirmed before the sync ended.
"""

import argparse
import asyncio
import os
import secrets
import time
from typing import Any

import httpx

from benchmarks.harness.database import scratch_database
from benchmarks.harness.erp import start_emulator, zoho_env
from benchmarks.harness.processes import free_port, start_storefront, terminate, wait_until_live
from storefront.db.migrate import upgrade_async


async def place_order(http: httpx.AsyncClient, n: int) -> dict[str, Any] | None:
    products = (await http.get("/api/consumer/products", params={"limit": 50, "skip": n * 7})).json()["data"]
    in_stock = [product for product in products if product["stock"] > 0]
    if not in_stock:
        return None
    body = {
        "customer": {"name": f"Shopper {n}", "email": f"shopper{n}@example.com"},
        "lines": [{"product_id": in_stock[0]["id"], "quantity": 1}],
    }
    response = await http.post("/api/consumer/orders", json=body)
    return response.json()["data"] if response.status_code == 201 else None


async def main(items: int, rate_limit: int, order_every: float) -> int:
    async with scratch_database("paced") as database_url:
        await upgrade_async(database_url)
        token = secrets.token_urlsafe(32)
        env = {
            **os.environ,
            "STOREFRONT_DATABASE_URL": database_url,
            "STOREFRONT_ADMIN_TOKEN": token,
            "STOREFRONT_SYNC_INTERVAL_SECONDS": "0",
            # The client's own budget stays under the ERP's limit, as the default (90 of 100) does.
            "STOREFRONT_ZOHO_REQUESTS_PER_MINUTE": str(max(rate_limit * 9 // 10, 1)),
            "STOREFRONT_LOG_LEVEL": "WARNING",
        }
        emulator = await start_emulator(env, items=items, rate_limit_per_minute=rate_limit)
        env.update(zoho_env(emulator.url))
        api_port = free_port()
        api = None
        try:
            api = await start_storefront("serve", "--port", str(api_port), env=env)
            await wait_until_live(f"http://127.0.0.1:{api_port}", api)
            return await watch(api_port, token, items, rate_limit, order_every)
        finally:
            await terminate(api)
            await emulator.stop()


async def watch(api_port: int, token: str, items: int, rate_limit: int, order_every: float) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}", timeout=60) as http:
        started = time.monotonic()
        response = await http.post("/api/consumer/sync/inventory", json={"mode": "full"}, headers=headers)
        run_id = response.json()["data"]["id"]
        placed: dict[str, float] = {}
        confirmed: dict[str, float] = {}
        next_order, next_report, n = started, started, 0
        while True:
            run = (await http.get(f"/api/tds/runs/{run_id}", headers=headers)).json()["data"]
            now = time.monotonic()
            if run["status"] != "running":
                break
            if now >= next_order:
                order = await place_order(http, n)
                n += 1
                if order is not None:
                    placed[order["id"]] = now
                next_order = now + order_every
            for order_id in [o for o in placed if o not in confirmed]:
                status = (await http.get(f"/api/consumer/orders/{order_id}")).json()["data"]["status"]
                if status == "confirmed":
                    confirmed[order_id] = time.monotonic()
            if now >= next_report:
                progress = run["progress"]
                print(
                    f"{now - started:7.0f} s  fetched {run['counts']['fetched']:>7}  "
                    f"phase {progress['phase']}  eta {progress['eta_seconds']} s  "
                    f"orders {len(confirmed)}/{len(placed)} confirmed",
                    flush=True,
                )
                next_report = now + 30
            await asyncio.sleep(1)
        duration = time.monotonic() - started
    latencies = sorted(confirmed[o] - placed[o] for o in confirmed)
    print(f"full sync of {items} items at {rate_limit} calls a minute: {run['status']} in {duration:.0f} s")
    print(f"counts: {run['counts']}")
    if latencies:
        print(
            f"orders placed during the sync: {len(placed)}, confirmed during it: {len(confirmed)}, "
            f"confirmation after {latencies[len(latencies) // 2]:.1f} s (median), {latencies[-1]:.1f} s (max)"
        )
    ok = run["status"] == "completed" and run["counts"]["deactivated"] == 0 and len(confirmed) == len(placed)
    print("PASS" if ok else "FAIL", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--rate-limit", type=int, default=100)
    parser.add_argument("--order-every", type=float, default=20.0)
    arguments = parser.parse_args()
    raise SystemExit(asyncio.run(main(arguments.items, arguments.rate_limit, arguments.order_every)))
