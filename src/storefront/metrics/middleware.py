"""Count and time every HTTP request by its route template, so label values stay bounded."""

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storefront.metrics.registry import HTTP_REQUEST_DURATION, HTTP_REQUESTS
from storefront.web.edge import SERVED_ROUTE, ServedRoute

UNMATCHED_ROUTE = "<unmatched>"


def route_template(scope: Scope) -> str:
    """The matched route's full template, prefixes of included routers and all (every route is an
    `EdgeRoute`, which names itself in the scope)."""
    served: ServedRoute | None = scope.get(SERVED_ROUTE)
    return served.path_format if served is not None else UNMATCHED_ROUTE


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
