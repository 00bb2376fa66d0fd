"""The cache: versioned keys, an L1 in front of a shared backend, one computation per key.

Every read first learns the current version of its namespaces (before the database is queried),
so a computation that began before a write lands under the old version and is never served after
it. Invalidating a namespace replaces its version: every process, L1 included, misses at once.
A stock change that leaves every list as it is makes only the entries showing its products miss
(storefront.cache.stock).
When the shared backend fails, reads fall through to the database and the backend is retried
after a short pause; invalidations that could not be written are replayed before it is used again.
"""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any

from storefront.cache.backends import (
    BACKEND_ERRORS,
    CacheBackend,
    EntryBound,
    MemoryBackend,
    RedisBackend,
    new_version,
)
from storefront.cache.entry import CacheEntry, build_entry
from storefront.cache.lru import ExpiringLRU
from storefront.cache.namespaces import CATALOG
from storefront.cache.routes import CachedRoute, Compute, RouteBinding, bind_route
from storefront.cache.stats import CacheStats
from storefront.cache.stock import ShownProducts
from storefront.cache.versions import VersionReader
from storefront.config import Settings
from storefront.logging import get_logger
from storefront.web.edge import ServedRoute

log = get_logger(__name__)
_LOCK_POLL_SECONDS = 0.01
INVALIDATION = "invalidate"
_SUFFIX_MEMORY = 4096


class Cache:
    def __init__(
        self,
        backend: CacheBackend,
        *,
        prefix: str = "storefront",
        l1_max_entries: int = 1024,
        stale_grace_seconds: float = 30.0,
        lock_seconds: float = 5.0,
        lock_wait_seconds: float = 1.0,
        retry_after_seconds: float = 2.0,
        ttl_overrides: Mapping[str, float] | None = None,
        max_entries_overrides: Mapping[str, int] | None = None,
        versions_pushed: bool = True,
    ) -> None:
        self.backend = backend
        self.prefix = prefix
        self.stats = CacheStats()
        self.stale_grace_seconds = stale_grace_seconds
        self.lock_seconds = lock_seconds
        self.lock_wait_seconds = lock_wait_seconds
        self.retry_after_seconds = retry_after_seconds
        self.ttl_overrides = dict(ttl_overrides or {})
        self.max_entries_overrides = dict(max_entries_overrides or {})
        self._l1: ExpiringLRU[CacheEntry] | None = ExpiringLRU(l1_max_entries) if backend.shared else None
        self._versions = VersionReader(
            backend, pushed=versions_pushed, retry_after_seconds=retry_after_seconds
        )
        self._bindings: dict[tuple[str, str], RouteBinding] = {}
        self.bindings: list[RouteBinding] = []
        self._suffixes: dict[tuple[RouteBinding, str, bytes], str] = {}
        self._flights: dict[str, asyncio.Future[tuple[CacheEntry, str]]] = {}
        self._unavailable_until = 0.0
        self._unwritten_invalidations: set[str] = set()
        # Awaited before every version bump and stock change, replays included (storefront.db.replica
        # publishes the write mark there); when it raises an error of the backend's kind, the
        # invalidation is replayed later.
        self.before_invalidate: Callable[[], Awaitable[None]] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "Cache":
        backend: CacheBackend = (
            RedisBackend(settings.redis_url, settings.cache_prefix, settings.cache_redis_timeout_seconds)
            if settings.redis_url
            else MemoryBackend(settings.cache_memory_max_entries)
        )
        return cls(
            backend,
            prefix=settings.cache_prefix,
            l1_max_entries=settings.cache_l1_max_entries,
            stale_grace_seconds=settings.cache_stale_grace_seconds,
            lock_seconds=settings.cache_lock_seconds,
            lock_wait_seconds=settings.cache_lock_wait_seconds,
            retry_after_seconds=settings.cache_retry_after_seconds,
            ttl_overrides=settings.cache_ttl_overrides,
            max_entries_overrides=settings.cache_max_entries_overrides,
            versions_pushed=settings.cache_versions_pushed,
        )

    # Routes

    def binding(self, route: CachedRoute, served: ServedRoute) -> RouteBinding | None:
        return self._bindings.get((route.prefix, served.path_format))

    def bind(self, route: CachedRoute, served: ServedRoute, operation: Mapping[str, Any]) -> RouteBinding:
        """Attach a cached route to the route serving it (and its OpenAPI operation), so the fast
        path can find its entries."""
        binding = self.binding(route, served)
        if binding is None:
            ttl = self.ttl_overrides.get(route.prefix, route.ttl_seconds)
            max_entries = self.max_entries_overrides.get(route.prefix, route.max_entries)
            binding = bind_route(replace(route, ttl_seconds=ttl, max_entries=max_entries), served, operation)
            self._bindings[(route.prefix, served.path_format)] = binding
            self.bindings.append(binding)
        return binding

    def match(self, path: str) -> RouteBinding | None:
        for binding in self.bindings:
            if binding.path_regex.match(path):
                return binding
        return None

    def suffix(self, binding: RouteBinding, path: str, query_string: bytes) -> str:
        """`binding.suffix`, remembered for the (few) raw paths and queries that repeat."""
        raw = (binding, path, query_string)
        suffix = self._suffixes.get(raw)
        if suffix is None:
            if len(self._suffixes) >= _SUFFIX_MEMORY:
                self._suffixes.clear()
            suffix = self._suffixes[raw] = binding.suffix(path, query_string)
        return suffix

    def key(self, binding: RouteBinding, versions: Sequence[str], suffix: str) -> str:
        return f"{self.prefix}:{binding.route.prefix}:{'.'.join(versions)}:{suffix}"

    # Invalidation

    async def invalidate(self, *namespaces: str) -> None:
        """Make every cached read under these namespaces miss, in every process. Never raises."""
        if not namespaces:
            return
        try:
            await self._bump(namespaces)
        except BACKEND_ERRORS as exc:
            self._unwritten_invalidations.update(namespaces)
            self._failed(INVALIDATION, exc)

    async def _bump(self, namespaces: Sequence[str]) -> None:
        if self.before_invalidate is not None:
            await self.before_invalidate()
        self._versions.written(await self.backend.bump(namespaces))

    async def invalidate_products(self, product_ids: Collection[uuid.UUID]) -> None:
        """Make every cached read showing these products miss, in every process: their stock
        changed, and nothing else did. Never raises."""
        if not product_ids:
            return
        try:
            if self.before_invalidate is not None:
                await self.before_invalidate()
            products = [product_id.bytes for product_id in product_ids]
            self._versions.written(await self.backend.record_stock_change(products))
        except BACKEND_ERRORS as exc:
            self._unwritten_invalidations.add(CATALOG)
            self._failed(INVALIDATION, exc)

    def _current(self, entry: CacheEntry) -> bool:
        """Whether none of the products the entry shows changed stock since it was computed."""
        return self._versions.clock.is_current(entry.stock_seq, entry.products)

    # Reads

    async def lookup(self, binding: RouteBinding, suffix: str) -> CacheEntry | None:
        """A fresh entry if there is one; never computes, never waits for a computation."""
        if not await self._usable():
            return None
        prefix = binding.route.prefix
        try:
            versions, _ = await self._versions.read(binding.route.namespaces)
            key = self.key(binding, versions, suffix)
            entry = self._l1.get(key) if self._l1 is not None else None
            if entry is None:
                entry = await self.backend.get(key)
                if entry is None or not entry.is_fresh(time.time()) or not self._current(entry):
                    return None
                if self._l1 is not None:
                    self._l1.put(key, entry, entry.fresh_until)
            elif not self._current(entry):
                return None
        except BACKEND_ERRORS as exc:
            self._failed(prefix, exc)
            return None
        self.stats.count(prefix, "hits")
        return entry

    async def fetch(self, binding: RouteBinding, suffix: str, compute: Compute) -> tuple[CacheEntry, str]:
        """The entry for this key and how it was obtained: hit, miss, stale or bypass."""
        prefix = binding.route.prefix
        if not await self._usable():
            return await self._bypass(binding, compute)
        try:
            versions, seq = await self._versions.read(binding.route.namespaces)
        except BACKEND_ERRORS as exc:
            self._failed(prefix, exc)
            return await self._bypass(binding, compute)
        key = self.key(binding, versions, suffix)
        entry = self._l1.get(key) if self._l1 is not None else None
        if entry is not None and self._current(entry):
            self.stats.count(prefix, "hits")
            return entry, "hit"
        flight = self._flights.get(key)
        if flight is not None:
            try:
                shared, _ = await asyncio.shield(flight)
            except asyncio.CancelledError:
                if not flight.cancelled():
                    raise
                return await self._bypass(binding, compute, seq)
            if not self._current(shared):  # computed before a stock change this request knows of
                return await self._bypass(binding, compute, seq)
            self.stats.count(prefix, "hits")
            return shared, "hit"
        flight = asyncio.get_running_loop().create_future()
        self._flights[key] = flight
        try:
            result = await self._fill(binding, key, suffix, compute, seq)
        except asyncio.CancelledError:
            flight.cancel()
            raise
        except BaseException as exc:
            flight.set_exception(exc)
            flight.exception()  # waiters re-raise it; no warning when there are none
            raise
        else:
            flight.set_result(result)
            return result
        finally:
            del self._flights[key]

    async def _fill(
        self, binding: RouteBinding, key: str, suffix: str, compute: Compute, seq: int
    ) -> tuple[CacheEntry, str]:
        """After an L1 miss: the shared entry, or compute it under the lock (three round trips to a
        shared backend in all on a miss: versions, get-or-lock, set-and-unlock; one more when the
        shared entry shows a product whose stock changed since)."""
        prefix = binding.route.prefix
        lock_key = key + ":lock"
        token = new_version()
        try:
            entry, locked = await self.backend.get_or_lock(
                key, lock_key, token, self.lock_seconds, self.stale_grace_seconds
            )
            if entry is not None and not self._current(entry):
                entry = None
                locked = locked or await self.backend.try_lock(lock_key, token, self.lock_seconds)
            if entry is not None and entry.is_fresh(time.time()):
                if locked:
                    await self._unlock(prefix, lock_key, token)
                return self._shared_hit(prefix, key, entry)
            if not locked:
                if entry is not None:
                    self.stats.count(prefix, "stale")
                    return entry, "stale"
                entry = await self._wait_for(key)
                if entry is not None:
                    return self._shared_hit(prefix, key, entry)
        except BACKEND_ERRORS as exc:
            self._failed(prefix, exc)
            return await self._bypass(binding, compute, seq)
        try:
            computed = await self._compute(binding, compute, seq)
        except BaseException:
            if locked:
                await self._unlock(prefix, lock_key, token)
            raise
        bound = EntryBound(prefix, suffix, binding.route.max_entries, binding.route.ttl_seconds)
        try:
            ttl = binding.route.ttl_seconds + self.stale_grace_seconds
            if locked:
                stored = await self.backend.set_and_unlock(key, computed, ttl, bound, lock_key, token)
            else:
                stored = await self.backend.set(key, computed, ttl, bound)
        except BACKEND_ERRORS as exc:
            self._failed(prefix, exc)
            return computed, "bypass"
        if not stored:
            self.stats.count(prefix, "bypass")
            return computed, "bypass"
        self._remember(key, computed)
        self.stats.count(prefix, "misses")
        return computed, "miss"

    async def _wait_for(self, key: str) -> CacheEntry | None:
        """Another process is computing this key: wait a little for its answer."""
        deadline = time.monotonic() + self.lock_wait_seconds
        while time.monotonic() < deadline:
            await asyncio.sleep(_LOCK_POLL_SECONDS)
            entry = await self.backend.get(key)
            if entry is not None and entry.is_fresh(time.time()) and self._current(entry):
                return entry
        return None

    async def _unlock(self, prefix: str, lock_key: str, token: str) -> None:
        try:
            await self.backend.unlock(lock_key, token)
        except BACKEND_ERRORS as exc:
            self._failed(prefix, exc)

    def _shared_hit(self, prefix: str, key: str, entry: CacheEntry) -> tuple[CacheEntry, str]:
        self._remember(key, entry)
        self.stats.count(prefix, "hits")
        return entry, "hit"

    def _remember(self, key: str, entry: CacheEntry) -> None:
        if self._l1 is not None:
            self._l1.put(key, entry, entry.fresh_until)

    async def _compute(self, binding: RouteBinding, compute: Compute, seq: int) -> CacheEntry:
        """Run the computation; the entry remembers the stock feed's number read before it began
        and the products it showed."""
        with ShownProducts() as shown:
            data, meta = await compute()
        fresh_until = time.time() + binding.route.ttl_seconds
        return build_entry(data, meta, fresh_until, seq, tuple(shown.products))

    async def _bypass(self, binding: RouteBinding, compute: Compute, seq: int = 0) -> tuple[CacheEntry, str]:
        self.stats.count(binding.route.prefix, "bypass")
        return await self._compute(binding, compute, seq), "bypass"

    # Backend health

    async def _usable(self) -> bool:
        if not self._unavailable_until:
            return True
        if time.monotonic() < self._unavailable_until:
            return False
        if self._unwritten_invalidations:
            namespaces = sorted(self._unwritten_invalidations)
            try:
                await self._bump(namespaces)
            except BACKEND_ERRORS as exc:
                self._failed(INVALIDATION, exc)
                return False
            self._unwritten_invalidations.difference_update(namespaces)
        if self._l1 is not None:
            self._l1.clear()
        self._unavailable_until = 0.0
        log.info("cache_backend_recovered")
        return True

    def _failed(self, prefix: str, exc: BaseException) -> None:
        self._versions.distrust()
        self.stats.count(prefix, "errors")
        if not self._unavailable_until:
            log.warning("cache_backend_unavailable", error=type(exc).__name__)
        self._unavailable_until = time.monotonic() + self.retry_after_seconds

    @property
    def available(self) -> bool:
        return not self._unavailable_until

    @property
    def backend_name(self) -> str:
        return "redis" if self.backend.shared else "memory"

    async def ping(self) -> None:
        """Raise if the backend does not answer (for readiness checks; reads never raise)."""
        await self.backend.read_versions([CATALOG])

    async def close(self) -> None:
        await self._versions.close()
        await self.backend.close()
