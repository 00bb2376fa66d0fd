"""Catalog reads from a streaming replica, never older than the last catalog write announced.

Every write that changes what the catalog shows invalidates the cache; just before it does, the
primary's WAL position (`pg_current_wal_insert_lsn()`, taken after the commit) is published as the
write mark, in the shared store (Redis, or this process's memory with the in-process cache), and
the mark only ever grows. A catalog read that reaches the database (a cache miss) reads the mark
after the cache has read its versions, and goes to the replica only when the replica has replayed
that far (`pg_last_wal_replay_lsn() >= mark`); otherwise, or when the replica does not answer, it
goes to the primary. A read computed after an invalidation therefore sees the write that caused
it, wherever it runs. Writes, orders, sync and admin never use the replica.
"""

import time
from typing import Any, Protocol

from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session
from sqlalchemy.util import await_

from storefront.logging import get_logger
from storefront.metrics.registry import REPLICA_READS
from storefront.redis_clients import fail_fast_client

log = get_logger(__name__)
_DATABASE_ERRORS: tuple[type[BaseException], ...] = (SQLAlchemyError, OSError, TimeoutError)
_MARK_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)
# After the replica failed to answer, reads stay on the primary this long before it is tried again.
RETRY_AFTER_SECONDS = 2.0
_ROUTER = "storefront.replica_reads"

# Keep the greater of the stored mark and the given one (fixed-width hex: text order is LSN order).
_RAISE_MARK = """
local current = redis.call('GET', KEYS[1])
if not current or ARGV[1] > current then
  redis.call('SET', KEYS[1], ARGV[1])
  return ARGV[1]
end
return current
"""


def parse_lsn(value: str) -> int:
    """`16/B374D848` (PostgreSQL's pg_lsn text) as a number."""
    high, low = value.split("/")
    return (int(high, 16) << 32) | int(low, 16)


class WriteMarks(Protocol):
    async def raise_to(self, lsn: int) -> None: ...

    async def read(self) -> int | None: ...

    async def close(self) -> None: ...


class MemoryMarks:
    """The mark of this process's writes (the in-process cache serves one process)."""

    def __init__(self) -> None:
        self._mark: int | None = None

    async def raise_to(self, lsn: int) -> None:
        self._mark = lsn if self._mark is None else max(self._mark, lsn)

    async def read(self) -> int | None:
        return self._mark

    async def close(self) -> None:
        return None


class RedisMarks:
    """The mark of every process's writes, one key next to the cache's versions."""

    def __init__(self, url: str, prefix: str, timeout_seconds: float) -> None:
        self._key = f"{prefix}:replica:write-mark"
        self._redis = fail_fast_client(url, timeout_seconds)
        self._raise = self._redis.register_script(_RAISE_MARK)

    async def raise_to(self, lsn: int) -> None:
        await self._raise(keys=[self._key], args=[f"{lsn:016X}"])

    async def read(self) -> int | None:
        raw: bytes | None = await self._redis.get(self._key)  # type: ignore[assignment]
        return int(raw, 16) if raw is not None else None

    async def close(self) -> None:
        await self._redis.aclose()


class WriteMarkUnavailable(ConnectionError):
    """The primary's WAL position could not be published: the invalidation waits, as when the cache
    backend refuses it (an OSError, so the cache replays it later)."""


class ReplicaReads:
    """Chooses, per catalog session, the replica or the primary (see the module's docstring)."""

    def __init__(self, primary: AsyncEngine, replica: AsyncEngine, marks: WriteMarks) -> None:
        self.primary = primary
        self.replica = replica
        self.marks = marks
        self._replica_down_until = 0.0
        # A write whose mark could not be published: this process reads from the primary until
        # a later publication succeeds.
        self._unpublished = False
        self._outcomes = {
            outcome: REPLICA_READS.labels(outcome)
            for outcome in ("replica", "behind", "replica_unavailable", "mark_unavailable")
        }

    async def publish_mark(self) -> None:
        """Raise the write mark to the primary's WAL position now (call after the commit, before
        invalidating the cache)."""
        try:
            lsn = await self._primary_position()
            await self.marks.raise_to(lsn)
        except (*_DATABASE_ERRORS, *_MARK_ERRORS) as exc:
            self._unpublished = True
            raise WriteMarkUnavailable(type(exc).__name__) from exc
        self._unpublished = False

    async def choose(self) -> AsyncEngine:
        """The engine this catalog read runs on."""
        if self._unpublished:
            return self._count("mark_unavailable", self.primary)
        try:
            mark = await self.marks.read()
            if mark is None:
                # No mark (a new store, or one that lost its keys): everything up to now.
                mark = await self._primary_position()
                await self.marks.raise_to(mark)
        except (*_DATABASE_ERRORS, *_MARK_ERRORS):
            return self._count("mark_unavailable", self.primary)
        if time.monotonic() < self._replica_down_until:
            return self._count("replica_unavailable", self.primary)
        try:
            replayed = await self._replica_position()
        except _DATABASE_ERRORS as exc:
            if not self._replica_down_until:
                log.warning("replica_unavailable", error=type(exc).__name__)
            self._replica_down_until = time.monotonic() + RETRY_AFTER_SECONDS
            return self._count("replica_unavailable", self.primary)
        if self._replica_down_until:
            log.info("replica_recovered")
            self._replica_down_until = 0.0
        if replayed is None or replayed < mark:
            return self._count("behind", self.primary)
        return self._count("replica", self.replica)

    async def lag_bytes(self) -> int | None:
        """How far the replica's replay trails the primary's WAL (None when it is no standby);
        raises when either does not answer."""
        replayed = await self._replica_position()
        if replayed is None:
            return None
        return max(await self._primary_position() - replayed, 0)

    def _count(self, outcome: str, engine: AsyncEngine) -> AsyncEngine:
        self._outcomes[outcome].inc()
        return engine

    async def _primary_position(self) -> int:
        async with self.primary.connect() as connection:
            value = await connection.scalar(text("SELECT pg_current_wal_insert_lsn()::text"))
        return parse_lsn(str(value))

    async def _replica_position(self) -> int | None:
        """How far the replica has replayed; None when it is no standby (then it is never used)."""
        async with self.replica.connect() as connection:
            value = await connection.scalar(text("SELECT pg_last_wal_replay_lsn()::text"))
        return parse_lsn(value) if isinstance(value, str) else None

    async def close(self) -> None:
        await self.marks.close()
        await self.replica.dispose()


class RoutedSession(Session):
    """A session whose first statement, not its creation, picks its engine: a catalog read session
    is opened before the cache is consulted, and must read the write mark after it."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        router: ReplicaReads | None = self.info.pop(_ROUTER, None)
        if router is not None:
            self.bind = await_(router.choose()).sync_engine
        return super().get_bind(*args, **kwargs)


def routed_session_options(router: ReplicaReads) -> dict[str, Any]:
    """What an `async_sessionmaker` needs to make sessions that `router` routes."""
    return {"sync_session_class": RoutedSession, "info": {_ROUTER: router}}
