import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

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
