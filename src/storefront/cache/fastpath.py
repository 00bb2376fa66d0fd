"""Serve cache hits before anything else runs: no middleware, no routing, no validation.

Entries are created by endpoints, after FastAPI has validated the request, under a key made of the
path and the query parameters the route reads; a request that maps to an existing entry therefore
carries the same inputs as one that was validated. Everything else goes on to the application.
A hit still gets its own X-Request-ID (spliced into `meta.request_id`), ETag/304 handling, and
counts in the HTTP metrics like any other request.
"""

import time
from typing import Any

from fastapi import FastAPI
from prometheus_client.metrics import Counter, Histogram
from starlette.types import Receive, Scope, Send

from storefront.cache.http import CONTENT_TYPE, etag_matches
from storefront.cache.routes import RouteBinding
from storefront.cache.service import Cache
from storefront.metrics import HTTP_REQUEST_DURATION, HTTP_REQUESTS
from storefront.web.cors import EXPOSED_HEADERS_VALUE
from storefront.web.request_context import REQUEST_ID_HEADER, accept_or_make_request_id, new_request_id

_IF_NONE_MATCH = b"if-none-match"
_ORIGIN = b"origin"
_REQUEST_ID = REQUEST_ID_HEADER.encode()


class _RouteMetrics:
    """HTTP metric children of one cached route, bound once."""

    def __init__(self, route: str) -> None:
        self.counters: dict[int, Counter] = {
            s: HTTP_REQUESTS.labels("GET", route, str(s)) for s in (200, 304)
        }
        self.durations: dict[int, Histogram] = {
            s: HTTP_REQUEST_DURATION.labels("GET", route, str(s)) for s in (200, 304)
        }

    def observe(self, status: int, began: float) -> None:
        self.counters[status].inc()
        self.durations[status].observe(time.perf_counter() - began)


class CachingFastAPI(FastAPI):
    """FastAPI that answers cache hits of cached GET routes itself, before its middleware stack."""

    def __init__(self, *, cors_origins: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._route_metrics: dict[RouteBinding, _RouteMetrics] = {}
        # A hit skips the CORS middleware, so it answers an allowed Origin itself.
        self._cors_origins = frozenset(origin.encode() for origin in cors_origins or ())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not await self._answered_from_cache(scope, send)
        ):
            await super().__call__(scope, receive, send)

    async def _answered_from_cache(self, scope: Scope, send: Send) -> bool:
        began = time.perf_counter()
        cache: Cache | None = getattr(self.state, "cache", None)
        binding = cache.match(scope["path"]) if cache is not None else None
        if cache is None or binding is None:
            return False
        entry = await cache.lookup(binding, cache.suffix(binding, scope["path"], scope["query_string"]))
        if entry is None:
            return False
        given_id = if_none_match = origin = None
        for name, value in scope["headers"]:
            if name == _REQUEST_ID:
                given_id = value.decode("latin-1")
            elif name == _IF_NONE_MATCH:
                if_none_match = value
            elif name == _ORIGIN:
                origin = value
        request_id = accept_or_make_request_id(given_id) if given_id else new_request_id()
        headers = [
            (b"etag", entry.etag),
            (b"cache-control", binding.cache_control),
            (b"x-cache", b"hit"),
            (_REQUEST_ID, request_id.encode()),
        ]
        if origin is not None and self._cors_origins:
            headers.append((b"vary", b"Origin"))
            if origin in self._cors_origins:
                headers += [
                    (b"access-control-allow-origin", origin),
                    (b"access-control-expose-headers", EXPOSED_HEADERS_VALUE),
                ]
        if etag_matches(if_none_match, entry.etag):
            status = 304
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
        else:
            status = 200
            body = entry.body(request_id)
            headers += [(b"content-type", CONTENT_TYPE), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        metrics = self._route_metrics.get(binding)
        if metrics is None:
            metrics = self._route_metrics[binding] = _RouteMetrics(binding.path_format)
        metrics.observe(status, began)
        return True
