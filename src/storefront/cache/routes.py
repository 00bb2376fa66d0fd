"""How a GET route opts in to caching: declare a `CachedRoute`, mark the endpoint `@cached(route)`
and answer through `cached_response`."""

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from storefront.cache.http import entry_response
from storefront.web.edge import CACHED_READ, SERVED_ROUTE, ServedRoute
from storefront.web.responses import success

if TYPE_CHECKING:
    from storefront.cache.service import Cache

# What a cached endpoint computes on a miss: the envelope's `data` and the rest of its `meta`.
Compute = Callable[[], Awaitable[tuple[Any, dict[str, Any]]]]


# A function that writes a query value in the form the endpoint computes with; it never raises.
Canonical = Callable[[str], str]
_DECIMAL_INTEGER = re.compile(r"[+-]?[0-9]{1,30}")


def canonical_int(raw: str) -> str:
    """`0200`, ` 200`, `+200` and `200` are one answer; anything else stays as sent (and never
    validates)."""
    text = raw.strip()
    return str(int(text)) if _DECIMAL_INTEGER.fullmatch(text) else raw


@dataclass(frozen=True, slots=True)
class CachedRoute:
    """A cached read: its key prefix, its TTL, the namespaces whose invalidation it obeys, how many
    distinct answers it may keep (per TTL window), and how its text parameters are normalised
    (the endpoint must compute with the same normalised values; integer parameters are
    canonicalised without being named).

    `public=False` marks per-user data: it is never stored anywhere and answers `no-store`.
    """

    prefix: str
    ttl_seconds: float
    namespaces: tuple[str, ...]
    public: bool = True
    max_entries: int = 1000
    canonical: Mapping[str, Canonical] = field(default_factory=dict)


Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def cached(route: CachedRoute) -> Callable[[Endpoint], Endpoint]:
    """Declare a GET endpoint a cached read of `route`: it answers through `cached_response`, and
    its OpenAPI operation documents ETag, Cache-Control and 304."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, CACHED_READ, route)
        return endpoint

    return mark


def served_route(scope: Scope) -> ServedRoute:
    served: ServedRoute | None = scope.get(SERVED_ROUTE)
    if served is None or not isinstance(served.cached, CachedRoute):
        raise TypeError("cached_response answers for an endpoint declared with @cached only")
    return served


@dataclass(frozen=True, slots=True, eq=False)
class RouteBinding:
    """A `CachedRoute` attached to the FastAPI route serving it (learned on its first answer)."""

    route: CachedRoute
    path_format: str
    path_regex: re.Pattern[str]
    query_names: frozenset[str]
    cache_control: bytes
    canonical: Mapping[str, Canonical]

    def suffix(self, path: str, query_string: bytes) -> str:
        """The key part naming one answer: the path and the query parameters the route reads.

        Parameters the route does not read cannot change the answer, so they are dropped; the
        rest keep their values in canonical form (integers without leading zeros, normalised
        search text), sorted by name: equivalent requests share one entry, and only validated
        requests create entries.
        """
        if not query_string:
            return path
        pairs = [
            (name, self.canonical[name](value) if name in self.canonical else value)
            for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
            if name in self.query_names
        ]
        pairs.sort(key=lambda pair: pair[0])
        return f"{path}?{urlencode(pairs)}" if pairs else path


def _query_params(path: str, operation: Mapping[str, Any]) -> dict[str, Any]:
    """The query parameters a route reads (its dependencies' too), by name, with their schemas, as
    its OpenAPI operation lists them."""
    parameters = operation.get("parameters", [])
    if operation.get("requestBody") or any(p["in"] in ("header", "cookie") for p in parameters):
        raise TypeError(f"{path}: a cached read may depend on its path and query only")
    return {p["name"]: p.get("schema", {}) for p in parameters if p["in"] == "query"}


def _is_int(schema: Mapping[str, Any]) -> bool:
    return schema.get("type") == "integer" or any(_is_int(option) for option in schema.get("anyOf", ()))


def bind_route(route: CachedRoute, served: ServedRoute, operation: Mapping[str, Any]) -> RouteBinding:
    """`operation`: the route's GET operation in the application's OpenAPI document."""
    params = _query_params(served.path_format, operation)
    canonical: dict[str, Canonical] = {name: canonical_int for name, kind in params.items() if _is_int(kind)}
    canonical.update(route.canonical)
    return RouteBinding(
        route=route,
        path_format=served.path_format,
        path_regex=served.path_regex,
        query_names=frozenset(params),
        cache_control=f"public, max-age={int(route.ttl_seconds)}".encode(),
        canonical=canonical,
    )


async def cached_response(request: Request, compute: Compute) -> Response:
    """Answer a validated GET of a `@cached` endpoint from the cache, computing (once) on a miss."""
    served = served_route(request.scope)
    route: CachedRoute = served.cached
    if not route.public:
        data, meta = await compute()
        return success(data, meta, headers={"Cache-Control": "private, no-store"})
    cache: Cache = request.app.state.cache
    binding = cache.binding(route, served) or cache.bind(route, served, served.operation("GET"))
    suffix = cache.suffix(binding, request.scope["path"], request.scope["query_string"])
    entry, outcome = await cache.fetch(binding, suffix, compute)
    return entry_response(entry, binding.cache_control, outcome, request.headers.get("if-none-match"))
