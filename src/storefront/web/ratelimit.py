"""Per-client rate limits, counted in Redis (shared by every process) or in this process.

Rules are `limits` rate strings from the settings. A limit whose store fails lets the request
through and logs once: a Redis outage must not stop the shop from selling.
"""

import math
import time
from typing import Literal

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.requests import Request

from storefront.config import Settings
from storefront.logging import get_logger
from storefront.web.clients import client_address
from storefront.web.edge import Gate
from storefront.web.errors import TooManyRequests

log = get_logger(__name__)

Rule = Literal["orders", "quotes", "admin_failures"]
ORDERS: Rule = "orders"
QUOTES: Rule = "quotes"
ADMIN_FAILURES: Rule = "admin_failures"


def _storage(settings: Settings) -> Storage:
    if settings.redis_url:
        return RedisStorage(
            "async+" + settings.redis_url,
            implementation="redispy",
            key_prefix=f"{settings.cache_prefix}:limits",
            wrap_exceptions=True,
            socket_timeout=settings.cache_redis_timeout_seconds,
            socket_connect_timeout=settings.cache_redis_timeout_seconds,
        )
    return MemoryStorage()


class RateLimits:
    def __init__(self, storage: Storage, rules: dict[Rule, list[RateLimitItem]]) -> None:
        self._storage = storage
        self._limiter = SlidingWindowCounterRateLimiter(storage)
        self._rules = rules
        self._store_failing = False

    @classmethod
    def from_settings(cls, settings: Settings) -> "RateLimits":
        return cls(
            _storage(settings),
            {
                ORDERS: parse_many(settings.rate_limit_orders),
                QUOTES: parse_many(settings.rate_limit_quotes),
                ADMIN_FAILURES: parse_many(settings.rate_limit_admin_failures),
            },
        )

    async def consume(self, rule: Rule, client: str) -> None:
        """Count one request of this client; TooManyRequests when it is over the rule's rate."""
        for item in self._rules[rule]:
            try:
                allowed = await self._limiter.hit(item, rule, client)
            except Exception as exc:
                self._failed(exc)
                return
            if not allowed:
                raise TooManyRequests(await self._retry_after(item, rule, client))
        self._store_failing = False

    async def refuse_if_spent(self, rule: Rule, client: str) -> None:
        """TooManyRequests when this client has used up the rule, without counting a request."""
        for item in self._rules[rule]:
            try:
                allowed = await self._limiter.test(item, rule, client)
            except Exception as exc:
                self._failed(exc)
                return
            if not allowed:
                raise TooManyRequests(await self._retry_after(item, rule, client))

    async def _retry_after(self, item: RateLimitItem, rule: Rule, client: str) -> int:
        try:
            stats = await self._limiter.get_window_stats(item, rule, client)
        except Exception:
            return item.get_expiry()
        return max(1, math.ceil(stats.reset_time - time.time()))

    def _failed(self, exc: Exception) -> None:
        if not self._store_failing:
            log.warning("rate_limit_store_unavailable", error=type(exc).__name__)
        self._store_failing = True

    async def close(self) -> None:
        timer = getattr(self._storage, "timer", None)
        if timer is not None:
            timer.cancel()


def _gate(rule: Rule) -> Gate:
    async def check(request: Request) -> None:
        limits: RateLimits | None = getattr(request.app.state, "rate_limits", None)
        if limits is not None:
            await limits.consume(rule, client_address(request.scope))

    return Gate(check, raises=(TooManyRequests,))


# Gates (storefront.web.edge) of the public writes: counted before the body is read.
limit_orders = _gate(ORDERS)
limit_quotes = _gate(QUOTES)
