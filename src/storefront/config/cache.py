"""The read cache: Redis shared by every process, or this process's memory."""

from pydantic import BaseModel, Field, field_validator


class CacheSettings(BaseModel):
    redis_url: str | None = None
    # Read cache: keys are namespaced by the prefix, so deployments (and test runs) never collide.
    cache_prefix: str = "storefront"
    cache_ttl_overrides: dict[str, float] = Field(default_factory=dict)
    cache_l1_max_entries: int = Field(default=1024, ge=0)
    cache_memory_max_entries: int = Field(default=10_000, ge=0)
    cache_stale_grace_seconds: float = Field(default=30.0, ge=0)
    cache_lock_seconds: float = Field(default=5.0, gt=0)
    cache_lock_wait_seconds: float = Field(default=1.0, ge=0)
    cache_redis_timeout_seconds: float = Field(default=0.5, gt=0)
    cache_retry_after_seconds: float = Field(default=2.0, ge=0)
    # Redis: know versions from published invalidations (no round trip per read; another process's
    # invalidation is seen once Redis delivers it). False: read them for every batch of requests
    # (an invalidation is seen by every request that began after it completed).
    cache_versions_pushed: bool = True
    # Cached entries per cached route (JSON map of route prefix to a count), beyond each route's own
    # bound: when a route has stored that many entries in one TTL window, further answers are
    # computed but not stored (docs/cache.md).
    cache_max_entries_overrides: dict[str, int] = Field(default_factory=dict)

    @field_validator("redis_url")
    @classmethod
    def _empty_redis_is_unset(cls, value: str | None) -> str | None:
        return value or None
