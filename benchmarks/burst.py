"""A burst of orders under Zoho's real limits, against the default deployment.

    .venv/bin/python -m benchmarks.burst [--orders 10000] [--clients 64] [--repeat-share 0.3]
        [--drain-minutes 5] [--placement-seconds 10]

The ERP is `storefront erp-emulator` at its defaults, Zoho's limits: 100 calls a minute, 10,000 a
day, 10 in flight. Storefront is the default deployment: one `storefront serve` (granian) on a
scratch PostgreSQL database and Redis key prefix, the push worker and the settler in the process,
the client's budget at its default 90 calls a minute. After a full sync of the demo catalog (a
few products given stock enough for the burst), `--clients` clients send `--orders` one-line
orders as fast as they are answered. Every client is 127.0.0.1, so the per-client order limit is
lifted for the run. A share of the orders (`--repeat-share`) comes from a few hundred repeat
shoppers, the rest from shoppers seen once.

Then it watches the push backlog drain for `--drain-minutes` (the metrics, the emulator's calls),
and stops there: draining 10,000 orders at 90 calls a minute takes hours, so the time left is
extrapolated from the rate measured, and said to be. Last, the same deployment without its
worker measures placement alone for `--placement-seconds` (after 3 s of warm-up), the rate the
burst is held to.

Checks, ending with PASS or FAIL: placement within 10% of placement alone and p99 under 300 ms;
no 429 from the ERP (the pushes stay within its budget); every accepted order in the database,
none failed; every order confirmed so far has exactly one sales order in the ERP, with its number,
confirmed, and the ERP holds no sales order that is not one of ours or is there twice; one
contact lookup and one create per new shopper, none for a repeat shopper's later orders; the
backlog's size, age and expected drain time in /metrics and on the dashboard.
"""

import argparse
import asyncio
import itertools
import random
import re
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson

from benchmarks.harness.database import plain_url
from benchmarks.harness.load import LoadResult, Request, closed_loop
from benchmarks.suite.deployment import Deployment, deployment
from benchmarks.suite.phases import make_hot

ORDERS = "/api/consumer/orders"
METRICS = (
    "storefront_push_backlog",
    "storefront_push_oldest_age_seconds",
    "storefront_push_expected_drain_seconds",
)


class Shoppers:
    """Who places the next order: a repeat shopper (`share` of the orders) or one seen once."""

    def __init__(self, share: float, regulars: int, tag: str) -> None:
        self.share, self.regulars, self.tag = share, regulars, tag
        self.counter = itertools.count()

    def orders(self, hot: list[str]) -> Any:
        def next_order(n: int, rng: random.Random) -> Request:
            i = next(self.counter)
            repeat = rng.random() < self.share
            who = f"regular{rng.randrange(self.regulars)}" if repeat else f"{self.tag}{i}"
            body = {
                "customer": {"name": who.title(), "email": f"{who}@example.com"},
                "lines": [{"product_id": rng.choice(hot), "quantity": 1}],
            }
            return "POST", ORDERS, orjson.dumps(body), ""

        return next_order


def metric(text: str, name: str) -> float | None:
    found = re.search(rf"^{name} ([0-9.e+-]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else None


async def observe(running: Deployment, http: httpx.AsyncClient) -> dict[str, float | None]:
    text = (await http.get("/metrics", headers=running.admin)).text
    return {name: metric(text, name) for name in METRICS}


async def order_rows(running: Deployment) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(plain_url(running.database_url))
    try:
        return await connection.fetch(
            "SELECT o.id::text AS id, o.number, o.status, lower(o.customer_email) AS email, o.confirmed_at "
            "FROM orders o ORDER BY o.created_at"
        )
    finally:
        await connection.close()


def contact_calls(requests: list[dict[str, Any]]) -> tuple[Counter[str], Counter[str]]:
    """Per email: the contact lookups and the contact creates the ERP received."""
    lookups: Counter[str] = Counter()
    creates: Counter[str] = Counter()
    for request in requests:
        if request["path"].rstrip("/") != "/contacts":
            continue
        if request["method"] == "GET":
            for name, value in request["query"]:
                if name == "email":
                    lookups[value.lower()] += 1
        elif request["method"] == "POST":
            body = request.get("json") or orjson.loads((request.get("form") or {}).get("JSONString", "{}"))
            for person in body.get("contact_persons") or []:
                creates[str(person.get("email", "")).lower()] += 1
    return lookups, creates


async def all_requests(running: Deployment) -> list[dict[str, Any]]:
    return await running.emulator.control.requests(0)


async def dashboard_tile(running: Deployment) -> str:
    async with running.client() as http:
        await http.post("/dashboard/login", data={"token": running.token})
        page = (await http.get("/dashboard")).text
    found = re.search(r'id="push-drain">([^<]*)<', page)
    backlog = re.search(r'id="push-backlog">(\d+)<', page)
    return f"backlog {backlog.group(1) if backlog else '?'}, {found.group(1) if found else 'no expected drain shown'}"


def pct(result: LoadResult, fraction: float) -> float:
    return result.p(fraction)


async def main(args: argparse.Namespace) -> int:
    logs = Path(tempfile.mkdtemp(prefix="storefront-burst-")) / "processes.log"
    print(f"process output: {logs}", flush=True)
    # Zoho's limits at the ERP; Storefront's settings at their defaults but for the order limit per client.
    async with deployment(
        args.catalog, logs, erp_rate_limit=100, erp_daily_quota=10_000, sync_interval_seconds="300"
    ) as running:
        checks: list[tuple[str, bool, str]] = []

        def check(name: str, ok: bool, detail: str) -> None:
            checks.append((name, ok, detail))
            print(f"  [{'ok' if ok else 'FAILED'}] {name}: {detail}", flush=True)

        await running.start_api()
        run = await running.sync({"mode": "full"})
        print(
            f"full sync of {run.run['counts']['fetched']:,} items: {run.duration_seconds:.1f} s", flush=True
        )
        hot = await make_hot(running, args.hot_products, stock=args.orders)
        await running.emulator.control.clear_requests()
        calls_before = (await running.emulator.control.stats())["total_calls"]

        print(
            f"burst: {args.orders:,} orders from {args.clients} clients, {args.repeat_share:.0%} from repeat shoppers",
            flush=True,
        )
        shoppers = Shoppers(args.repeat_share, args.regulars, "shopper")
        burst_began = time.monotonic()
        burst = await closed_loop(
            running.port, args.clients, shoppers.orders(hot), requests=args.orders, keep_bodies=True
        )
        accepted = [orjson.loads(body)["data"] for body in burst.bodies]
        print(
            f"  {burst.rate:,.0f} orders/s over {burst.seconds:.1f} s, p50 {burst.p50_ms:.0f} ms, "
            f"p99 {pct(burst, 0.99):.0f} ms, statuses {dict(sorted(burst.statuses.items()))}",
            flush=True,
        )

        print(f"drain: watching for {args.drain_minutes:g} minutes", flush=True)
        samples: list[tuple[float, int, dict[str, float | None]]] = []
        async with running.client() as http:
            deadline = burst_began + args.drain_minutes * 60
            while True:
                now = time.monotonic()
                seen = await observe(running, http)
                confirmed = sum(1 for row in await order_rows(running) if row["status"] == "confirmed")
                samples.append((now - burst_began, confirmed, seen))
                drain = seen["storefront_push_expected_drain_seconds"]
                print(
                    f"  {now - burst_began:6.0f} s  confirmed {confirmed:>6,}  backlog {seen['storefront_push_backlog']:>8,.0f}"
                    f"  oldest {seen['storefront_push_oldest_age_seconds'] or 0:6.0f} s"
                    f"  expected drain {(drain or 0) / 60:6.1f} min",
                    flush=True,
                )
                if now >= deadline:
                    break
                await asyncio.sleep(min(15.0, max(deadline - now, 0.5)))
        tile = await dashboard_tile(running)
        watched = time.monotonic() - burst_began
        # Stopped, so that what the ERP holds and what the database says are read at one moment.
        await running.stop_api()
        stats = await running.emulator.control.stats()
        requests = await all_requests(running)
        rows = await order_rows(running)
        salesorders = await running.emulator.control.salesorders()

        print("placement alone: the same deployment without its push worker", flush=True)
        await running.start_api(run_background_tasks="false")
        alone = await closed_loop(
            running.port,
            args.clients,
            Shoppers(args.repeat_share, args.regulars, "alone").orders(hot),
            seconds=args.placement_seconds,
            warmup=3.0,
        )
        print(
            f"  {alone.rate:,.0f} orders/s, p50 {alone.p50_ms:.0f} ms, p99 {pct(alone, 0.99):.0f} ms, "
            f"statuses {dict(sorted(alone.statuses.items()))}",
            flush=True,
        )

    print("checks:", flush=True)
    share = burst.rate / alone.rate if alone.rate else 0.0
    check(
        "placement within 10% of placement alone",
        share >= 0.9,
        f"{burst.rate:,.0f} vs {alone.rate:,.0f} orders/s ({share:.0%})",
    )
    check(
        "placement p99 under 300 ms",
        pct(burst, 0.99) < 300,
        f"p99 {pct(burst, 0.99):.0f} ms, p50 {burst.p50_ms:.0f} ms",
    )
    check(
        "every order answered 201",
        burst.statuses == {201: args.orders},
        f"statuses {dict(sorted(burst.statuses.items()))}",
    )

    throttled = sum(
        int(count)
        for by_status in stats["calls"].values()
        for status, count in by_status.items()
        if status == "429"
    )
    window = samples[-1][0] - samples[0][0]
    first, last = samples[0], samples[-1]
    calls = stats["total_calls"] - calls_before
    check(
        "the pushes stay within the ERP's budget (no 429)",
        throttled == 0,
        f"{throttled} answers 429; {calls:,} calls in {watched / 60:.1f} min ({calls / (watched / 60):.0f} a minute)",
    )

    ids = {row["id"] for row in rows}
    burst_orders = [row for row in rows if row["id"] in {order["id"] for order in accepted}]
    lost = [order["id"] for order in accepted if order["id"] not in ids]
    failed = [row for row in burst_orders if row["status"] not in ("accepted", "confirmed")]
    check(
        "nothing lost",
        not lost and not failed,
        f"{len(accepted):,} accepted, {len(lost)} missing, {len(failed)} failed or cancelled",
    )

    numbers = Counter(str(so.get("salesorder_number")) for so in salesorders)
    ours = {row["number"]: row for row in rows}
    confirmed_rows = [row for row in rows if row["status"] == "confirmed"]
    doubled = [n for n, count in numbers.items() if count > 1]
    strangers = [n for n in numbers if n not in ours]
    unconfirmed_in_erp = [
        so["salesorder_number"]
        for so in salesorders
        if ours.get(so["salesorder_number"], {"status": ""})["status"] == "confirmed"
        and so.get("status") != "confirmed"
    ]
    missing_in_erp = [row["number"] for row in confirmed_rows if numbers.get(row["number"], 0) != 1]
    check(
        "nothing doubled: one confirmed sales order per confirmed order",
        not doubled and not strangers and not missing_in_erp and not unconfirmed_in_erp,
        f"{len(confirmed_rows):,} confirmed, {len(salesorders):,} sales orders in the ERP; {len(doubled)} doubled, "
        f"{len(strangers)} not ours, {len(missing_in_erp)} missing, {len(unconfirmed_in_erp)} not confirmed there",
    )

    lookups, creates = contact_calls(requests)
    pushed_emails = Counter(row["email"] for row in confirmed_rows)
    repeats = sum(count - 1 for count in pushed_emails.values())
    twice = [email for email in set(lookups) | set(creates) if lookups[email] > 1 or creates[email] > 1]
    never = [email for email in pushed_emails if lookups[email] != 1]
    check(
        "known contacts cost no ERP call",
        not twice and not never and repeats > 0,
        f"{len(confirmed_rows):,} orders pushed for {len(pushed_emails):,} shoppers, {repeats:,} of them by a shopper "
        f"already known: {sum(lookups.values()):,} contact lookups and {sum(creates.values()):,} creates in all; "
        f"{len(twice)} shoppers looked up or created twice, {len(never)} pushed without one lookup",
    )

    last_seen = last[2]
    present = all(last_seen[name] is not None for name in METRICS)
    shown = ", ".join(f"{name.removeprefix('storefront_push_')}={v}" for name, v in last_seen.items())
    check(
        "backlog size, age and expected drain in /metrics and on the dashboard",
        present and "drains in about" in tile,
        f"/metrics {shown}; dashboard: {tile}",
    )

    drained = last[1] - first[1]
    per_minute = drained / (window / 60) if window > 0 else 0.0
    created_per_minute = len(salesorders) / (watched / 60)
    backlog = last_seen["storefront_push_backlog"] or 0
    expected = last_seen["storefront_push_expected_drain_seconds"] or 0
    needed_calls = expected * 90 / 60
    quota = stats["quota"]
    print(
        f"drain (measured): {drained:,} orders confirmed in {window / 60:.1f} min ({per_minute:.1f} a minute), "
        f"{len(salesorders):,} sales orders created in {watched / 60:.1f} min ({created_per_minute:.1f} a minute), "
        f"{calls / max(len(salesorders), 1):.2f} ERP calls a sales order",
        flush=True,
    )
    print(
        f"drain (extrapolated, not measured): the {backlog:,.0f} orders left take "
        f"{backlog / max(per_minute, 1e-9) / 60:.1f} h at the confirmed rate, {backlog / max(created_per_minute, 1e-9) / 60:.1f} h "
        f"at the created rate; the metric expects {expected / 3600:.1f} h ({needed_calls:,.0f} calls at 90 a minute). "
        f"The ERP's daily quota: {quota.get('remaining')} of {quota.get('daily_quota')} calls left today, so the backlog "
        f"needs {needed_calls / max(quota.get('daily_quota') or 1, 1):.1f} days of quota",
        flush=True,
    )
    ok = all(passed for _, passed, _ in checks)
    failed_names = [name for name, passed, _ in checks if not passed]
    print(("PASS" if ok else "FAIL") + ("" if ok else ": " + "; ".join(failed_names)), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--repeat-share", type=float, default=0.3)
    parser.add_argument("--regulars", type=int, default=300, help="repeat shoppers")
    parser.add_argument("--drain-minutes", type=float, default=5.0)
    parser.add_argument("--placement-seconds", type=float, default=10.0)
    parser.add_argument("--catalog", type=int, default=1000, help="demo catalog size in the ERP")
    parser.add_argument("--hot-products", type=int, default=50)
    raise SystemExit(asyncio.run(main(parser.parse_args())))
