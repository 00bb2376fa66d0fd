"""The emulator as one ASGI app: OAuth, the API under /inventory/v1 and /books/v3, control under /_emulator."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import Mount

from storefront.erp.emulator.api import api_routes
from storefront.erp.emulator.control import control_routes
from storefront.erp.emulator.oauth import oauth_routes
from storefront.erp.emulator.state import EmulatorConfig, EmulatorState
from storefront.erp.emulator.webhooks import WebhookSender

INVENTORY_PATH = "/inventory/v1"
BOOKS_PATH = "/books/v3"


def create_emulator_app(state: EmulatorState | None = None) -> Starlette:
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
        lifespan=lifespan,
    )
    app.state.emulator = state
    app.state.webhooks = webhooks
    return app
