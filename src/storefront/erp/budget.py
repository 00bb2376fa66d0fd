"""The organisation's ERP budget, shared by every process: calls a minute, the daily quota, calls in flight.

Zoho allows about 100 calls a minute per organisation, a daily quota by plan, and 5 or 10 calls
at once. The per-minute budget is a sliding log of call times; each kind of work may fill only
its share of it (order pushes all of it), so a long sync or a burst of webhooks slows down
instead of starving order pushes. When the daily quota is spent, every call pauses until Zoho's
reset; syncs, webhooks and picture fetches already stop when what is left is the pushes' reserve.

State lives in Redis when the processes share one (updated atomically by scripts that use the
Redis clock), in process memory otherwise; a Redis failure falls back to the process.
"""

import asyncio
import math
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from storefront.erp.errors import ErpQuotaExhausted, ErpRateLimited
from storefront.logging import get_logger

WINDOW_SECONDS = 60.0
# How long a call may hold its in-flight slot: longer than any request's timeout.
FLIGHT_LEASE_SECONDS = 60.0
_FLIGHT_POLL_SECONDS = 0.02
log = get_logger(__name__)


class Priority(StrEnum):
    """Kinds of ERP work, most urgent first."""

    PUSH = "push"  # order pushes: sales orders, their contacts and confirmations
    SETTLE = "settle"  # re-reading confirmed orders' items so their reservations end
    WEBHOOK = "webhook"  # items a webhook names
    SYNC = "sync"  # full and incremental syncs
    IMAGE = "image"  # product pictures, fetched in the background after a sync saw them change


# Work that stops when only the pushes' reserve of the daily quota is left.
BACKGROUND = frozenset({Priority.WEBHOOK, Priority.SYNC, Priority.IMAGE})


@dataclass(frozen=True, slots=True)
class DailyQuota:
    """What Zoho's X-Rate-Limit-* headers said last: the daily quota, what is left, when it resets."""

    limit: int
    remaining: int
    reset_at: float  # UNIX time


@dataclass(frozen=True)
class BudgetPolicy:
    per_minute: int
    # Share of the per-minute budget each priority may fill; a priority not named may fill it all.
    shares: Mapping[Priority, float] = field(default_factory=dict)
    # How long a call of each priority waits for the per-minute budget (None: as long as it takes).
    max_wait: Mapping[Priority, float | None] = field(default_factory=dict)
    default_max_wait: float | None = 30.0
    daily_reserve_share: float = 0.0
    quota_pause_seconds: float = 3600.0
    max_concurrent: int = 5

    def ceiling(self, priority: Priority) -> int:
        return max(1, math.floor(self.per_minute * self.shares.get(priority, 1.0)))

    def wait_limit(self, priority: Priority) -> float | None:
        return self.max_wait.get(priority, self.default_max_wait)


class BudgetStore(Protocol):
    """Where the budget's state lives; every operation is atomic across the processes sharing it."""

    async def take(self, limit: int) -> float:
        """Take a call if fewer than `limit` were made in the window: 0.0, or seconds until one frees."""
        ...

    async def used(self) -> int: ...

    async def block(self, seconds: float) -> None: ...

    async def pause(self, until: float) -> None: ...

    async def paused_until(self) -> float | None: ...

    async def set_daily(self, quota: DailyQuota) -> None: ...

    async def daily(self) -> DailyQuota | None: ...

    async def enter_flight(self, member: str, limit: int) -> bool: ...

    async def leave_flight(self, member: str) -> None: ...


class LocalStore:
    def __init__(self) -> None:
        self._calls: deque[float] = deque()
        self._blocked_until = 0.0
        self._paused_until = 0.0
        self._daily: DailyQuota | None = None
        self._flights: set[str] = set()

    def _prune(self, now: float) -> None:
        while self._calls and self._calls[0] <= now - WINDOW_SECONDS:
            self._calls.popleft()

    async def take(self, limit: int) -> float:
        now = time.monotonic()
        if now < self._blocked_until:
            return self._blocked_until - now
        self._prune(now)
        if len(self._calls) < limit:
            self._calls.append(now)
            return 0.0
        return max(self._calls[len(self._calls) - limit] + WINDOW_SECONDS - now, 0.001)

    async def used(self) -> int:
        now = time.monotonic()
        if now < self._blocked_until:
            return -1
        self._prune(now)
        return len(self._calls)

    async def block(self, seconds: float) -> None:
        self._blocked_until = max(self._blocked_until, time.monotonic() + seconds)

    async def pause(self, until: float) -> None:
        self._paused_until = max(self._paused_until, until)

    async def paused_until(self) -> float | None:
        return self._paused_until if self._paused_until > time.time() else None

    async def set_daily(self, quota: DailyQuota) -> None:
        self._daily = quota

    async def daily(self) -> DailyQuota | None:
        if self._daily is not None and self._daily.reset_at <= time.time():
            self._daily = None
        return self._daily

    async def enter_flight(self, member: str, limit: int) -> bool:
        if len(self._flights) >= limit:
            return False
        self._flights.add(member)
        return True

    async def leave_flight(self, member: str) -> None:
        self._flights.discard(member)


# KEYS[1] the log, KEYS[2] the block set after a 429; ARGV: window ms, limit, member, take (1 to
# take a call, 0 to only count). Returns {taken, used, wait_ms}; used is -1 while blocked.
_TAKE_SCRIPT = """
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then
  return {0, -1, blocked}
end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
if ARGV[4] == '0' then
  return {0, used, 0}
end
if used < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, used + 1, 0}
end
local freeing = redis.call('ZRANGE', KEYS[1], used - limit, used - limit, 'WITHSCORES')
return {0, used, math.max(tonumber(freeing[2]) + window - now, 1)}
"""
# KEYS[1] the calls in flight (member -> lease end); ARGV: lease ms, limit, member. Returns 1 if entered.
_ENTER_FLIGHT_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1
"""


class RedisStore:
    """One budget for every process that uses the same key prefix (the organisation's)."""

    def __init__(self, redis: Redis, key: str) -> None:
        self._redis = redis
        self._key = key
        self._take_script = redis.register_script(_TAKE_SCRIPT)
        self._enter_script = redis.register_script(_ENTER_FLIGHT_SCRIPT)
        self._fallback = LocalStore()

    def _warn(self) -> None:
        log.warning("erp_budget_redis_unavailable", fallback="process")

    async def _window(self, limit: int, take: bool) -> list[int]:
        result = await self._take_script(
            keys=[self._key, self._key + ":blocked"],
            args=[int(WINDOW_SECONDS * 1000), limit, uuid.uuid4().hex, int(take)],
        )
        return [int(value) for value in result]

    async def take(self, limit: int) -> float:
        try:
            taken, _, wait_ms = await self._window(limit, take=True)
        except RedisError:
            self._warn()
            return await self._fallback.take(limit)
        return 0.0 if taken else wait_ms / 1000

    async def used(self) -> int:
        try:
            return (await self._window(0, take=False))[1]
        except RedisError:
            return await self._fallback.used()

    async def block(self, seconds: float) -> None:
        await self._fallback.block(seconds)
        if seconds > 0:
            await self._set(self._key + ":blocked", b"1", seconds)

    async def pause(self, until: float) -> None:
        await self._fallback.pause(until)
        await self._set(self._key + ":paused", repr(until).encode(), until - time.time())

    async def paused_until(self) -> float | None:
        try:
            value = await self._redis.get(self._key + ":paused")
        except RedisError:
            return await self._fallback.paused_until()
        until = float(value) if value else 0.0
        return until if until > time.time() else None

    async def set_daily(self, quota: DailyQuota) -> None:
        await self._fallback.set_daily(quota)
        value = f"{quota.limit} {quota.remaining} {quota.reset_at!r}".encode()
        await self._set(self._key + ":daily", value, quota.reset_at - time.time())

    async def daily(self) -> DailyQuota | None:
        try:
            value = await self._redis.get(self._key + ":daily")
        except RedisError:
            return await self._fallback.daily()
        if not value:
            return None
        limit, remaining, reset_at = value.split()
        return DailyQuota(int(limit), int(remaining), float(reset_at))

    async def enter_flight(self, member: str, limit: int) -> bool:
        try:
            lease_ms = int(FLIGHT_LEASE_SECONDS * 1000)
            return bool(
                await self._enter_script(keys=[self._key + ":flight"], args=[lease_ms, limit, member])
            )
        except RedisError:
            self._warn()
            return await self._fallback.enter_flight(member, limit)

    async def leave_flight(self, member: str) -> None:
        await self._fallback.leave_flight(member)
        try:
            await self._redis.zrem(self._key + ":flight", member)
        except RedisError:
            self._warn()

    async def _set(self, key: str, value: bytes, seconds: float) -> None:
        if seconds <= 0:
            return
        try:
            await self._redis.set(key, value, px=max(int(seconds * 1000), 1))
        except RedisError:
            self._warn()


class RequestBudget:
    """The rules of the budget, over a store that holds its state."""

    def __init__(self, store: BudgetStore, policy: BudgetPolicy) -> None:
        self.store = store
        self.policy = policy

    @property
    def limit(self) -> int:
        return self.policy.per_minute

    async def acquire(self, priority: Priority) -> None:
        """Take one call of this priority, waiting for the window up to the priority's wait limit.

        Raises ErpQuotaExhausted while ERP traffic is paused (or, for background work, while only
        the pushes' reserve of the daily quota is left), ErpRateLimited after waiting too long.
        """
        paused = await self.store.paused_until()
        if paused is not None:
            raise ErpQuotaExhausted("the ERP's daily quota is spent", until=paused)
        if priority in BACKGROUND:
            await self._check_reserve()
        ceiling = self.policy.ceiling(priority)
        max_wait = self.policy.wait_limit(priority)
        waited = 0.0
        while True:
            wait = await self.store.take(ceiling)
            if wait <= 0:
                return
            if max_wait is not None and waited + wait > max_wait:
                raise ErpRateLimited(
                    f"the ERP request budget ({self.limit} a minute) is spent; try again later"
                )
            await asyncio.sleep(wait)
            waited += wait

    async def _check_reserve(self) -> None:
        quota = await self.store.daily()
        reserve = self.policy.daily_reserve_share
        if quota is not None and reserve > 0 and quota.remaining <= quota.limit * reserve:
            raise ErpQuotaExhausted(
                "what is left of the ERP's daily quota is kept for order pushes", until=quota.reset_at
            )

    @asynccontextmanager
    async def in_flight(self) -> AsyncIterator[None]:
        """Hold one of the organisation's concurrent-call slots for the duration of a call."""
        member = uuid.uuid4().hex
        # Slots are freed by other processes too, so there is nothing to wait on but the store.
        while not await self.store.enter_flight(member, self.policy.max_concurrent):  # noqa: ASYNC110
            await asyncio.sleep(_FLIGHT_POLL_SECONDS)
        try:
            yield
        finally:
            await self.store.leave_flight(member)

    async def remaining(self) -> int:
        """Calls left in this minute's window (0 while blocked after a 429)."""
        used = await self.store.used()
        return 0 if used < 0 else max(self.limit - used, 0)

    async def block(self, seconds: float) -> None:
        """The ERP answered 429 for the minute: take no call for this long, in every process."""
        await self.store.block(seconds)

    async def pause_for_quota(self, reset_at: float | None) -> float:
        """The daily quota is spent: pause every call until `reset_at` (or the configured pause)."""
        until = (
            reset_at if reset_at and reset_at > time.time() else time.time() + self.policy.quota_pause_seconds
        )
        await self.store.pause(until)
        return until

    async def observe(self, quota: DailyQuota) -> None:
        await self.store.set_daily(quota)

    async def daily(self) -> DailyQuota | None:
        return await self.store.daily()

    async def paused_until(self) -> float | None:
        return await self.store.paused_until()
