import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from storefront.erp.retry import RetryPolicy
from storefront.erp.zoho import ZohoClient
from tests.support.emulator import EmulatorHandle

REDIS_URL = "redis://127.0.0.1:6379/0"
FAST_RETRIES = RetryPolicy(attempts=3, base_delay=0.05, max_delay=0.2, deadline=5.0)

MakeClient = Callable[..., ZohoClient]


@pytest.fixture
async def make_client(emulator: EmulatorHandle) -> AsyncIterator[MakeClient]:
    """ZohoClients pointed at the emulator, closed after the test; keyword arguments override."""
    clients: list[ZohoClient] = []

    def make(**overrides: Any) -> ZohoClient:
        config = emulator.state.config
        options: dict[str, Any] = {
            "api_url": emulator.api_url,
            "accounts_url": emulator.url,
            "client_id": config.client_id,
            "client_secret": config.client_secret,
            "refresh_token": config.refresh_token,
            "organization_id": config.organization_id,
            "retry": FAST_RETRIES,
            "budget_max_wait": 1.0,
            "rate_limit_cooldown": 0.05,
        }
        options.update(overrides)
        client = ZohoClient(**options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def redis_prefix() -> AsyncIterator[tuple[Redis, str]]:
    """The shared Redis and a key prefix of this test alone; its keys are deleted afterwards."""
    redis = Redis.from_url(REDIS_URL)
    prefix = f"test-erp-{uuid.uuid4().hex[:12]}"
    try:
        yield redis, prefix
    finally:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


@dataclass
class Exchange:
    method: str
    path: str
    status: int
    content_type: str
    body: Any


@dataclass
class Caller:
    """A Zoho client in the raw: it keeps every answer it got."""

    http: httpx.AsyncClient
    token: str = ""
    exchanges: list[Exchange] = field(default_factory=list)

    async def call(
        self, method: str, path: str, params: dict[str, Any] | None = None, json: Any = None
    ) -> Exchange:
        answer = await self.http.request(
            method,
            f"/inventory/v1{path}",
            params={"organization_id": "1", **(params or {})},
            json=json,
            headers={"Authorization": f"Zoho-oauthtoken {self.token}"},
        )
        content_type = answer.headers.get("content-type", "")
        body = answer.json() if content_type.startswith("application/json") else answer.content
        exchange = Exchange(method, path, answer.status_code, content_type, body)
        self.exchanges.append(exchange)
        return exchange


@pytest.fixture
async def caller(emulator: EmulatorHandle) -> AsyncIterator[Caller]:
    async with httpx.AsyncClient(base_url=emulator.url, timeout=10) as http:
        form = {"grant_type": "refresh_token", "client_id": "emulator", "client_secret": "emulator"}
        token = (await http.post("/oauth/v2/token", data={**form, "refresh_token": "emulator"})).json()
        yield Caller(http, token["access_token"])
