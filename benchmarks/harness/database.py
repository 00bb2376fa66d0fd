"""Scratch PostgreSQL databases and Redis key prefixes, dropped and deleted at the end."""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import redis.asyncio as redis

from storefront.config import normalize_database_url

ADMIN_URL = os.environ.get("STOREFRONT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("STOREFRONT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def scratch_name(kind: str = "bench") -> str:
    return f"storefront_{kind}_{uuid.uuid4().hex[:10]}"


def database_url(name: str, admin_url: str = ADMIN_URL) -> str:
    """The service's (asyncpg) URL of database `name` on the admin URL's server."""
    return normalize_database_url(admin_url.rsplit("/", 1)[0] + f"/{name}")


def plain_url(url: str) -> str:
    """The same URL for asyncpg itself (no SQLAlchemy driver suffix)."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@asynccontextmanager
async def scratch_database(kind: str = "bench", admin_url: str = ADMIN_URL) -> AsyncIterator[str]:
    """A new, empty database; yields its service URL and drops it (and its connections) at the end."""
    name = scratch_name(kind)
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield database_url(name, admin_url)
    finally:
        admin = await asyncpg.connect(admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def vacuum_analyze(url: str) -> None:
    """What autovacuum leaves after a bulk load: statistics and the visibility map."""
    connection = await asyncpg.connect(plain_url(url))
    try:
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


def scratch_prefix(kind: str = "bench") -> str:
    return f"storefront-{kind}-{uuid.uuid4().hex[:10]}"


@asynccontextmanager
async def scratch_redis_prefix(kind: str = "bench", url: str = REDIS_URL) -> AsyncIterator[str]:
    """A Redis key prefix no other run uses; every key under it is deleted at the end (never a flush)."""
    prefix = scratch_prefix(kind)
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(url)
        try:
            batch: list[bytes] = []
            async for key in client.scan_iter(match=f"{prefix}:*", count=1000):
                batch.append(key)
                if len(batch) >= 1000:
                    await client.delete(*batch)
                    batch.clear()
            if batch:
                await client.delete(*batch)
        finally:
            await client.aclose()
