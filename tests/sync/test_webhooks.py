"""POST /api/tds/webhooks/zoho: signature, inbox de-duplication, and items synced at once."""

import asyncio
import hashlib
import hmac
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from storefront.erp.emulator import LoopbackServer
from tests.support.catalog import zoho_item
from tests.support.emulator import EmulatorHandle
from tests.sync.conftest import PRICE_BOOK, WEBHOOK_SECRET, events, listed_products, run_sync

pytestmark = pytest.mark.asyncio

WEBHOOK = "/api/tds/webhooks/zoho"


def signed(body: bytes, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Zoho-Webhook-Signature": signature}


@pytest.fixture
async def synced_item(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, admin_headers: dict[str, str]
) -> dict[str, Any]:
    item = zoho_item("Webhook Tea 500 g", stock=10, rate=2500)
    await emulator.control.put_items([item], webhooks=False)
    await emulator.control.set_pricebook(PRICE_BOOK, {item["item_id"]: 2500})
    await run_sync(shop, admin_headers, mode="full")
    return item


async def change_stock(emulator: EmulatorHandle, item: dict[str, Any], stock: int) -> bytes:
    """Change the item in the ERP; returns the body Zoho would send about it."""
    changed = {**item, "actual_available_stock": stock, "available_stock": stock, "stock_on_hand": stock}
    await emulator.control.put_items([changed], webhooks=False)
    return orjson.dumps({"item": changed})


async def stock_of(shop: httpx.AsyncClient, item: dict[str, Any]) -> int:
    stock: int = (await shop.get(f"/api/consumer/products/{item['item_id']}")).json()["data"]["stock"]
    return stock


async def test_signed_webhook_syncs_the_item_at_once(
    emulator: EmulatorHandle,
    shop: httpx.AsyncClient,
    admin_headers: dict[str, str],
    synced_item: dict[str, Any],
) -> None:
    body = await change_stock(emulator, synced_item, 3)

    response = await shop.post(WEBHOOK, content=body, headers=signed(body))

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["duplicate"] is False
    assert data["status"] == "processed"
    assert data["item_ids"] == [synced_item["item_id"]]
    assert data["run"]["mode"] == "items"
    assert data["run"]["counts"]["updated"] == 1
    assert await stock_of(shop, synced_item) == 3
    run_events = await events(shop, admin_headers, correlation_id=data["run"]["id"])
    assert [e["name"] for e in run_events] == [
        "tds.zoho.webhook.received",
        "tds.sync.started",
        "tds.sync.completed",
        "tds.zoho.webhook.processed",
    ]


async def test_a_repeated_delivery_is_acknowledged_and_does_nothing(
    emulator: EmulatorHandle,
    shop: httpx.AsyncClient,
    admin_headers: dict[str, str],
    synced_item: dict[str, Any],
) -> None:
    body = await change_stock(emulator, synced_item, 4)
    first = await shop.post(WEBHOOK, content=body, headers=signed(body))
    assert first.status_code == 200
    runs_before = (await shop.get("/api/tds/runs", headers=admin_headers)).json()["meta"]["total"]
    await change_stock(emulator, synced_item, 9)

    again = await shop.post(WEBHOOK, content=body, headers=signed(body))

    assert again.status_code == 200
    assert again.json()["data"]["duplicate"] is True
    assert again.json()["data"]["delivery_id"] == first.json()["data"]["delivery_id"]
    assert (await shop.get("/api/tds/runs", headers=admin_headers)).json()["meta"]["total"] == runs_before
    assert len(await events(shop, admin_headers, name="tds.zoho.webhook.received")) == 1
    assert await stock_of(shop, synced_item) == 4


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/json"},
        {"Content-Type": "application/json", "X-Zoho-Webhook-Signature": ""},
        {"Content-Type": "application/json", "X-Zoho-Webhook-Signature": "0" * 64},
        {"Content-Type": "application/json", "X-Zoho-Webhook-Signature": "not-hex-at-all!"},
        "wrong-secret",
    ],
    ids=["missing", "empty", "wrong", "garbage", "other-secret"],
)
async def test_unsigned_or_badly_signed_webhooks_are_refused_and_change_nothing(
    emulator: EmulatorHandle,
    shop: httpx.AsyncClient,
    admin_headers: dict[str, str],
    synced_item: dict[str, Any],
    headers: dict[str, str] | str,
) -> None:
    body = await change_stock(emulator, synced_item, 1)
    sent = signed(body, "another-secret") if headers == "wrong-secret" else headers

    response = await shop.post(WEBHOOK, content=body, headers=sent)  # type: ignore[arg-type]

    assert response.status_code == 401
    envelope = response.json()
    assert envelope["status"] == "error"
    assert envelope["error"]["code"] == "invalid_signature"
    assert await stock_of(shop, synced_item) == 10
    assert await events(shop, admin_headers, name="tds.zoho.webhook.received") == []


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"not json", 400), (b"[1, 2]", 400), (b'{"item": {"name": "no id"}}', 422), (b"{}", 422)],
)
async def test_a_signed_webhook_naming_no_item_is_refused(
    shop: httpx.AsyncClient, admin_headers: dict[str, str], body: bytes, status: int
) -> None:
    response = await shop.post(WEBHOOK, content=body, headers=signed(body))

    assert response.status_code == status
    assert response.json()["status"] == "error"
    assert await events(shop, admin_headers) == []


async def test_a_webhook_for_a_deleted_item_takes_it_off_the_shop(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, synced_item: dict[str, Any]
) -> None:
    await emulator.control.delete_item(synced_item["item_id"])
    body = orjson.dumps({"item": {**synced_item, "status": "deleted"}})

    response = await shop.post(WEBHOOK, content=body, headers=signed(body))

    assert response.status_code == 200
    assert response.json()["data"]["run"]["counts"]["deactivated"] == 1
    assert synced_item["item_id"] not in await listed_products(shop)


async def test_a_webhook_whose_sync_fails_answers_503_and_is_processed_when_sent_again(
    emulator: EmulatorHandle, shop: httpx.AsyncClient, synced_item: dict[str, Any]
) -> None:
    body = await change_stock(emulator, synced_item, 6)
    await emulator.control.faults(down=True)

    failed = await shop.post(WEBHOOK, content=body, headers=signed(body))

    assert failed.status_code == 503
    assert failed.json()["error"]["code"] == "webhook_processing_failed"
    assert await stock_of(shop, synced_item) == 10
    await emulator.control.faults(down=False)
    retried = await shop.post(WEBHOOK, content=body, headers=signed(body))
    assert retried.status_code == 200
    assert retried.json()["data"]["duplicate"] is False
    assert await stock_of(shop, synced_item) == 6


async def test_emulator_webhooks_reach_the_shop_over_http(
    emulator: EmulatorHandle, sync_app: FastAPI, shop: httpx.AsyncClient, synced_item: dict[str, Any]
) -> None:
    """The emulator signs and POSTs the webhook itself when the item changes."""
    server = LoopbackServer(sync_app)
    server.app = _without_lifespan(sync_app)
    await server.start()
    try:
        await emulator.control.configure(webhook_url=server.url + WEBHOOK, webhook_secret=WEBHOOK_SECRET)
        delivered_before = await delivered_webhooks(emulator)
        changed = {**synced_item, "actual_available_stock": 2, "available_stock": 2}
        await emulator.control.put_items([changed])
        for _ in range(100):
            if await delivered_webhooks(emulator) > delivered_before:
                break
            await asyncio.sleep(0.05)
        assert await delivered_webhooks(emulator) == delivered_before + 1
        assert await stock_of(shop, synced_item) == 2
    finally:
        await server.stop()


async def delivered_webhooks(emulator: EmulatorHandle) -> int:
    """Webhooks the emulator delivered with a 2xx answer (counted over the whole session)."""
    delivered: int = (await emulator.control.stats())["webhooks"].get("delivered", 0)
    return delivered


def _without_lifespan(app: FastAPI) -> Any:
    """The app is already started by the test's lifespan; the loopback server must not start it again."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                await send({"type": message["type"] + ".complete"})
                message = await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        await app(scope, receive, send)

    return asgi
