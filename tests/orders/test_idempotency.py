import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import create_async_engine

from storefront.config import Settings
from storefront.orders.idempotency import fingerprint
from storefront.orders.models import IdempotencyRecord, Order
from storefront.orders.schemas import PlaceOrderIn
from tests.orders.conftest import item_id
from tests.orders.helpers import ORDERS, all_orders, order_body, stock_of

pytestmark = pytest.mark.asyncio

Catalog = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Entry:
    """An entry point that places orders: both keep Idempotency-Keys the same way."""

    path: str
    wraps_order: bool

    def order(self, response: httpx.Response) -> dict[str, Any]:
        data: dict[str, Any] = response.json()["data"]
        return data["order"] if self.wraps_order else data


@pytest.fixture(
    params=[Entry(ORDERS, False), Entry("/api/bff/mobile/checkout", True)], ids=["consumer", "checkout"]
)
def entry(request: pytest.FixtureRequest) -> Entry:
    value: Entry = request.param
    return value


async def test_a_retried_post_gets_the_first_answer_and_no_second_order(
    entry: Entry, client: httpx.AsyncClient, products: Catalog, admin_headers: dict[str, str]
) -> None:
    tea = item_id(products, "tea")
    headers = {"Idempotency-Key": "checkout-1"}

    first = await client.post(entry.path, json=order_body((tea, 2)), headers=headers)
    again = await client.post(entry.path, json=order_body((tea, 2)), headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert len(await all_orders(client, admin_headers)) == 1
    assert await stock_of(client, tea) == 8


async def test_a_replay_after_the_erp_confirmed_the_order_is_still_the_first_answer(
    entry: Entry, client: httpx.AsyncClient, products: Catalog, settings: Settings
) -> None:
    headers = {"Idempotency-Key": "confirmed-later"}
    body = order_body((item_id(products, "tea"), 2))
    first = await client.post(entry.path, json=body, headers=headers)
    assert first.status_code == 201
    engine = create_async_engine(settings.database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                update(Order).values(
                    status="confirmed",
                    erp_salesorder_id="SO-1",
                    erp_salesorder_number=entry.order(first)["number"],
                    confirmed_at=datetime.now(UTC),
                )
            )
    finally:
        await engine.dispose()

    again = await client.post(entry.path, json=body, headers=headers)
    now = await client.get(f"{ORDERS}/{entry.order(first)['id']}")

    assert again.status_code == 201
    assert again.json() == first.json()
    assert now.json()["data"]["status"] == "confirmed"


async def test_the_same_key_with_another_body_is_refused(
    entry: Entry, client: httpx.AsyncClient, products: Catalog, admin_headers: dict[str, str]
) -> None:
    tea = item_id(products, "tea")
    headers = {"Idempotency-Key": "checkout-2"}
    await client.post(entry.path, json=order_body((tea, 2)), headers=headers)

    response = await client.post(entry.path, json=order_body((tea, 3)), headers=headers)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert len(await all_orders(client, admin_headers)) == 1
    assert await stock_of(client, tea) == 8


async def test_concurrent_requests_with_one_key_make_one_order(
    entry: Entry, client: httpx.AsyncClient, products: Catalog, admin_headers: dict[str, str]
) -> None:
    tea = item_id(products, "tea")
    headers = {"Idempotency-Key": "double-tap"}

    responses = await asyncio.gather(
        *(client.post(entry.path, json=order_body((tea, 1)), headers=headers) for _ in range(20))
    )

    assert {r.status_code for r in responses} == {201}
    assert len({entry.order(r)["id"] for r in responses}) == 1
    assert len(await all_orders(client, admin_headers)) == 1
    assert await stock_of(client, tea) == 9


async def test_a_retry_after_the_order_took_the_last_units_still_gets_the_first_answer(
    entry: Entry, client: httpx.AsyncClient, products: Catalog, admin_headers: dict[str, str]
) -> None:
    rice = item_id(products, "rice")
    headers = {"Idempotency-Key": "last-units"}

    responses = await asyncio.gather(
        *(client.post(entry.path, json=order_body((rice, 2)), headers=headers) for _ in range(10))
    )
    again = await client.post(entry.path, json=order_body((rice, 2)), headers=headers)

    assert {r.status_code for r in [*responses, again]} == {201}
    assert len({entry.order(r)["id"] for r in [*responses, again]}) == 1
    assert again.json() == responses[0].json()
    assert len(await all_orders(client, admin_headers)) == 1
    assert await stock_of(client, rice) == 0


async def test_a_refused_request_is_judged_again_on_retry(
    entry: Entry, client: httpx.AsyncClient, products: Catalog, admin_headers: dict[str, str]
) -> None:
    rice = item_id(products, "rice")
    headers = {"Idempotency-Key": "too-many"}

    refused = await client.post(entry.path, json=order_body((rice, 3)), headers=headers)
    different = await client.post(entry.path, json=order_body((rice, 2)), headers=headers)

    assert refused.status_code == 409
    assert different.status_code == 201
    assert len(await all_orders(client, admin_headers)) == 1


async def test_keys_are_kept_for_at_least_a_day(
    entry: Entry, client: httpx.AsyncClient, products: Catalog, settings: Settings
) -> None:
    before = datetime.now(UTC)
    response = await client.post(
        entry.path, json=order_body((item_id(products, "tea"), 1)), headers={"Idempotency-Key": "kept"}
    )
    assert response.status_code == 201

    engine = create_async_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            expires_at = (await connection.execute(select(IdempotencyRecord.expires_at))).scalar_one()
    finally:
        await engine.dispose()
    assert expires_at.replace(tzinfo=expires_at.tzinfo or UTC) >= before + timedelta(hours=24)


@pytest.mark.parametrize("key", ["", "x" * 256, "has space"])
async def test_a_malformed_key_is_422(
    entry: Entry, client: httpx.AsyncClient, products: Catalog, key: str
) -> None:
    response = await client.post(
        entry.path, json=order_body((item_id(products, "tea"), 1)), headers={"Idempotency-Key": key}
    )
    assert response.status_code == 422
    assert await stock_of(client, item_id(products, "tea")) == 10


async def test_an_expired_key_is_free_again(
    entry: Entry,
    client: httpx.AsyncClient,
    products: Catalog,
    admin_headers: dict[str, str],
    settings: Settings,
) -> None:
    tea = item_id(products, "tea")
    headers = {"Idempotency-Key": "yesterday"}
    first = await client.post(entry.path, json=order_body((tea, 1)), headers=headers)
    engine = create_async_engine(settings.database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                update(IdempotencyRecord).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
    finally:
        await engine.dispose()

    second = await client.post(entry.path, json=order_body((tea, 2)), headers=headers)

    assert second.status_code == 201
    assert entry.order(second)["id"] != entry.order(first)["id"]
    assert len(await all_orders(client, admin_headers)) == 2


async def test_a_key_recorded_before_orders_named_their_key_answers_what_it_holds(
    entry: Entry,
    client: httpx.AsyncClient,
    products: Catalog,
    admin_headers: dict[str, str],
    settings: Settings,
) -> None:
    """A key stored with a copy of its answer (before migration 0005) replays that answer."""
    body = order_body((item_id(products, "tea"), 1))
    scope = {ORDERS: "consumer.orders", "/api/bff/mobile/checkout": "bff.checkout"}[entry.path]
    stored = {"status": "success", "data": {"id": "from-before"}, "meta": {"request_id": "r-0"}}
    now = datetime.now(UTC)
    engine = create_async_engine(settings.database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                insert(IdempotencyRecord).values(
                    scope=scope,
                    key="legacy-key",
                    request_hash=fingerprint(PlaceOrderIn.model_validate(body).model_dump(mode="json")),
                    status_code=201,
                    response_body=stored,
                    created_at=now,
                    expires_at=now + timedelta(hours=1),
                )
            )
    finally:
        await engine.dispose()

    again = await client.post(entry.path, json=body, headers={"Idempotency-Key": "legacy-key"})

    assert again.status_code == 201, again.text
    assert again.json() == stored
    assert await all_orders(client, admin_headers) == []
