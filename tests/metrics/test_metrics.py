import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx

from storefront.config import Settings
from tests.support.catalog import seed, zoho_item
from tests.support.metrics import has, scrape, value

PRODUCT_ROUTE = "/api/consumer/products/{product_id}"


async def test_requests_are_counted_by_route_template_not_raw_path(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await seed(settings, [zoho_item("Metric Tea")])
    before = await scrape(client)
    for ref in ("no-such-1", "no-such-2", "no-such-3"):
        assert (await client.get(f"/api/consumer/products/{ref}")).status_code == 404
    assert (await client.get("/api/consumer/products")).status_code == 200
    after = await scrape(client)

    labels = {"method": "GET", "route": PRODUCT_ROUTE, "status": "404"}
    assert (
        value(after, "storefront_http_requests_total", **labels)
        - value(before, "storefront_http_requests_total", **labels)
        == 3
    )
    assert (
        value(after, "storefront_http_request_duration_seconds_count", **labels)
        - value(before, "storefront_http_request_duration_seconds_count", **labels)
        == 3
    )
    listing = {"method": "GET", "route": "/api/consumer/products", "status": "200"}
    assert value(after, "storefront_http_requests_total", **listing) >= 1
    assert not any("no-such" in str(key) for key in after)


async def test_unknown_paths_share_one_label(client: httpx.AsyncClient) -> None:
    before = await scrape(client)
    for n in range(3):
        assert (await client.get(f"/nowhere/{n}")).status_code == 404
    after = await scrape(client)
    labels = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert (
        value(after, "storefront_http_requests_total", **labels)
        - value(before, "storefront_http_requests_total", **labels)
        == 3
    )


async def test_pool_gauges_and_database_figures_are_read_at_scrape_time(client: httpx.AsyncClient) -> None:
    samples = await scrape(client)
    assert value(samples, "storefront_db_pool_size", pool="main") >= 1
    assert has(samples, "storefront_db_pool_checked_out", pool="main")
    assert has(samples, "storefront_db_pool_overflow", pool="main")
    assert value(samples, "storefront_database_up") == 1
    assert value(samples, "storefront_push_backlog") == 0
    assert value(samples, "storefront_push_oldest_age_seconds") == 0


def test_worker_processes_are_added_up(tmp_path: Path) -> None:
    """Two processes count into PROMETHEUS_MULTIPROC_DIR; a third renders the sum."""
    directory = tmp_path / "prometheus"
    directory.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    count = textwrap.dedent(
        """
        from storefront.metrics import CACHE_HITS
        CACHE_HITS.labels("catalog").inc(2)
        """
    )
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, check=True, timeout=60)
    show = textwrap.dedent(
        """
        from prometheus_client import generate_latest
        from storefront.metrics.exposition import process_registry
        print(generate_latest(process_registry()).decode())
        """
    )
    shown = subprocess.run(
        [sys.executable, "-c", show], env=env, check=True, timeout=60, capture_output=True, text=True
    ).stdout
    assert 'storefront_cache_hits_total{prefix="catalog"} 4.0' in shown


async def test_counters_move_with_traffic(client: httpx.AsyncClient, settings: Settings) -> None:
    tea = zoho_item("Scrape Tea", stock=10, rate=1000)
    await seed(settings, [tea])
    screen = f"/api/bff/mobile/products/{tea['item_id']}"
    before = await scrape(client)

    assert (await client.get(screen)).headers["x-cache"] == "miss"
    assert (await client.get(screen)).headers["x-cache"] == "hit"
    assert (await client.get(screen)).headers["x-cache"] == "hit"
    order = {
        "customer": {"name": "Sara", "email": "sara@example.com"},
        "lines": [{"product_id": tea["item_id"], "quantity": 1}],
    }
    assert (await client.post("/api/bff/mobile/checkout", json=order)).status_code == 201
    after = await scrape(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("storefront_cache_misses_total", prefix="bff:product") == 1
    assert moved("storefront_cache_hits_total", prefix="bff:product") == 2
    assert moved("storefront_orders", status="accepted") == 1
    assert moved("storefront_orders_placed_total", channel="bff") == 1
    assert value(after, "storefront_push_backlog") == 1
    assert value(after, "storefront_push_oldest_age_seconds") >= 0
    checkout = {"method": "POST", "route": "/api/bff/mobile/checkout", "status": "201"}
    assert moved("storefront_http_requests_total", **checkout) == 1
    assert value(after, "storefront_db_pool_size", pool="main") >= 1
