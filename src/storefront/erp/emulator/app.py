"""The emulator as one ASGI app: OAuth, the API under /inventory/v1 and /books/v3, control under /_emulator."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from storefront.erp.emulator.api import api_routes
from storefront.erp.emulator.control import control_routes
from storefront.erp.emulator.oauth import oauth_routes
from storefront.erp.emulator.replies import METHOD_NOT_ALLOWED, UNKNOWN_URL, fail
from storefront.erp.emulator.state import EmulatorConfig, EmulatorState
from storefront.erp.emulator.webhooks import WebhookSender

INVENTORY_PATH = "/inventory/v1"
BOOKS_PATH = "/books/v3"


class _TrailingSlash:
    """Zoho serves /items/1/ as /items/1 (some clients add the slash); no redirect, the same answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and len(path) > 1 and path.endswith("/"):
            scope = {**scope, "path": path.rstrip("/"), "raw_path": path.rstrip("/").encode()}
        await self.app(scope, receive, send)


async def _route_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return fail(*(METHOD_NOT_ALLOWED if status == 405 else UNKNOWN_URL))


def create_emulator_app(state: EmulatorState | None = None) -> ASGIApp:
    state = state or EmulatorState.create(EmulatorConfig())
    webhooks = WebhookSender(state.config)
    api = api_routes(state)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        webhooks.start()
        try:
            yield
        finally:
            await webhooks.aclose()

    app = Starlette(
        routes=[
            *oauth_routes(state),
            Mount(INVENTORY_PATH, routes=api),
            Mount(BOOKS_PATH, routes=api),
            Mount("/_emulator", routes=control_routes(state, webhooks)),
        ],
        exception_handlers={404: _route_error, 405: _route_error},
        lifespan=lifespan,
    )
    app.state.emulator = state
    app.state.webhooks = webhooks
    return _TrailingSlash(app)
