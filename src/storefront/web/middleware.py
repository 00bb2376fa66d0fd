"""Outermost ASGI layer: request ids, log context, `no-store` by default, and the last-resort 500.

An answer that does not say how it may be cached is not cached: orders, errors and operator data
carry personal or per-request data. Cached reads say `public, max-age=<TTL>` themselves.
"""

import time

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storefront.logging import get_logger
from storefront.web.request_context import REQUEST_ID_HEADER, accept_or_make_request_id, set_request_id
from storefront.web.responses import error

log = get_logger("storefront.http")
_HEADER_NAME = REQUEST_ID_HEADER.encode()
_CACHE_CONTROL = b"cache-control"
_NO_STORE = (_CACHE_CONTROL, b"no-store")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = None
        for name, value in scope["headers"]:
            if name == _HEADER_NAME:
                given = value.decode("latin-1")
                break
        request_id = accept_or_make_request_id(given)
        set_request_id(request_id)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        header = (_HEADER_NAME, request_id.encode())
        started = False
        status = 500
        begun = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers = [*message.get("headers", ()), header]
                if not any(name == _CACHE_CONTROL for name, _ in headers):
                    headers.append(_NO_STORE)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled_error", method=scope["method"], path=scope["path"])
            if started:
                raise
            await error(500, "internal_error", "An internal error occurred.")(scope, receive, send_with_id)
        finally:
            log.debug(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - begun) * 1000, 2),
            )
