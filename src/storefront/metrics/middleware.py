"""Count and time every HTTP request by its route template, so label values stay bounded."""

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storefront.metrics.registry import HTTP_REQUEST_DURATION, HTTP_REQUESTS

UNMATCHED_ROUTE = "<unmatched>"


def route_template(scope: Scope) -> str:
    """The matched route's full template, prefixes of included routers and all.

    FastAPI resolves included routers lazily: `scope["route"]` then holds the route as declared
    on its own router, and the full template is kept on the route context FastAPI stores in scope.
    """
    context = scope.get("fastapi", {}).get("effective_route_context")
    path = getattr(context, "path_format", None)
    if isinstance(path, str) and path:
        return path
    route_path = getattr(scope.get("route"), "path", None)
    if isinstance(route_path, str) and route_path:
        return route_path
    return UNMATCHED_ROUTE


class HTTPMetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        begun = time.perf_counter()

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            labels = (scope["method"], route_template(scope), str(status))
            HTTP_REQUESTS.labels(*labels).inc()
            HTTP_REQUEST_DURATION.labels(*labels).observe(time.perf_counter() - begun)
