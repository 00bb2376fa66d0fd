"""The read cache: versioned namespaces over memory or Redis, with an ASGI fast path for hits.

Invalidate after a write is durable: `after_commit(session, lambda: cache.invalidate(CATALOG))`.
Opt a GET route in with a `CachedRoute`, `@cached(route)` and `cached_response` (see docs/cache.md).
"""

from storefront.cache.fastpath import CachingFastAPI
from storefront.cache.namespaces import CATALOG, SYNC_STATUS
from storefront.cache.routes import CachedRoute, Compute, cached, cached_response
from storefront.cache.service import Cache

__all__ = [
    "CATALOG",
    "SYNC_STATUS",
    "Cache",
    "CachedRoute",
    "CachingFastAPI",
    "Compute",
    "cached",
    "cached_response",
]
