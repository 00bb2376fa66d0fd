"""Orders under a spent daily ERP quota: none fails, none is released, all are confirmed once after the reset.

    .venv/bin/python -m benchmarks.quota_pause [--minutes 10] [--orders-per-minute 30]

Starts `storefront erp-emulator` and one `storefront serve` (PostgreSQL scratch database, push
worker and settler in the process) pointed at it, syncs the demo catalog, then spends the
organisation's daily quota so that it resets after `--minutes`. During that time shoppers keep
ordering (`--orders-per-minute`); the script checks every minute that every order is still
`accepted` with its stock held, and that /health/ready says why. After the reset it waits for the
backlog to drain and checks that every order is `confirmed`, each with exactly one sales order in
the ERP. Ends with a pass/fail line.
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


async def statuses(http: httpx.AsyncClient, ids: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for order_id in ids:
        status = (await http.get(f"/api/consumer/orders/{order_id}")).json()["data"]["status"]
        counts[status] = counts.get(status, 0) + 1
    return counts


async def main(minutes: float, per_minute: int) -> int:
    async with scratch_database("quota") as database_url:
        await upgrade_async(database_url)
        token = secrets.token_urlsafe(32)
        env = {
            **os.environ,
            "STOREFRONT_DATABASE_URL": database_url,
            "STOREFRONT_ADMIN_TOKEN": token,
            "STOREFRONT_LOG_LEVEL": "WARNING",
            # Every shopper here is one address: the per-client limit on orders is lifted.
            "STOREFRONT_RATE_LIMIT_ORDERS": "100000/minute",
        }
        emulator = await start_emulator(env, items=1000)
        env.update(zoho_env(emulator.url))
        api_port = free_port()
        api = None
        try:
            api = await start_storefront("serve", "--port", str(api_port), env=env)
            await wait_until_live(f"http://127.0.0.1:{api_port}", api)
            return await spend_and_wait(api_port, emulator.url, token, minutes, per_minute)
        finally:
            await terminate(api)
            await emulator.stop()


async def spend_and_wait(api_port: int, erp_url: str, token: str, minutes: float, per_minute: int) -> int:
    ok = True
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}", timeout=60) as http,
        httpx.AsyncClient(base_url=erp_url + "/_emulator", timeout=60) as control,
    ):
        run = await http.post(
            "/api/consumer/sync/inventory?wait=true", json={"mode": "full"}, headers=headers
        )
        assert run.json()["data"]["status"] == "completed", run.text
        products = [
            product
            for product in (await http.get("/api/consumer/products", params={"limit": 200})).json()["data"]
            if product["stock"] >= 20
        ]
        # The day ends now and the next one begins after `minutes`: every call until then is refused.
        await control.put(
            "/config", json={"daily_quota_period_seconds": int(minutes * 60), "daily_quota": 5000}
        )
        await control.put("/quota", json={"restart_day": True, "spend": 5000})
        placed: list[str] = []
        started = time.monotonic()
        next_check = started + 60
        n = 0
        while time.monotonic() - started < minutes * 60 - 5:
            product = products[n % len(products)]
            body: dict[str, Any] = {
                "customer": {"name": f"Shopper {n}", "email": f"shopper{n}@example.com"},
                "lines": [{"product_id": product["id"], "quantity": 1}],
            }
            response = await http.post("/api/consumer/orders", json=body)
            if response.status_code == 201:
                placed.append(response.json()["data"]["id"])
            n += 1
            if time.monotonic() >= next_check:
                counts = await statuses(http, placed)
                ready = (await http.get("/health/ready")).json()["data"]["details"]["erp"]
                print(
                    f"{time.monotonic() - started:5.0f} s  {len(placed)} orders: {counts}; erp: {ready.get('reasons')}",
                    flush=True,
                )
                ok = ok and set(counts) == {"accepted"}
                next_check += 60
            await asyncio.sleep(60 / per_minute)
        print(f"quota resets; {len(placed)} orders waiting", flush=True)
        deadline = time.monotonic() + 15 * 60
        while time.monotonic() < deadline:
            counts = await statuses(http, placed)
            if counts.get("confirmed") == len(placed):
                break
            await asyncio.sleep(10)
        salesorders = (await control.get("/salesorders")).json()["salesorders"]
        numbers = [order["salesorder_number"] for order in salesorders]
        print(
            f"after the reset: {counts}; sales orders in the ERP: {len(salesorders)} ({len(set(numbers))} distinct)"
        )
        ok = ok and counts == {"confirmed": len(placed)} and len(numbers) == len(set(numbers)) == len(placed)
    print("PASS" if ok else "FAIL", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--orders-per-minute", type=int, default=30)
    arguments = parser.parse_args()
    raise SystemExit(asyncio.run(main(arguments.minutes, arguments.orders_per_minute)))
