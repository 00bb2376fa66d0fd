"""Finding 5 (and the webhook item ids of 7): webhooks are refused unless signed (or explicitly
allowed unsigned), come as JSON or forms signed either way Zoho does, name a bounded number of
valid item ids, and the inbox forgets old deliveries."""

import hashlib
import hmac
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest
from sqlalchemy import func, select

from storefront.config import Settings
from storefront.db.base import utcnow
from storefront.db.engine import create_database
from storefront.sync.models import WebhookDelivery
from tests.conftest import ADMIN_TOKEN
from tests.security.conftest import shop
from tests.support.catalog import zoho_item
from tests.support.emulator import EmulatorHandle
from tests.sync.conftest import PRICE_BOOK, WEBHOOK_SECRET, events

WEBHOOK = "/api/tds/webhooks/zoho"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def hex_hmac(message: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def zoho_string(pairs: list[tuple[str, str]]) -> bytes:
    return "".join(key + value for key, value in sorted(pairs, key=lambda pair: pair[0])).encode()


@pytest.fixture
async def item(emulator: EmulatorHandle) -> dict[str, Any]:
    tea = zoho_item("Signed Tea", stock=7, rate=1500)
    await emulator.control.put_items([tea], webhooks=False)
    await emulator.control.set_pricebook(PRICE_BOOK, {tea["item_id"]: 1500})
    return tea


@pytest.fixture
def webhook_settings(
    emulator: EmulatorHandle, make_settings: Callable[..., Settings]
) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        return make_settings(**{**emulator.settings_overrides(), **overrides})

    return make


async def test_without_a_secret_unsigned_deliveries_are_refused_by_default(
    webhook_settings: Callable[..., Settings], item: dict[str, Any]
) -> None:
    body = orjson.dumps({"item": item})
    async with shop(webhook_settings()) as client:
        for headers in (JSON, {**JSON, "X-Zoho-Webhook-Signature": hex_hmac(body, "anything")}):
            response = await client.post(WEBHOOK, content=body, headers=headers)
            assert response.status_code == 401
            assert response.json()["error"]["code"] == "invalid_signature"
        assert await events(client, ADMIN) == []


async def test_unsigned_deliveries_are_accepted_only_when_allowed(
    webhook_settings: Callable[..., Settings], item: dict[str, Any]
) -> None:
    body = orjson.dumps({"item": item})
    async with shop(webhook_settings(zoho_webhook_allow_unsigned=True)) as client:
        response = await client.post(WEBHOOK, content=body, headers=JSON)
        assert response.status_code == 200, response.text
        assert response.json()["data"]["item_ids"] == [item["item_id"]]
    signed = webhook_settings(zoho_webhook_allow_unsigned=True, zoho_webhook_secret=WEBHOOK_SECRET)
    async with shop(signed) as client:
        forged = await client.post(
            WEBHOOK, content=body, headers={**JSON, "X-Zoho-Webhook-Signature": "0" * 64}
        )
        assert forged.status_code == 401


async def test_json_deliveries_signed_the_zoho_billing_way_are_accepted(
    webhook_settings: Callable[..., Settings], item: dict[str, Any]
) -> None:
    body = orjson.dumps({"item": item})
    query = [("source", "zoho"), ("org", "1"), ("event", "item.updated")]
    signature = hex_hmac(zoho_string(query) + body)
    async with shop(webhook_settings(zoho_webhook_secret=WEBHOOK_SECRET)) as client:
        url = f"{WEBHOOK}?{urlencode(query)}"
        accepted = await client.post(
            url, content=body, headers={**JSON, "X-Zoho-Webhook-Signature": signature}
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["data"]["status"] == "processed"
        other_query = await client.post(
            f"{WEBHOOK}?org=2", content=body, headers={**JSON, "X-Zoho-Webhook-Signature": signature}
        )
        assert other_query.status_code == 401


async def test_form_deliveries_are_accepted_signed_either_way(
    webhook_settings: Callable[..., Settings], item: dict[str, Any]
) -> None:
    form = [("item_id", item["item_id"]), ("name", "Signed Tea & Co"), ("event", "item.updated")]
    body = urlencode(form).encode()
    query = [("org", "1")]
    async with shop(webhook_settings(zoho_webhook_secret=WEBHOOK_SECRET)) as client:
        zoho = hex_hmac(zoho_string(query) + zoho_string(form))
        first = await client.post(
            f"{WEBHOOK}?org=1", content=body, headers={**FORM, "X-Zoho-Webhook-Signature": zoho}
        )
        assert first.status_code == 200, first.text
        assert first.json()["data"]["item_ids"] == [item["item_id"]]
        raw = hex_hmac(body)
        again = await client.post(
            WEBHOOK + "?org=1", content=body, headers={**FORM, "X-Zoho-Webhook-Signature": raw}
        )
        assert again.status_code == 200
        assert again.json()["data"]["duplicate"] is True
        json_string = urlencode([("JSONString", orjson.dumps({"item": item}).decode())]).encode()
        wrapped = await client.post(
            WEBHOOK, content=json_string, headers={**FORM, "X-Zoho-Webhook-Signature": hex_hmac(json_string)}
        )
        assert wrapped.status_code == 200, wrapped.text
        assert wrapped.json()["data"]["item_ids"] == [item["item_id"]]


async def test_items_per_delivery_are_capped(webhook_settings: Callable[..., Settings]) -> None:
    body = orjson.dumps({"items": [{"item_id": str(900000 + n)} for n in range(51)]})
    async with shop(webhook_settings(zoho_webhook_allow_unsigned=True)) as client:
        response = await client.post(WEBHOOK, content=body, headers=JSON)
        assert response.status_code == 422
        assert await events(client, ADMIN) == []


@pytest.mark.parametrize(
    "item_id",
    ["../organizations", "1/../../items", "1?x=1", "1#x", "a b", "1%2F2", "é1", "x" * 65, True, 1.5],
)
async def test_item_ids_that_are_not_erp_ids_answer_422(
    webhook_settings: Callable[..., Settings], item_id: Any
) -> None:
    body = orjson.dumps({"item": {"item_id": item_id}})
    async with shop(webhook_settings(zoho_webhook_allow_unsigned=True)) as client:
        response = await client.post(WEBHOOK, content=body, headers=JSON)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "invalid_item_id"
        assert await events(client, ADMIN) == []


async def test_the_inbox_forgets_deliveries_after_the_retention_period(
    webhook_settings: Callable[..., Settings], item: dict[str, Any]
) -> None:
    settings = webhook_settings(zoho_webhook_allow_unsigned=True, zoho_webhook_retention_days=2)
    database = create_database(settings)
    try:
        async with database.write_sessionmaker() as session, session.begin():
            for age_days, marker in ((3, "old"), (1, "recent")):
                session.add(
                    WebhookDelivery(
                        content_hash=hashlib.sha256(marker.encode()).hexdigest(),
                        payload={"marker": marker},
                        received_at=utcnow() - timedelta(days=age_days),
                        status="processed",
                    )
                )
        async with shop(settings) as client:
            response = await client.post(WEBHOOK, content=orjson.dumps({"item": item}), headers=JSON)
            assert response.status_code == 200, response.text
        async with database.sessionmaker() as session:
            left = (await session.execute(select(WebhookDelivery.payload))).scalars().all()
            assert {"marker": "old"} not in left
            assert {"marker": "recent"} in left
            assert await session.scalar(select(func.count()).select_from(WebhookDelivery)) == 2
    finally:
        await database.dispose()
