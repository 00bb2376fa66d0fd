"""A Storefront app on a primary of the test's own whose catalog reads may go to its streaming
replica, wired to the emulator; its cache in memory or on the real Redis."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis

from storefront.app import create_app
from storefront.config import Settings
from tests.support.cache import REDIS_URL, forget_versions, require_redis, unique_prefix
from tests.support.emulator import EmulatorHandle
from tests.support.replica import ReplicatedDatabase


@pytest.fixture(params=["memory", "redis"])
async def replica_settings(
    request: pytest.FixtureRequest,
    make_settings: Callable[..., Settings],
    emulator: EmulatorHandle,
    replicated_database: ReplicatedDatabase,
) -> AsyncIterator[Settings]:
    prefix = unique_prefix()
    extra: dict[str, Any] = {"cache_prefix": prefix}
    if request.param == "redis":
        await require_redis()
        extra.update(redis_url=REDIS_URL, cache_redis_timeout_seconds=5)
    yield make_settings(
        database_url=replicated_database.primary_url,
        database_read_url=replicated_database.replica_url,
        **emulator.settings_overrides(),
        **extra,
    )
    if request.param == "redis":
        await forget_versions(prefix)
        client = Redis.from_url(REDIS_URL)
        try:
            await client.delete(f"{prefix}:replica:write-mark")
        finally:
            await client.aclose()


@pytest.fixture
async def shop(replica_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(replica_settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://storefront.test", timeout=60
        ) as http:
            yield http
