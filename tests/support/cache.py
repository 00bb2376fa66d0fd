"""The cache under test: in memory, or on the real Redis under a prefix no other run uses."""

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import event

from storefront.app import create_app
from storefront.cache import CATALOG, SYNC_STATUS
from storefront.config import Settings

REDIS_URL = os.environ.get("STOREFRONT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CACHE_BACKENDS = ["memory", "redis"]


async def require_redis(url: str = REDIS_URL) -> None:
    """Fail loudly (never skip) when the Redis the suite needs does not answer."""
    client = Redis.from_url(url, socket_connect_timeout=2)
    try:
        await client.ping()
    except Exception as exc:
        raise RuntimeError(f"Redis at {url} is unreachable; the cache tests need it") from exc
    finally:
        await client.aclose()


async def forget_versions(prefix: str, url: str = REDIS_URL) -> None:
    """Drop the version and stock feed keys a test run created (entries expire on their own)."""
    client = Redis.from_url(url)
    try:
        versions = [f"{prefix}:version:{namespace}" for namespace in (CATALOG, SYNC_STATUS)]
        await client.delete(*versions, f"{prefix}:stock:seq", f"{prefix}:stock:changes")
    finally:
        await client.aclose()


def unique_prefix() -> str:
    return f"storefront-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=CACHE_BACKENDS)
async def cache_settings(
    request: pytest.FixtureRequest, make_settings: Callable[..., Settings]
) -> AsyncIterator[Callable[..., Settings]]:
    """Settings factory for the parametrized cache backend; one key prefix per test."""
    prefix = unique_prefix()
    extra: dict[str, Any] = {"cache_prefix": prefix}
    if request.param == "redis":
        await require_redis()
        # A loaded CI machine can take longer than the production timeout to answer.
        extra.update(redis_url=REDIS_URL, cache_redis_timeout_seconds=5)

    def make(**overrides: Any) -> Settings:
        return make_settings(**{**extra, **overrides})

    yield make
    if request.param == "redis":
        await forget_versions(prefix)


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@asynccontextmanager
async def running_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a freshly started app (its own process state: L1, locks, counters)."""
    async with running_app(settings) as application:
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://storefront.test") as client:
            yield client


@contextmanager
def catalog_queries(application: FastAPI) -> Iterator[list[str]]:
    """The SQL statements this app sends to the database while the block runs."""
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engine = application.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", note)
