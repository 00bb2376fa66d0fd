"""End to end in headless Chromium: a running demo, the dashboard, a failed order retried with the button."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support import databases

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_TOKEN = "e2e-dashboard-admin-token-0123456789"
ROOT = Path(__file__).resolve().parents[2]
# The docs' picture of the dashboard is taken again only when asked (`make screenshot`).
SCREENSHOTS = [ROOT / "tests" / "artifacts" / "dashboard.png"] + (
    [ROOT / "docs" / "dashboard.png"] if os.environ.get("STOREFRONT_UPDATE_SCREENSHOT") == "1" else []
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except httpx.HTTPError:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


@dataclass
class Demo:
    url: str
    erp_url: str
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture
def demo(clean_database: databases.TestDatabase, tmp_path: Path) -> Iterator[Demo]:
    """`storefront demo` as a real process: its own ERP emulator, a full sync at start, the push worker."""
    port, erp_port = free_port(), free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("STOREFRONT_")}
    env.update(
        STOREFRONT_DATABASE_URL=clean_database.url,
        STOREFRONT_ADMIN_TOKEN=ADMIN_TOKEN,
        STOREFRONT_ORDER_PUSH_POLL_INTERVAL_SECONDS="0.2",
        STOREFRONT_ORDER_PUSH_BACKOFF_BASE_SECONDS="0.2",
        STOREFRONT_ORDER_PUSH_BACKOFF_CAP_SECONDS="0.5",
        STOREFRONT_LOG_LEVEL="WARNING",
        STOREFRONT_LOG_JSON="true",
    )
    log = tmp_path / "demo.log"
    command = [sys.executable, "-m", "storefront", "demo", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--erp-port", str(erp_port), "--products", "30"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT)
    demo = Demo(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{erp_port}", process, log)
    try:

        def synced() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"the demo exited:\n{log.read_text()[-4000:]}")
            response = httpx.get(f"{demo.url}/api/consumer/products", params={"limit": 1}, timeout=5)
            return response.status_code == 200 and bool(response.json()["data"])

        wait_for("the demo's first sync", synced, timeout=90)
        yield demo
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def order_status(demo: Demo, order_id: str) -> str:
    response = httpx.get(f"{demo.url}/api/consumer/orders/{order_id}", timeout=5)
    assert response.status_code == 200, response.text
    status: str = response.json()["data"]["status"]
    return status


def place_an_order_the_erp_refuses(demo: Demo) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ERP is down when the order is placed; by the time it is back, the item is gone from it."""
    emulator = httpx.Client(base_url=f"{demo.erp_url}/_emulator", timeout=10)
    product = httpx.get(f"{demo.url}/api/consumer/products", params={"limit": 1}, timeout=5).json()["data"][0]
    assert emulator.put("/faults", json={"down": True}).status_code == 200
    checkout = httpx.post(
        f"{demo.url}/api/bff/mobile/checkout",
        json={
            "customer": {"name": "Zainab Ali", "email": "zainab@example.com"},
            "lines": [{"product_id": product["id"], "quantity": 1}],
        },
        headers={"Idempotency-Key": "e2e-dashboard-order"},
        timeout=10,
    )
    assert checkout.status_code == 201, checkout.text
    order: dict[str, Any] = checkout.json()["data"]["order"]
    assert emulator.delete(f"/items/{product['erp_item_id']}").status_code == 200
    assert emulator.put("/faults", json={"down": False}).status_code == 200
    wait_for("the ERP to refuse the order", lambda: order_status(demo, order["id"]) == "failed", timeout=45)
    return order, product


def restore_in_the_erp(demo: Demo, product: dict[str, Any]) -> None:
    item = {
        "item_id": product["erp_item_id"],
        "name": product["name"],
        "sku": product["sku"],
        "description": product["description"],
        "rate": product["price"],
        "status": "active",
        "category_name": product["category"],
        "stock_on_hand": 100,
        "available_stock": 100,
        "actual_available_stock": 100,
    }
    response = httpx.put(f"{demo.erp_url}/_emulator/items", json={"items": [item]}, timeout=10)
    assert response.status_code == 200, response.text

    def back_on_sale() -> bool:
        # The ERP's webhook brings the item back into the shop's mirror.
        found = httpx.get(f"{demo.url}/api/consumer/products/{product['id']}", timeout=5)
        return found.status_code == 200 and found.json()["data"]["stock"] == 100

    wait_for("the restored item to be synced", back_on_sale, timeout=30)


def test_operator_sees_the_sync_and_retries_a_failed_order_with_the_button(demo: Demo) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(f"{demo.url}/dashboard")
            expect(page).to_have_url(f"{demo.url}/dashboard/login")

            page.fill("#token", "not-the-token")
            page.click("button[type=submit]")
            expect(page.get_by_role("alert")).to_have_text("That token is not valid.")

            page.fill("#token", ADMIN_TOKEN)
            page.click("button[type=submit]")
            expect(page).to_have_url(f"{demo.url}/dashboard")
            first_run = page.locator("#sync-runs tbody tr").first
            expect(first_run).to_contain_text("full")
            expect(first_run).to_contain_text("demo")
            expect(first_run).to_contain_text("completed")

            order, product = place_an_order_the_erp_refuses(demo)
            page.reload()
            failed = page.locator(f'tr[data-order="{order["number"]}"]')
            expect(failed).to_be_visible()
            expect(failed).to_contain_text("item_id")

            restore_in_the_erp(demo, product)
            failed.get_by_role("button", name="Retry").click()
            expect(page.get_by_role("status")).to_have_text(
                f"Order {order['number']} is queued for the ERP again."
            )
            expect(page.locator(f'tr[data-order="{order["number"]}"]')).to_have_count(0)
            wait_for("the order to reach the ERP", lambda: order_status(demo, order["id"]) == "confirmed")

            for path in ("/api/bff/mobile/home", f"/api/bff/mobile/products/{product['id']}") * 3:
                assert httpx.get(f"{demo.url}{path}", timeout=5).status_code == 200
            page.goto(f"{demo.url}/dashboard")
            expect(page.locator("#events")).to_contain_text("tds.order.create.completed")
            expect(page.locator("#hit-rate-chart")).to_be_visible()
            for screenshot in SCREENSHOTS:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()


def test_the_demo_shows_its_pictures_in_the_api_and_on_a_product_page(demo: Demo) -> None:
    def pictured() -> dict[str, Any] | None:
        products = httpx.get(f"{demo.url}/api/consumer/products", params={"limit": 5}, timeout=5).json()[
            "data"
        ]
        with_picture = [p for p in products if len(p["image_url"].rsplit("/", 1)[-1]) == 64]
        return with_picture[0] if with_picture else None

    product = wait_for("the demo's pictures to be fetched", pictured, timeout=60)
    assert product["image_url"].startswith(f"{demo.url}/product-images/{product['erp_item_id']}/")
    served = httpx.get(product["image_url"], timeout=5)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(f"{demo.url}/dashboard/login")
            page.fill("#token", ADMIN_TOKEN)
            page.click("button[type=submit]")
            expect(page).to_have_url(f"{demo.url}/dashboard")
            expect(page.locator("#pictures")).to_contain_text("active products show a picture")
            page.goto(f"{demo.url}/dashboard/products/{product['erp_item_id']}")
            picture = page.locator("#product-picture")
            expect(picture).to_be_visible()
            expect(picture).to_have_attribute("src", re.compile(product["image_url"].rsplit("/", 1)[-1]))
            picture.evaluate("img => img.decode()")
            assert picture.evaluate("img => img.complete && img.naturalWidth") == 240
        finally:
            browser.close()
