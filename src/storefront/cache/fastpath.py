"""Serve cache hits before routing: a pure ASGI layer that only looks entries up.

Entries are created by endpoints, after FastAPI has validated the request, under a key made of the
path and the query parameters the route reads; a request that maps to an existing entry therefore
carries the same inputs as one that was validated. Anything else goes on to the application.
"""

from starlette.types import ASGIApp, Receive, Scope, Send

from storefront.cache.http import CONTENT_TYPE, etag_matches, request_id
from storefront.cache.service import Cache

_IF_NONE_MATCH = b"if-none-match"


class CacheFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        cache: Cache | None = getattr(scope["app"].state, "cache", None)
        binding = cache.match(scope["path"]) if cache is not None else None
        if cache is None or binding is None:
            await self.app(scope, receive, send)
            return
        entry = await cache.lookup(binding, binding.suffix(scope["path"], scope["query_string"]))
        if entry is None:
            await self.app(scope, receive, send)
            return
        headers = [(b"etag", entry.etag), (b"cache-control", binding.cache_control), (b"x-cache", b"hit")]
        if_none_match = next((value for name, value in scope["headers"] if name == _IF_NONE_MATCH), None)
        if etag_matches(if_none_match, entry.etag):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        body = entry.body(request_id())
        headers += [(b"content-type", CONTENT_TYPE), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
