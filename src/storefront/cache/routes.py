"""How a GET route opts in to caching: declare a `CachedRoute`, answer through `cached_response`."""

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import UnionType
from typing import TYPE_CHECKING, Any, Protocol, Union, get_args, get_origin
from urllib.parse import parse_qsl, urlencode

from fastapi.dependencies.models import Dependant
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from storefront.cache.http import entry_response
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


class ServedRoute(Protocol):
    """The route FastAPI matched, with the prefixes of the routers it was included through."""

    @property
    def path_format(self) -> str: ...

    @property
    def path_regex(self) -> re.Pattern[str]: ...

    @property
    def dependant(self) -> Dependant: ...


def served_route(scope: Scope) -> ServedRoute:
    context: ServedRoute | None = scope.get("fastapi", {}).get("effective_route_context")
    route: ServedRoute = context if context is not None else scope["route"]
    return route


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


def _query_params(dependant: Dependant) -> dict[str, Any]:
    """The query parameters a route reads (its dependencies' too), by name, with their types."""
    if dependant.header_params or dependant.cookie_params or dependant.body_params:
        raise TypeError(f"{dependant.path}: a cached read may depend on its path and query only")
    params = {param.alias: param.field_info.annotation for param in dependant.query_params}
    for sub in dependant.dependencies:
        params.update(_query_params(sub))
    return params


def _is_int(annotation: Any) -> bool:
    return annotation is int or (get_origin(annotation) in (Union, UnionType) and int in get_args(annotation))


def bind_route(route: CachedRoute, served: ServedRoute) -> RouteBinding:
    params = _query_params(served.dependant)
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


async def cached_response(request: Request, route: CachedRoute, compute: Compute) -> Response:
    """Answer a validated GET from the cache, computing (once) on a miss."""
    if not route.public:
        data, meta = await compute()
        return success(data, meta, headers={"Cache-Control": "private, no-store"})
    cache: Cache = request.app.state.cache
    binding = cache.bind(route, served_route(request.scope))
    suffix = cache.suffix(binding, request.scope["path"], request.scope["query_string"])
    entry, outcome = await cache.fetch(binding, suffix, compute)
    return entry_response(entry, binding.cache_control, outcome, request.headers.get("if-none-match"))
