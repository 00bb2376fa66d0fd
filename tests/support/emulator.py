"""The ERP emulator for tests: one real HTTP server per session, reset before each test.

Fixtures: `emulator` (an EmulatorHandle: .url, .api_url, .control, .state, .webhooks),
`erp_settings` (Settings pointing the Zoho client at it) and `webhook_receiver`.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from storefront.config import Settings
from storefront.erp.emulator import EmulatorConfig, EmulatorControl, EmulatorServer, LoopbackServer


@dataclass
class ReceivedWebhook:
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    """A loopback HTTP endpoint that keeps what it receives."""

    received: asyncio.Queue[ReceivedWebhook] = field(default_factory=asyncio.Queue)
    server: LoopbackServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url + "/webhooks/zoho"

    async def start(self) -> None:
        async def receive(request: Request) -> Response:
            self.received.put_nowait(ReceivedWebhook(dict(request.headers), await request.body()))
            return Response(status_code=204)

        self.server = LoopbackServer(Starlette(routes=[Route("/webhooks/zoho", receive, methods=["POST"])]))
        await self.server.start()

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()

    async def next(self) -> ReceivedWebhook:
        async with asyncio.timeout(5.0):
            return await self.received.get()

    def drain(self) -> None:
        while not self.received.empty():
            self.received.get_nowait()


@dataclass
class EmulatorHandle:
    server: EmulatorServer
    control: EmulatorControl
    defaults: EmulatorConfig

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def api_url(self) -> str:
        return self.server.api_url

    @property
    def state(self) -> Any:
        return self.server.state

    def reset(self) -> None:
        self.server.state.config.update(asdict(self.defaults))
        self.server.state.reset()

    def settings_overrides(self) -> dict[str, Any]:
        """What make_settings needs to point the Zoho client at this emulator."""
        config = self.server.state.config
        return {
            "erp": "zoho",
            "zoho_accounts_url": self.url,
            "zoho_api_url": self.api_url,
            "zoho_client_id": config.client_id,
            "zoho_client_secret": config.client_secret,
            "zoho_refresh_token": config.refresh_token,
            "zoho_organization_id": config.organization_id,
        }


@pytest.fixture(scope="session")
async def emulator_server() -> AsyncIterator[EmulatorHandle]:
    defaults = EmulatorConfig(rate_limit_per_minute=0)
    server = EmulatorServer(EmulatorConfig(**asdict(defaults)))
    await server.start()
    control = EmulatorControl(server.url)
    try:
        yield EmulatorHandle(server, control, defaults)
    finally:
        await control.aclose()
        await server.stop()


@pytest.fixture
def emulator(emulator_server: EmulatorHandle) -> EmulatorHandle:
    """The session's emulator, empty, with no faults and no rate limit (tests turn one on when they need it)."""
    emulator_server.reset()
    return emulator_server


@pytest.fixture
def erp_settings(emulator: EmulatorHandle, make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(**emulator.settings_overrides())


@pytest.fixture
async def webhook_receiver(emulator: EmulatorHandle) -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()
