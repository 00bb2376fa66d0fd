"""Where cached entries and namespace versions live: this process's memory, or Redis shared by all.

A version is a random token, never a counter: a Redis that restarts empty hands out new tokens,
so an entry kept in some process's L1 under an old token can never match again.

In Redis every invalidation (a version replaced, a stock change) also takes the next number of
one counter and is published with it, so a process can keep the versions and the stock feed from
the messages, in order, and notice one it missed (storefront.cache.versions).
"""

import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from redis.exceptions import RedisError

from storefront.cache.entry import CacheEntry
from storefront.cache.lru import ExpiringLRU
from storefront.cache.stock import StockChanges
from storefront.redis_clients import fail_fast_client

# Errors that mean "the shared cache is unavailable": the read falls through to the database.
BACKEND_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)

# Read every version, creating the missing ones, in one round trip.
_READ_VERSIONS = """
local versions = {}
for i, key in ipairs(KEYS) do
  local version = redis.call('GET', key)
  if not version then
    version = ARGV[i]
    redis.call('SET', key, version)
  end
  versions[i] = version
end
return versions
"""
# The versions as _READ_VERSIONS, then the stock feed (storefront.cache.stock): its number, and
# the changes after the number the reader knows (none when it knows none yet), at most ARGV[n+2] + 1;
# then the number of the latest invalidation published.
# KEYS: the versions', then the feed's number, its stream, the invalidations' counter;
# ARGV: new versions, known, limit.
_READ_VERSIONS_AND_STOCK = """
local n = #KEYS - 3
local versions = {}
for i = 1, n do
  local version = redis.call('GET', KEYS[i])
  if not version then
    version = ARGV[i]
    redis.call('SET', KEYS[i], version)
  end
  versions[i] = version
end
local seq = tonumber(redis.call('GET', KEYS[n + 1]) or '0')
local known = tonumber(ARGV[n + 1])
local changes = {}
if known >= 0 and seq > known then
  changes = redis.call('XRANGE', KEYS[n + 2], tostring(known + 1), '+', 'COUNT', tonumber(ARGV[n + 2]) + 1)
end
return {versions, seq, changes, tonumber(redis.call('GET', KEYS[n + 3]) or '0')}
"""
# New versions, published as `v<number> <namespace>=<version> ...`.
# KEYS: the versions', the invalidations' counter; ARGV: the new versions, the namespaces, channel.
_BUMP = """
local n = #KEYS - 1
local parts = {}
for i = 1, n do
  redis.call('SET', KEYS[i], ARGV[i])
  parts[i] = ARGV[n + i] .. '=' .. ARGV[i]
end
local event = redis.call('INCR', KEYS[n + 1])
redis.call('PUBLISH', ARGV[2 * n + 1], 'v' .. event .. ' ' .. table.concat(parts, ' '))
return event
"""
# A stock change: the feed's next number and its products, kept in the stream and published as
# `s<number> <feed number> <products>`. KEYS: the feed's number, its stream, the invalidations'
# counter; ARGV: the products' ids (bytes, concatenated), the stream's length to keep, channel.
_RECORD_STOCK_CHANGE = """
local seq = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], seq .. '-0', 'p', ARGV[1])
local event = redis.call('INCR', KEYS[3])
redis.call('PUBLISH', ARGV[3], 's' .. event .. ' ' .. seq .. ' ' .. ARGV[1])
return {event, seq}
"""
# How many changes the feed keeps, and how many one read brings back at most.
STOCK_FEED_LENGTH = 10_000
STOCK_READ_LIMIT = 1_000
_PRODUCT_ID_LENGTH = 16

# Store an entry unless its route already holds `max_entries` other answers (suffixes) in this
# window: a set of the suffixes stored, forgotten after the route's TTL.
_BOUNDED_SET = """
if redis.call('SISMEMBER', KEYS[2], ARGV[3]) == 0 then
  if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[4]) then return 0 end
  redis.call('SADD', KEYS[2], ARGV[3])
  if redis.call('PTTL', KEYS[2]) < 0 then redis.call('PEXPIRE', KEYS[2], ARGV[5]) end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# A lookup after an L1 miss, in one round trip: the entry, and the lock to compute it when it is
# missing or past its freshness (an entry lives its TTL plus the stale grace, so fewer than the
# grace's milliseconds left means stale). KEYS: entry, lock; ARGV: token, lock ms, grace ms.
# Returns {entry or false, 1 when locked}.
_GET_OR_LOCK = """
local entry = redis.call('GET', KEYS[1])
if entry and redis.call('PTTL', KEYS[1]) > tonumber(ARGV[3]) then
  return {entry, 0}
end
local locked = redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2])
return {entry, locked and 1 or 0}
"""
# Store a computed entry within its route's bound and let go of its lock, in one round trip.
# KEYS: entry, the route's stored set, lock; ARGV: as _BOUNDED_SET, then the lock's token.
_SET_AND_UNLOCK = (
    """
local function store()
"""
    + _BOUNDED_SET
    + """
end
local stored = store()
if redis.call('GET', KEYS[3]) == ARGV[6] then redis.call('DEL', KEYS[3]) end
return stored
"""
)


def new_version() -> str:
    return secrets.token_hex(8)


@dataclass(frozen=True, slots=True)
class VersionRead:
    """Versions as read, the stock feed after the number the reader knew, and the number of the
    latest invalidation published (0 where nothing is published)."""

    versions: list[str]
    stock: StockChanges
    event: int = 0


@dataclass(frozen=True, slots=True)
class Invalidation:
    """One invalidation as written (and, with Redis, published as the `event`-th): new versions,
    or a stock change (the feed's number and its products)."""

    event: int
    versions: dict[str, str] = field(default_factory=dict)
    stock: tuple[int, tuple[bytes, ...]] | None = None


# What a subscription yields first: it is listening, so everything published from now on comes.
SUBSCRIBED = Invalidation(0)
# What it yields after a second without messages.
QUIET = Invalidation(-1)


@dataclass(frozen=True, slots=True)
class EntryBound:
    """Which route an entry answers, and how many distinct answers the route may keep."""

    route: str
    suffix: str
    max_entries: int
    window_seconds: float


class CacheBackend(Protocol):
    shared: bool

    async def read_versions(self, namespaces: Sequence[str]) -> list[str]: ...

    async def bump(self, namespaces: Sequence[str]) -> Invalidation: ...

    async def read_versions_and_stock(self, namespaces: Sequence[str], known_seq: int | None) -> VersionRead:
        """`read_versions`, and the stock feed after `known_seq` (one round trip)."""
        ...

    async def record_stock_change(self, products: Sequence[bytes]) -> Invalidation: ...

    def invalidations(self) -> AsyncIterator[Invalidation]:
        """Every invalidation published from now on, in order, after SUBSCRIBED, and QUIET after
        each second without one (shared backends)."""
        ...

    async def invalidation_count(self) -> int:
        """The number of the latest invalidation published."""
        ...

    async def get(self, key: str) -> CacheEntry | None: ...

    async def set(self, key: str, entry: CacheEntry, ttl_seconds: float, bound: EntryBound) -> bool:
        """Store the entry; False when its route is full (then it is not stored)."""
        ...

    async def try_lock(self, key: str, token: str, ttl_seconds: float) -> bool: ...

    async def unlock(self, key: str, token: str) -> None: ...

    async def get_or_lock(
        self, key: str, lock_key: str, token: str, lock_seconds: float, grace_seconds: float
    ) -> tuple[CacheEntry | None, bool]:
        """The entry, and whether this caller now holds the lock to compute it: taken only when the
        entry is missing or stale (one round trip)."""
        ...

    async def set_and_unlock(
        self, key: str, entry: CacheEntry, ttl_seconds: float, bound: EntryBound, lock_key: str, token: str
    ) -> bool:
        """`set`, then let go of the lock if this caller still holds it (one round trip)."""
        ...

    async def close(self) -> None: ...


class MemoryBackend:
    """One process, no sharing: entries in a bounded LRU, versions in a dict."""

    shared = False

    def __init__(self, max_entries: int) -> None:
        self._entries: ExpiringLRU[CacheEntry] = ExpiringLRU(max_entries)
        self._versions: dict[str, str] = {}
        # Per route: when its window ends, and the answers (suffixes) stored in it.
        self._stored: dict[str, tuple[float, set[str]]] = {}
        self._stock_seq = 0
        self._stock_feed: deque[tuple[int, Sequence[bytes]]] = deque(maxlen=STOCK_FEED_LENGTH)

    async def read_versions_and_stock(self, namespaces: Sequence[str], known_seq: int | None) -> VersionRead:
        versions = await self.read_versions(namespaces)
        seq = self._stock_seq
        if known_seq is None or known_seq >= seq:
            return VersionRead(versions, StockChanges(seq, (), True))
        changes = [change for change in self._stock_feed if change[0] > known_seq]
        complete = bool(changes) and changes[0][0] == known_seq + 1
        return VersionRead(versions, StockChanges(seq, changes, complete))

    async def record_stock_change(self, products: Sequence[bytes]) -> Invalidation:
        self._stock_seq += 1
        self._stock_feed.append((self._stock_seq, tuple(products)))
        return Invalidation(0, stock=(self._stock_seq, tuple(products)))

    def invalidations(self) -> AsyncIterator[Invalidation]:
        raise NotImplementedError("one process's memory publishes nothing")

    async def invalidation_count(self) -> int:
        return 0

    async def read_versions(self, namespaces: Sequence[str]) -> list[str]:
        versions = self._versions
        return [
            versions.get(namespace) or versions.setdefault(namespace, new_version())
            for namespace in namespaces
        ]

    async def bump(self, namespaces: Sequence[str]) -> Invalidation:
        versions = {namespace: new_version() for namespace in namespaces}
        self._versions.update(versions)
        return Invalidation(0, versions)

    async def get(self, key: str) -> CacheEntry | None:
        return self._entries.get(key)

    async def set(self, key: str, entry: CacheEntry, ttl_seconds: float, bound: EntryBound) -> bool:
        now = time.time()
        window_ends, suffixes = self._stored.get(bound.route, (0.0, set()))
        if now >= window_ends:
            window_ends, suffixes = now + bound.window_seconds, set()
            self._stored[bound.route] = (window_ends, suffixes)
        if bound.suffix not in suffixes:
            if len(suffixes) >= bound.max_entries:
                return False
            suffixes.add(bound.suffix)
        self._entries.put(key, entry, now + ttl_seconds)
        return True

    async def try_lock(self, key: str, token: str, ttl_seconds: float) -> bool:
        return True

    async def unlock(self, key: str, token: str) -> None:
        return None

    async def get_or_lock(
        self, key: str, lock_key: str, token: str, lock_seconds: float, grace_seconds: float
    ) -> tuple[CacheEntry | None, bool]:
        return self._entries.get(key), True

    async def set_and_unlock(
        self, key: str, entry: CacheEntry, ttl_seconds: float, bound: EntryBound, lock_key: str, token: str
    ) -> bool:
        return await self.set(key, entry, ttl_seconds, bound)

    async def close(self) -> None:
        self._entries.clear()


class RedisBackend:
    """Entries and versions in Redis, shared by every process that uses the same key prefix."""

    shared = True

    def __init__(self, url: str, prefix: str, timeout_seconds: float) -> None:
        self._url = url
        self._timeout_seconds = timeout_seconds
        self._prefix = prefix
        self._channel = f"{prefix}:invalidations"
        self._events_key = f"{prefix}:invalidations:count"
        self._redis = fail_fast_client(url, timeout_seconds)
        self._read_versions = self._redis.register_script(_READ_VERSIONS)
        self._bounded_set = self._redis.register_script(_BOUNDED_SET)
        self._unlock = self._redis.register_script(_UNLOCK)
        self._get_or_lock = self._redis.register_script(_GET_OR_LOCK)
        self._set_and_unlock = self._redis.register_script(_SET_AND_UNLOCK)
        self._read_versions_and_stock = self._redis.register_script(_READ_VERSIONS_AND_STOCK)
        self._record_stock_change = self._redis.register_script(_RECORD_STOCK_CHANGE)
        self._bump = self._redis.register_script(_BUMP)
        self._stock_keys = [f"{prefix}:stock:seq", f"{prefix}:stock:changes", self._events_key]

    def _version_key(self, namespace: str) -> str:
        return f"{self._prefix}:version:{namespace}"

    async def read_versions(self, namespaces: Sequence[str]) -> list[str]:
        keys = [self._version_key(namespace) for namespace in namespaces]
        versions = await self._read_versions(keys=keys, args=[new_version() for _ in keys])
        return [version.decode() for version in versions]

    async def bump(self, namespaces: Sequence[str]) -> Invalidation:
        versions = {namespace: new_version() for namespace in namespaces}
        event = await self._bump(
            keys=[*map(self._version_key, versions), self._events_key],
            args=[*versions.values(), *versions, self._channel],
        )
        return Invalidation(int(event), versions)

    async def invalidations(self) -> AsyncIterator[Invalidation]:
        # A connection of its own, with no read timeout: it waits for messages.
        listener = fail_fast_client(self._url, self._timeout_seconds, listens=True)
        pubsub = listener.pubsub()
        try:
            await pubsub.subscribe(self._channel)
            while True:
                message = await pubsub.get_message(timeout=1.0)
                if message is None:
                    yield QUIET
                elif message["type"] == "subscribe":
                    yield SUBSCRIBED
                elif message["type"] == "message":
                    yield _parse_invalidation(message["data"])
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            await listener.aclose()

    async def invalidation_count(self) -> int:
        return int(await self._redis.get(self._events_key) or 0)

    async def read_versions_and_stock(self, namespaces: Sequence[str], known_seq: int | None) -> VersionRead:
        keys = [self._version_key(namespace) for namespace in namespaces]
        known = -1 if known_seq is None else known_seq
        versions, seq, found, event = await self._read_versions_and_stock(
            keys=[*keys, *self._stock_keys], args=[*(new_version() for _ in keys), known, STOCK_READ_LIMIT]
        )
        changes = [(int(entry_id.split(b"-")[0]), _product_ids(fields[1])) for entry_id, fields in found]
        complete = (
            known_seq is None
            or seq <= known
            or (len(changes) <= STOCK_READ_LIMIT and bool(changes) and changes[0][0] == known + 1)
        )
        stock = StockChanges(int(seq), changes, complete)
        return VersionRead([version.decode() for version in versions], stock, int(event))

    async def record_stock_change(self, products: Sequence[bytes]) -> Invalidation:
        event, seq = await self._record_stock_change(
            keys=self._stock_keys, args=[b"".join(products), STOCK_FEED_LENGTH, self._channel]
        )
        return Invalidation(int(event), stock=(int(seq), tuple(products)))

    async def get(self, key: str) -> CacheEntry | None:
        raw: bytes | None = await self._redis.get(key)  # type: ignore[assignment]
        return CacheEntry.decode(raw) if raw is not None else None

    def _set_args(self, entry: CacheEntry, ttl_seconds: float, bound: EntryBound) -> list[bytes | str | int]:
        return [
            entry.encode(),
            max(1, int(ttl_seconds * 1000)),
            bound.suffix,
            bound.max_entries,
            max(1, int(bound.window_seconds * 1000)),
        ]

    async def set(self, key: str, entry: CacheEntry, ttl_seconds: float, bound: EntryBound) -> bool:
        stored = await self._bounded_set(
            keys=[key, f"{self._prefix}:stored:{bound.route}"], args=self._set_args(entry, ttl_seconds, bound)
        )
        return bool(stored)

    async def get_or_lock(
        self, key: str, lock_key: str, token: str, lock_seconds: float, grace_seconds: float
    ) -> tuple[CacheEntry | None, bool]:
        raw, locked = await self._get_or_lock(
            keys=[key, lock_key], args=[token, max(1, int(lock_seconds * 1000)), int(grace_seconds * 1000)]
        )
        return (CacheEntry.decode(raw) if raw else None), bool(locked)

    async def set_and_unlock(
        self, key: str, entry: CacheEntry, ttl_seconds: float, bound: EntryBound, lock_key: str, token: str
    ) -> bool:
        stored = await self._set_and_unlock(
            keys=[key, f"{self._prefix}:stored:{bound.route}", lock_key],
            args=[*self._set_args(entry, ttl_seconds, bound), token],
        )
        return bool(stored)

    async def try_lock(self, key: str, token: str, ttl_seconds: float) -> bool:
        return bool(await self._redis.set(key, token, nx=True, px=max(1, int(ttl_seconds * 1000))))

    async def unlock(self, key: str, token: str) -> None:
        await self._unlock(keys=[key], args=[token])

    async def close(self) -> None:
        await self._redis.aclose()


def _product_ids(joined: bytes) -> list[bytes]:
    return [joined[at : at + _PRODUCT_ID_LENGTH] for at in range(0, len(joined), _PRODUCT_ID_LENGTH)]


def _parse_invalidation(data: bytes) -> Invalidation:
    """`v<event> <namespace>=<version> ...` or `s<event> <feed number> <products>`."""
    kind, rest = data[:1], data[1:]
    if kind == b"s":
        number, seq, products = rest.split(b" ", 2)
        return Invalidation(int(number), stock=(int(seq), tuple(_product_ids(products))))
    event, *pairs = rest.decode().split(" ")
    return Invalidation(int(event), dict(pair.split("=", 1) for pair in pairs))
