"""Where cached entries and namespace versions live: this process's memory, or Redis shared by all.

A version is a random token, never a counter: a Redis that restarts empty hands out new tokens,
so an entry kept in some process's L1 under an old token can never match again.
"""

import secrets
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from storefront.cache.entry import CacheEntry
from storefront.cache.lru import ExpiringLRU
from storefront.cache.stock import StockChanges

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
# the changes after the number the reader knows (none when it knows none yet), at most ARGV[n+2] + 1.
# KEYS: the versions', then the feed's number and its stream; ARGV: new versions, known, limit.
_READ_VERSIONS_AND_STOCK = """
local n = #KEYS - 2
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
return {versions, seq, changes}
"""
# A stock change: the feed's next number, and its products. KEYS: number, stream; ARGV: the
# products' ids (bytes, concatenated), the stream's length to keep.
_RECORD_STOCK_CHANGE = """
local seq = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], seq .. '-0', 'p', ARGV[1])
return seq
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
class EntryBound:
    """Which route an entry answers, and how many distinct answers the route may keep."""

    route: str
    suffix: str
    max_entries: int
    window_seconds: float


class CacheBackend(Protocol):
    shared: bool

    async def read_versions(self, namespaces: Sequence[str]) -> list[str]: ...

    async def bump(self, namespaces: Sequence[str]) -> None: ...

    async def read_versions_and_stock(
        self, namespaces: Sequence[str], known_seq: int | None
    ) -> tuple[list[str], StockChanges]:
        """`read_versions`, and the stock feed after `known_seq` (one round trip)."""
        ...

    async def record_stock_change(self, products: Sequence[bytes]) -> None: ...

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

    async def read_versions_and_stock(
        self, namespaces: Sequence[str], known_seq: int | None
    ) -> tuple[list[str], StockChanges]:
        versions = await self.read_versions(namespaces)
        seq = self._stock_seq
        if known_seq is None or known_seq >= seq:
            return versions, StockChanges(seq, (), True)
        changes = [change for change in self._stock_feed if change[0] > known_seq]
        complete = bool(changes) and changes[0][0] == known_seq + 1
        return versions, StockChanges(seq, changes, complete)

    async def record_stock_change(self, products: Sequence[bytes]) -> None:
        self._stock_seq += 1
        self._stock_feed.append((self._stock_seq, tuple(products)))

    async def read_versions(self, namespaces: Sequence[str]) -> list[str]:
        versions = self._versions
        return [
            versions.get(namespace) or versions.setdefault(namespace, new_version())
            for namespace in namespaces
        ]

    async def bump(self, namespaces: Sequence[str]) -> None:
        for namespace in namespaces:
            self._versions[namespace] = new_version()

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
        self._prefix = prefix
        self._redis = Redis.from_url(
            url,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=0,
        )
        self._read_versions = self._redis.register_script(_READ_VERSIONS)
        self._bounded_set = self._redis.register_script(_BOUNDED_SET)
        self._unlock = self._redis.register_script(_UNLOCK)
        self._get_or_lock = self._redis.register_script(_GET_OR_LOCK)
        self._set_and_unlock = self._redis.register_script(_SET_AND_UNLOCK)
        self._read_versions_and_stock = self._redis.register_script(_READ_VERSIONS_AND_STOCK)
        self._record_stock_change = self._redis.register_script(_RECORD_STOCK_CHANGE)
        self._stock_keys = [f"{prefix}:stock:seq", f"{prefix}:stock:changes"]

    def _version_key(self, namespace: str) -> str:
        return f"{self._prefix}:version:{namespace}"

    async def read_versions(self, namespaces: Sequence[str]) -> list[str]:
        keys = [self._version_key(namespace) for namespace in namespaces]
        versions = await self._read_versions(keys=keys, args=[new_version() for _ in keys])
        return [version.decode() for version in versions]

    async def bump(self, namespaces: Sequence[str]) -> None:
        await self._redis.mset({self._version_key(namespace): new_version() for namespace in namespaces})

    async def read_versions_and_stock(
        self, namespaces: Sequence[str], known_seq: int | None
    ) -> tuple[list[str], StockChanges]:
        keys = [self._version_key(namespace) for namespace in namespaces]
        known = -1 if known_seq is None else known_seq
        versions, seq, found = await self._read_versions_and_stock(
            keys=[*keys, *self._stock_keys], args=[*(new_version() for _ in keys), known, STOCK_READ_LIMIT]
        )
        changes = [(int(entry_id.split(b"-")[0]), _product_ids(fields[1])) for entry_id, fields in found]
        complete = (
            known_seq is None
            or seq <= known
            or (len(changes) <= STOCK_READ_LIMIT and bool(changes) and changes[0][0] == known + 1)
        )
        return [version.decode() for version in versions], StockChanges(int(seq), changes, complete)

    async def record_stock_change(self, products: Sequence[bytes]) -> None:
        await self._record_stock_change(keys=self._stock_keys, args=[b"".join(products), STOCK_FEED_LENGTH])

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
