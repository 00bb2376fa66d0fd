"""The per-organization request budget: Zoho allows ~100 calls a minute per org, shared by every process.

A sliding log of call times: in Redis (one sorted set per org, updated atomically by a script that
uses the Redis clock) when the processes share one, in process memory otherwise.
"""

import asyncio
import time
import uuid
from collections import deque
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from storefront.erp.errors import ErpRateLimited
from storefront.logging import get_logger

WINDOW_SECONDS = 60.0
log = get_logger(__name__)

# KEYS[1] the log, KEYS[2] the block set after a 429; ARGV: window ms, limit, member, take (1 to
# take a call, 0 to only count). Returns {taken, remaining, wait_ms}.
_TAKE_SCRIPT = """
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then
  return {0, 0, blocked}
end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
if ARGV[4] == '0' then
  return {0, math.max(limit - used, 0), 0}
end
if used < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, limit - used - 1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, 0, math.max(tonumber(oldest[2]) + window - now, 1)}
"""


class RequestBudget(Protocol):
    limit: int

    async def acquire(self) -> None:
        """Take one call, waiting for the window to free up to the budget's wait limit."""
        ...

    async def remaining(self) -> int: ...

    async def block(self, seconds: float) -> None:
        """The ERP answered 429: take no call for this long, in every process sharing the budget."""
        ...


class LocalBudget:
    def __init__(self, limit: int, *, max_wait: float = 30.0) -> None:
        self.limit = limit
        self.max_wait = max_wait
        self._calls: deque[float] = deque()
        self._blocked_until = 0.0

    def _prune(self, now: float) -> None:
        while self._calls and self._calls[0] <= now - WINDOW_SECONDS:
            self._calls.popleft()

    def try_take(self) -> float:
        """Take a call now (0.0) or say how long until one frees."""
        now = time.monotonic()
        if now < self._blocked_until:
            return self._blocked_until - now
        self._prune(now)
        if len(self._calls) < self.limit:
            self._calls.append(now)
            return 0.0
        return self._calls[0] + WINDOW_SECONDS - now

    async def acquire(self) -> None:
        await _acquire(self.try_take_async, self.max_wait, self.limit)

    async def try_take_async(self) -> float:
        return self.try_take()

    async def remaining(self) -> int:
        now = time.monotonic()
        if now < self._blocked_until:
            return 0
        self._prune(now)
        return max(self.limit - len(self._calls), 0)

    async def block(self, seconds: float) -> None:
        self._blocked_until = max(self._blocked_until, time.monotonic() + seconds)


class RedisBudget:
    """One budget for every process that uses the same Redis key (the organization's)."""

    def __init__(self, redis: Redis, key: str, limit: int, *, max_wait: float = 30.0) -> None:
        self.limit = limit
        self.max_wait = max_wait
        self._redis = redis
        self._key = key
        self._block_key = key + ":blocked"
        self._script = redis.register_script(_TAKE_SCRIPT)
        self._fallback = LocalBudget(limit, max_wait=max_wait)

    async def _run(self, take: bool) -> list[int]:
        window_ms = int(WINDOW_SECONDS * 1000)
        member = uuid.uuid4().hex
        result = await self._script(
            keys=[self._key, self._block_key], args=[window_ms, self.limit, member, int(take)]
        )
        return [int(value) for value in result]

    async def try_take_async(self) -> float:
        try:
            taken, _, wait_ms = await self._run(take=True)
        except RedisError:
            log.warning("erp_budget_redis_unavailable", fallback="process")
            return self._fallback.try_take()
        return 0.0 if taken else wait_ms / 1000

    async def acquire(self) -> None:
        await _acquire(self.try_take_async, self.max_wait, self.limit)

    async def remaining(self) -> int:
        try:
            return (await self._run(take=False))[1]
        except RedisError:
            return await self._fallback.remaining()

    async def block(self, seconds: float) -> None:
        await self._fallback.block(seconds)
        if seconds <= 0:
            return
        try:
            await self._redis.set(self._block_key, b"1", px=max(int(seconds * 1000), 1))
        except RedisError:
            log.warning("erp_budget_redis_unavailable", fallback="process")


async def _acquire(try_take: "TakeFn", max_wait: float, limit: int) -> None:
    waited = 0.0
    while True:
        wait = await try_take()
        if wait <= 0:
            return
        if waited + wait > max_wait:
            raise ErpRateLimited(f"the ERP request budget ({limit} a minute) is spent; try again later")
        await asyncio.sleep(wait)
        waited += wait


class TakeFn(Protocol):
    async def __call__(self) -> float: ...
